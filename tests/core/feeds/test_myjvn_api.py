"""MyJVN fetcher against a loopback server: JVNRSS pages per language, pauses, details."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from core.feeds.loopback import FakeClock, RecordedRequest, RecordedServer, Scripted
from support import FIXTURES
from vulndesk.core.errors import IdentifierError
from vulndesk.core.feeds.http import FeedApiError, PoliteClient
from vulndesk.core.feeds.myjvn_api import MyJvnFetcher

ONLINE = FIXTURES / "feeds" / "online"
PAGES = {
    "1": (ONLINE / "jvnrss-ja-startItem-1.xml").read_bytes(),
    "3": (ONLINE / "jvnrss-ja-startItem-3.xml").read_bytes(),
}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def server(clock: FakeClock) -> Iterator[RecordedServer]:
    with RecordedServer(clock=clock.monotonic) as recorded:
        recorded.route("/myjvn", by_start_item)
        yield recorded


def by_start_item(request: RecordedRequest) -> Scripted:
    if request.param("method") == "getVulnDetailInfo":
        return Scripted(body=(ONLINE / "vuldef-JVNDB-2026-012345.xml").read_bytes())
    return Scripted(body=PAGES[request.param("startItem") or ""])


def fetcher(server: RecordedServer, clock: FakeClock, *, pause: float = 0.0) -> MyJvnFetcher:
    client = PoliteClient(clock=clock)
    return MyJvnFetcher(client, url=f"{server.url}/myjvn", page_size=2, pause=pause)


def test_three_entries_come_in_two_pages_per_language(
    server: RecordedServer, clock: FakeClock
) -> None:
    batches = list(fetcher(server, clock).fetch({"synced_until": "2026-11-18"}))
    assert [(r.param("lang"), r.param("startItem")) for r in server.requests] == [
        ("ja", "1"),
        ("ja", "3"),
        ("en", "1"),
        ("en", "3"),
    ]
    for request in server.requests:
        assert request.param("method") == "getVulnOverviewList"
        assert request.param("feed") == "hnd"
        assert request.param("maxCountItem") == "2"
        ranges = {request.param(f"rangeDate{k}") for k in ("Public", "Published", "FirstPublished")}
        assert ranges == {"n"}  # the "past week" defaults are off: only the explicit range applies
        start = [request.param(f"datePublishedStart{p}") for p in "YMD"]
        end = [request.param(f"datePublishedEnd{p}") for p in "YMD"]
        assert (start, end) == (["2026", "11", "18"], ["2026", "11", "20"])
    assert [b.documents[0].content for b in batches] == [PAGES["1"], PAGES["3"]] * 2
    assert [b.cursor for b in batches] == [
        {"synced_until": "2026-11-18", "to_date": "2026-11-20", "lang": "ja", "start_item": 3},
        {"synced_until": "2026-11-18", "to_date": "2026-11-20", "lang": "en", "start_item": 1},
        {"synced_until": "2026-11-18", "to_date": "2026-11-20", "lang": "en", "start_item": 3},
        {"synced_until": "2026-11-20"},
    ]
    assert [(b.done, b.total) for b in batches] == [(2, 3), (3, 3)] * 2
    assert clock.sleeps == []


def test_calls_are_a_pause_apart(server: RecordedServer, clock: FakeClock) -> None:
    list(fetcher(server, clock, pause=1.0).fetch({"synced_until": "2026-11-18"}))
    times = [r.time for r in server.requests]
    assert times == [0.0, 1.0, 2.0, 3.0]


def test_an_interrupted_sync_resumes_in_its_language_and_page(
    server: RecordedServer, clock: FakeClock
) -> None:
    cursor = {"synced_until": "2026-11-01", "to_date": "2026-11-05", "lang": "en", "start_item": 3}
    (batch,) = fetcher(server, clock).fetch(cursor)
    (request,) = server.requests
    assert (request.param("lang"), request.param("startItem")) == ("en", "3")
    assert request.param("datePublishedEndD") == "05"
    assert batch.cursor == {"synced_until": "2026-11-05"}


def test_with_no_cursor_the_sync_starts_a_year_back_in_japan_time(
    server: RecordedServer,
) -> None:
    late = FakeClock(datetime(2026, 11, 20, 16, 0, tzinfo=UTC))  # already 21 Nov in Tokyo
    list(fetcher(server, late).fetch(None))
    request = server.requests[0]
    assert [request.param(f"datePublishedStart{p}") for p in "YMD"] == ["2025", "11", "21"]
    assert [request.param(f"datePublishedEnd{p}") for p in "YMD"] == ["2026", "11", "21"]


def test_an_error_status_is_reported_with_its_message(
    server: RecordedServer, clock: FakeClock
) -> None:
    error = (ONLINE / "jvnrss-error.xml").read_bytes()
    server.route("/myjvn", lambda request: Scripted(body=error))
    with pytest.raises(FeedApiError, match="MyJVN error 1001: Invalid parameter: maxCountItem"):
        list(fetcher(server, clock).fetch({"synced_until": "2026-11-18"}))


def test_details_by_id(server: RecordedServer, clock: FakeClock) -> None:
    document = fetcher(server, clock).fetch_detail("JVNDB-2026-012345", lang="en")
    assert b"<VulinfoID>JVNDB-2026-012345</VulinfoID>" in document.content
    request = server.requests[0]
    assert (request.param("method"), request.param("vulnId"), request.param("lang")) == (
        "getVulnDetailInfo",
        "JVNDB-2026-012345",
        "en",
    )
    with pytest.raises(IdentifierError):
        fetcher(server, clock).fetch_detail("JVNDB-2026-1+JVNDB-2026-2")
