"""NVD CVE API 2.0 fetcher against a loopback server: paging, 120-day windows, resuming."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import timedelta

import pytest

from core.feeds.loopback import START, FakeClock, RecordedRequest, RecordedServer, Scripted
from support import FIXTURES
from vulndesk.core.feeds.fetching import Cursor, FeedBatch
from vulndesk.core.feeds.http import FeedFormatError, FeedUnavailable, RetryPolicy
from vulndesk.core.feeds.nvd_api import (
    NVD_RATE_LIMIT,
    NVD_RATE_LIMIT_WITH_KEY,
    NvdCveFetcher,
    nvd_client,
    nvd_time,
)

ONLINE = FIXTURES / "feeds" / "online"
API = "/rest/json/cves/2.0"
PAGES = {
    "0": (ONLINE / "nvd-cves-startIndex-0.json").read_bytes(),
    "2": (ONLINE / "nvd-cves-startIndex-2.json").read_bytes(),
}
EMPTY = (ONLINE / "nvd-cves-empty.json").read_bytes()
NOW = nvd_time(START)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def server(clock: FakeClock) -> Iterator[RecordedServer]:
    with RecordedServer(clock=clock.monotonic) as recorded:
        yield recorded


def fetcher(
    server: RecordedServer, clock: FakeClock, *, api_key: str | None = None
) -> NvdCveFetcher:
    client = nvd_client(
        api_key=api_key, clock=clock, rng=random.Random(3), retry=RetryPolicy(attempts=3)
    )
    return NvdCveFetcher(client, url=f"{server.url}{API}", results_per_page=2)


def by_start_index(request: RecordedRequest) -> Scripted:
    return Scripted(body=PAGES[request.param("startIndex") or ""])


def run(fetch: Iterator[FeedBatch], stored: list[Cursor]) -> list[FeedBatch]:
    """Consume batches like the server does: store each batch's cursor once it is processed."""
    batches = []
    for batch in fetch:
        batches.append(batch)
        stored.append(batch.cursor)
    return batches


def test_a_window_of_three_results_is_fetched_in_two_pages(
    server: RecordedServer, clock: FakeClock
) -> None:
    since = nvd_time(START - timedelta(days=1))
    server.route(API, by_start_index)
    stored: list[Cursor] = []
    batches = run(fetcher(server, clock, api_key="k-123").fetch({"synced_until": since}), stored)

    assert [(r.param("startIndex"), r.param("resultsPerPage")) for r in server.requests] == [
        ("0", "2"),
        ("2", "2"),
    ]
    for request in server.requests:
        assert request.param("lastModStartDate") == since == "2026-11-19T12:00:00.000+00:00"
        assert request.param("lastModEndDate") == NOW
        assert request.headers["apikey"] == "k-123"
    assert [b.documents[0].content for b in batches] == [PAGES["0"], PAGES["2"]]
    assert [(b.done, b.total) for b in batches] == [(2, 3), (3, 3)]
    assert stored == [
        {"synced_until": since, "window_end": NOW, "start_index": 2},
        {"synced_until": NOW},
    ]


def test_a_long_gap_is_split_into_windows_of_at_most_120_days(
    server: RecordedServer, clock: FakeClock
) -> None:
    since = START - timedelta(days=300)
    server.route(API, lambda request: Scripted(body=EMPTY))
    batches = list(fetcher(server, clock).fetch({"synced_until": nvd_time(since)}))

    windows = [
        (request.param("lastModStartDate"), request.param("lastModEndDate"))
        for request in server.requests
    ]
    assert windows == [
        (nvd_time(since), nvd_time(since + timedelta(days=120))),
        (nvd_time(since + timedelta(days=120)), nvd_time(since + timedelta(days=240))),
        (nvd_time(since + timedelta(days=240)), NOW),
    ]
    assert all(b.documents == () for b in batches)
    assert batches[-1].cursor == {"synced_until": NOW}


def test_an_interrupted_sync_resumes_at_the_page_it_stopped_at(clock: FakeClock) -> None:
    since = nvd_time(START - timedelta(days=2))
    stored: list[Cursor] = []
    with RecordedServer(clock=clock.monotonic) as first:
        first.route(
            API,
            lambda r: Scripted(body=PAGES["0"]) if r.param("startIndex") == "0" else Scripted(500),
        )
        with pytest.raises(FeedUnavailable, match=r"HTTP 500 \(gave up after 3 attempts\)"):
            run(fetcher(first, clock).fetch({"synced_until": since}), stored)
        assert [r.param("startIndex") for r in first.requests] == ["0", "2", "2", "2"]
    assert stored == [{"synced_until": since, "window_end": NOW, "start_index": 2}]

    # the next run, from the stored cursor, asks only for page 2 of the same window
    later = FakeClock()
    with RecordedServer(clock=later.monotonic) as second:
        second.route(API, by_start_index)
        batches = run(fetcher(second, later).fetch(stored[-1]), stored)
        assert [
            (r.param("startIndex"), r.param("lastModStartDate"), r.param("lastModEndDate"))
            for r in second.requests
        ] == [("2", since, NOW)]
    assert [b.documents[0].content for b in batches] == [PAGES["2"]]
    assert stored[-1] == {"synced_until": NOW}


def test_with_no_cursor_a_full_sync_pages_through_everything(
    server: RecordedServer, clock: FakeClock
) -> None:
    server.route(API, by_start_index)
    batches = list(fetcher(server, clock).fetch(None))
    assert [r.param("startIndex") for r in server.requests] == ["0", "2"]
    assert all(r.param("lastModStartDate") is None for r in server.requests)
    assert [b.cursor for b in batches] == [
        {"full_sync_started": NOW, "start_index": 2},
        {"synced_until": NOW},
    ]


def test_a_resumed_full_sync_then_catches_up_with_changes_made_meanwhile(
    server: RecordedServer, clock: FakeClock
) -> None:
    started = nvd_time(START - timedelta(hours=5))
    server.route(
        API,
        lambda r: Scripted(body=EMPTY) if r.param("lastModStartDate") else by_start_index(r),
    )
    batches = list(fetcher(server, clock).fetch({"full_sync_started": started, "start_index": 2}))
    assert [
        (r.param("startIndex"), r.param("lastModStartDate"), r.param("lastModEndDate"))
        for r in server.requests
    ] == [("2", None, None), ("0", started, NOW)]
    assert [b.cursor for b in batches] == [{"synced_until": started}, {"synced_until": NOW}]


def test_nvd_client_paces_by_the_published_limits(clock: FakeClock) -> None:
    assert (NVD_RATE_LIMIT.requests, NVD_RATE_LIMIT.per_seconds) == (5, 30.0)
    assert nvd_client(clock=clock).rate_limit == NVD_RATE_LIMIT
    keyed = nvd_client(api_key="k", clock=clock)
    assert keyed.rate_limit == NVD_RATE_LIMIT_WITH_KEY
    assert (NVD_RATE_LIMIT_WITH_KEY.requests, NVD_RATE_LIMIT_WITH_KEY.per_seconds) == (50, 30.0)


def test_nvd_pages_are_paced_five_per_30_seconds(server: RecordedServer, clock: FakeClock) -> None:
    server.route(API, lambda request: Scripted(body=EMPTY))
    since = START - timedelta(days=120 * 7)  # 7 windows, 7 requests
    list(fetcher(server, clock).fetch({"synced_until": nvd_time(since)}))
    times = [r.time for r in server.requests]
    assert len(times) == 7
    assert times[5] - times[0] >= 30.0


def test_a_page_that_is_not_json_is_an_error_naming_the_url(
    server: RecordedServer, clock: FakeClock
) -> None:
    server.route(API, lambda request: Scripted(body=b"<html>maintenance</html>"))
    with pytest.raises(FeedFormatError, match=f"GET {server.url}{API}.*startIndex=0: NVD page"):
        list(fetcher(server, clock).fetch({"synced_until": nvd_time(START - timedelta(1))}))


def test_an_empty_page_before_the_announced_total_is_an_error(
    server: RecordedServer, clock: FakeClock
) -> None:
    lying = b'{"totalResults": 5, "startIndex": 0, "vulnerabilities": []}'
    server.route(API, lambda request: Scripted(body=lying))
    with pytest.raises(FeedFormatError, match="empty although totalResults is 5"):
        list(fetcher(server, clock).fetch(None))
