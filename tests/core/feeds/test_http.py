"""PoliteClient against a real loopback server: pacing, retries, limits and failures."""

from __future__ import annotations

import gzip
import hashlib
import random
import re
import time
from collections.abc import Iterator
from datetime import timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.feeds.loopback import START, FakeClock, RecordedServer, Scripted, closed_port
from vulndesk import __version__
from vulndesk.core.errors import VulndeskError
from vulndesk.core.feeds.http import (
    FeedError,
    FeedRedirectRefused,
    FeedStatusError,
    FeedTimeout,
    FeedTooLarge,
    FeedTruncated,
    FeedUnavailable,
    PoliteClient,
    RateLimit,
    RetryPolicy,
    SlidingWindowLimiter,
    origin,
    parse_retry_after,
)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def server(clock: FakeClock) -> Iterator[RecordedServer]:
    with RecordedServer(clock=clock.monotonic) as recorded:
        yield recorded


def polite(clock: FakeClock, **options: Any) -> PoliteClient:
    return PoliteClient(clock=clock, rng=random.Random(7), **options)


def test_get_sends_user_agent_and_extra_headers(server: RecordedServer, clock: FakeClock) -> None:
    server.script("/cves", Scripted(body=b'{"ok": true}', headers={"ETag": '"v1"'}))
    with polite(clock, headers={"apiKey": "secret"}) as client:
        response = client.get(f"{server.url}/cves", params={"startIndex": 0})
    assert response.content == b'{"ok": true}'
    assert response.etag == '"v1"'
    assert response.url == f"{server.url}/cves?startIndex=0"
    (request,) = server.requests
    assert request.headers["user-agent"] == f"vulndesk/{__version__}"
    assert request.headers["apikey"] == "secret"
    assert request.param("startIndex") == "0"


def test_rate_limit_of_5_per_30_s_is_never_exceeded(
    server: RecordedServer, clock: FakeClock
) -> None:
    server.script("/cves", Scripted(body=b"{}"))
    with polite(clock, rate_limit=RateLimit(5, 30.0)) as client:
        for _ in range(11):
            client.get(f"{server.url}/cves")
    times = [r.time for r in server.requests]
    assert len(times) == 11
    assert clock.monotonic() >= 60.0  # requests 6 and 11 each waited for a window to pass
    assert times[-1] >= 60.0
    for i in range(len(times) - 5):
        assert times[i + 5] - times[i] >= 30.0, f"6 requests within 30 s from request {i}"
    for start in times:  # no window anchored at a request holds more than 5
        assert sum(start <= t < start + 30.0 for t in times) <= 5


@given(
    requests=st.integers(1, 6),
    per=st.floats(0.5, 100.0),
    gaps=st.lists(st.floats(0.0, 50.0), min_size=1, max_size=40),
)
def test_sliding_window_invariant_holds_for_any_arrivals(
    requests: int, per: float, gaps: list[float]
) -> None:
    clock = FakeClock()
    limiter = SlidingWindowLimiter(RateLimit(requests, per), clock)
    starts = []
    for gap in gaps:
        clock.sleep(gap)
        limiter.acquire()
        starts.append(clock.monotonic())
    for i in range(len(starts) - requests):
        assert starts[i + requests] - starts[i] >= per * (1 - 1e-9)


def test_429_with_retry_after_seconds_then_200(server: RecordedServer, clock: FakeClock) -> None:
    server.script("/feed", Scripted(429, headers={"Retry-After": "7"}), Scripted(body=b"fine"))
    with polite(clock) as client:
        assert client.get(f"{server.url}/feed").content == b"fine"
    assert len(server.requests) == 2
    assert clock.sleeps == [7.0]
    assert server.requests[1].time - server.requests[0].time == 7.0


def test_503_with_retry_after_as_http_date(server: RecordedServer, clock: FakeClock) -> None:
    when = format_datetime(START + timedelta(seconds=12), usegmt=True)
    server.script("/feed", Scripted(503, headers={"Retry-After": when}), Scripted(body=b"ok"))
    with polite(clock) as client:
        assert client.get(f"{server.url}/feed").content == b"ok"
    assert clock.sleeps == [12.0]


def test_retries_exhausted_is_a_clear_error(server: RecordedServer, clock: FakeClock) -> None:
    server.script("/feed", Scripted(503, body=b"busy"))
    with (
        polite(clock, retry=RetryPolicy(attempts=3, backoff_base=2.0)) as client,
        pytest.raises(FeedUnavailable) as raised,
    ):
        client.get(f"{server.url}/feed")
    assert len(server.requests) == 3
    assert raised.value.status == 503 and raised.value.attempts == 3
    assert str(raised.value) == f"GET {server.url}/feed: HTTP 503 (gave up after 3 attempts)"
    assert isinstance(raised.value, VulndeskError)
    # exponential backoff with jitter in [0.5, 1] of 2 s, then 4 s
    assert 1.0 <= clock.sleeps[0] <= 2.0 and 2.0 <= clock.sleeps[1] <= 4.0


def test_retry_after_beyond_the_bound_gives_up_at_once(
    server: RecordedServer, clock: FakeClock
) -> None:
    server.script("/feed", Scripted(429, headers={"Retry-After": "3600"}))
    with (
        polite(clock, retry=RetryPolicy(retry_after_max=120.0)) as client,
        pytest.raises(FeedUnavailable, match="retry after 3600 s, longer than the 120 s"),
    ):
        client.get(f"{server.url}/feed")
    assert len(server.requests) == 1
    assert clock.sleeps == []


def test_a_status_retrying_cannot_fix_fails_at_once(
    server: RecordedServer, clock: FakeClock
) -> None:
    with polite(clock) as client, pytest.raises(FeedStatusError) as raised:
        client.get(f"{server.url}/missing")
    assert raised.value.status == 404
    assert str(raised.value) == f"GET {server.url}/missing: HTTP 404"
    assert len(server.requests) == 1


def test_a_body_shorter_than_its_content_length_is_an_error_naming_the_url(
    server: RecordedServer, clock: FakeClock
) -> None:
    server.script("/feed.json", Scripted(body=b"x" * 5000, truncate=100))
    with (
        polite(clock, retry=RetryPolicy(attempts=2)) as client,
        pytest.raises(FeedTruncated) as raised,
    ):
        client.get(f"{server.url}/feed.json")
    assert f"GET {server.url}/feed.json: body truncated" in str(raised.value)
    assert "gave up after 2 attempts" in str(raised.value)
    assert len(server.requests) == 2


def test_an_unterminated_chunked_body_is_truncated(
    server: RecordedServer, clock: FakeClock
) -> None:
    server.script("/feed.json", Scripted(body=b"x" * 5000, truncate=2500, chunked=True))
    with (
        polite(clock, retry=RetryPolicy(attempts=1)) as client,
        pytest.raises(FeedTruncated, match=f"GET {server.url}/feed.json: body truncated"),
    ):
        client.get(f"{server.url}/feed.json")


def test_a_truncated_body_is_retried(server: RecordedServer, clock: FakeClock) -> None:
    body = b"y" * 3000
    server.script("/feed", Scripted(body=body, truncate=10), Scripted(body=body))
    with polite(clock) as client:
        assert client.get(f"{server.url}/feed").content == body
    assert len(server.requests) == 2


def test_a_server_slower_than_the_timeout_is_an_error_naming_the_url(
    server: RecordedServer, clock: FakeClock
) -> None:
    server.script("/slow", Scripted(body=b"late", delay=1.0))
    began = time.monotonic()
    with (
        polite(clock, timeout=0.2, retry=RetryPolicy(attempts=2)) as client,
        pytest.raises(FeedTimeout) as raised,
    ):
        client.get(f"{server.url}/slow")
    assert time.monotonic() - began < 0.9
    assert str(raised.value).startswith(f"GET {server.url}/slow: timed out after 0.2 s")
    assert raised.value.attempts == 2


def test_a_body_over_the_size_limit_is_refused(server: RecordedServer, clock: FakeClock) -> None:
    server.script("/big", Scripted(body=b"z" * 5000))
    server.script("/big-chunked", Scripted(body=b"z" * 5000, chunked=True))
    with polite(clock, max_bytes=1000) as client:
        with pytest.raises(FeedTooLarge, match=f"GET {server.url}/big: body of 5000 bytes"):
            client.get(f"{server.url}/big")
        with pytest.raises(FeedTooLarge, match=f"GET {server.url}/big-chunked: body is over"):
            client.get(f"{server.url}/big-chunked")
    assert len(server.requests) == 2  # not retried


def test_a_refused_download_leaves_no_file(
    server: RecordedServer, clock: FakeClock, tmp_path: Path
) -> None:
    server.script("/all.zip", Scripted(body=b"z" * 5000, chunked=True))
    dest = tmp_path / "all.zip"
    with polite(clock) as client, pytest.raises(FeedTooLarge):
        client.download(f"{server.url}/all.zip", dest, max_bytes=4096)
    assert list(tmp_path.iterdir()) == []


def test_gzip_bodies_are_decoded_and_limited_after_decoding(
    server: RecordedServer, clock: FakeClock
) -> None:
    server.script("/small", Scripted(body=b"a" * 900, gzip=True))
    server.script("/bomb", Scripted(body=b"a" * 100_000, gzip=True))
    with polite(clock, max_bytes=1000) as client:
        assert client.get(f"{server.url}/small").content == b"a" * 900
        assert "gzip" in server.requests[0].headers["accept-encoding"]
        with pytest.raises(FeedTooLarge, match="/bomb: body is over the 1000-byte limit"):
            client.get(f"{server.url}/bomb")


def test_download_streams_to_file_with_size_and_digest(
    server: RecordedServer, clock: FakeClock, tmp_path: Path
) -> None:
    payload = gzip.compress(b"cve,epss,percentile\n" * 2000)
    server.script("/scores.csv.gz", Scripted(body=payload, chunked=True))
    with polite(clock) as client:
        response = client.download(f"{server.url}/scores.csv.gz", tmp_path / "s.csv.gz")
    assert response.path == tmp_path / "s.csv.gz"
    assert response.path.read_bytes() == payload
    assert response.size == len(payload)
    assert response.sha256 == hashlib.sha256(payload).hexdigest()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.csv.gz"]


def test_conditional_get_returns_304_as_an_answer(server: RecordedServer, clock: FakeClock) -> None:
    server.script("/kev.json", Scripted(304, headers={"ETag": '"v1"'}))
    with polite(clock) as client:
        response = client.get(f"{server.url}/kev.json", etag='"v1"', last_modified="then")
    assert response.not_modified and response.content == b""
    assert server.requests[0].headers["if-none-match"] == '"v1"'
    assert server.requests[0].headers["if-modified-since"] == "then"


def test_304_without_a_conditional_request_is_an_error(
    server: RecordedServer, clock: FakeClock
) -> None:
    server.script("/kev.json", Scripted(304))
    with polite(clock) as client, pytest.raises(FeedStatusError, match="HTTP 304"):
        client.get(f"{server.url}/kev.json")


def test_connection_refused_is_retried_then_reported(clock: FakeClock) -> None:
    url = f"http://127.0.0.1:{closed_port()}/feed"
    with (
        polite(clock, retry=RetryPolicy(attempts=3)) as client,
        pytest.raises(FeedUnavailable, match=f"GET {url}: connection failed") as raised,
    ):
        client.get(url)
    assert raised.value.attempts == 3
    assert len(clock.sleeps) == 2


def test_an_invalid_url_is_a_feed_error(clock: FakeClock) -> None:
    with (
        polite(clock) as client,
        pytest.raises(FeedError, match=re.escape("ftp://example.invalid/x")),
    ):
        client.get("ftp://example.invalid/x")


# --- redirects ----------------------------------------------------------------------------------


def test_same_origin_redirects_are_followed_and_listed(
    server: RecordedServer, clock: FakeClock
) -> None:
    server.script("/old", Scripted(301, headers={"Location": "/new"}))
    server.script("/new", Scripted(302, headers={"Location": f"{server.url}/final"}))
    server.script("/final", Scripted(body=b"here"))
    with polite(clock, redirects="same-origin") as client:
        response = client.get(f"{server.url}/old")
    assert response.content == b"here"
    assert response.url == f"{server.url}/old"
    assert response.redirects == (f"{server.url}/new", f"{server.url}/final")
    assert response.final_url == f"{server.url}/final"
    assert [r.path for r in server.requests] == ["/old", "/new", "/final"]


def test_a_redirect_to_another_port_is_refused_naming_both_origins(
    server: RecordedServer, clock: FakeClock
) -> None:
    with RecordedServer(clock=clock.monotonic) as other:
        other.script("/doc", Scripted(body=b"elsewhere"))
        server.script("/doc", Scripted(302, headers={"Location": f"{other.url}/doc"}))
        with (
            polite(clock, redirects="same-origin") as client,
            pytest.raises(FeedRedirectRefused) as refused,
        ):
            client.get(f"{server.url}/doc")
        assert other.requests == []
    error = refused.value
    assert (error.url, error.status, error.target) == (f"{server.url}/doc", 302, f"{other.url}/doc")
    assert str(error) == (
        f"GET {server.url}/doc: HTTP 302 redirects from {server.url} to {other.url}, another "
        "origin: not followed (this client follows same-origin redirects only)"
    )
    assert isinstance(error, FeedStatusError)  # retrying cannot change it: asked once
    assert len(server.requests) == 1 and clock.sleeps == []


def test_another_name_for_the_same_machine_is_another_origin(
    server: RecordedServer, clock: FakeClock
) -> None:
    elsewhere = server.url.replace("127.0.0.1", "localhost")
    server.script("/a", Scripted(302, headers={"Location": "/b"}))
    server.script("/b", Scripted(307, headers={"Location": f"{elsewhere}/c"}))
    with (
        polite(clock, redirects="same-origin") as client,
        pytest.raises(FeedRedirectRefused, match=f"from {server.url} to {elsewhere},") as refused,
    ):
        client.get(f"{server.url}/a")
    # the hop that left the origin is named, after the same-origin one that was followed
    assert refused.value.url == f"{server.url}/b"
    assert [r.path for r in server.requests] == ["/a", "/b"]


def test_by_default_redirects_to_another_origin_are_followed(
    server: RecordedServer, clock: FakeClock
) -> None:
    with RecordedServer(clock=clock.monotonic) as other:
        other.script("/doc", Scripted(body=b"elsewhere"))
        server.script("/doc", Scripted(302, headers={"Location": f"{other.url}/doc"}))
        with polite(clock) as client:
            response = client.get(f"{server.url}/doc")
    assert response.content == b"elsewhere"
    assert response.redirects == (f"{other.url}/doc",)


def test_a_redirect_loop_stops_at_max_redirects(server: RecordedServer, clock: FakeClock) -> None:
    server.script("/loop", Scripted(302, headers={"Location": "/loop"}))
    with (
        polite(clock, max_redirects=3) as client,
        pytest.raises(FeedStatusError, match="more than 3 redirects"),
    ):
        client.get(f"{server.url}/loop")
    assert len(server.requests) == 4


def test_each_redirect_hop_counts_against_the_rate_limit(
    server: RecordedServer, clock: FakeClock
) -> None:
    server.script("/a", Scripted(302, headers={"Location": "/b"}))
    server.script("/b", Scripted(body=b"ok"))
    with polite(clock, rate_limit=RateLimit(1, 10.0)) as client:
        assert client.get(f"{server.url}/a").content == b"ok"
    assert [r.time for r in server.requests] == [0.0, 10.0]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://a.example/x", "https://a.example"),
        ("https://a.example:443/", "https://a.example"),
        ("http://A.Example:8080/p?q=1", "http://a.example:8080"),
        ("http://[::1]:80/", "http://[::1]"),
    ],
    ids=["path dropped", "default port", "case and port", "ipv6"],
)
def test_origin(url: str, expected: str) -> None:
    assert origin(url) == expected


def test_an_unknown_redirect_policy_is_refused() -> None:
    with pytest.raises(ValueError, match="'same-host'"):
        PoliteClient(redirects="same-host")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120.0),
        ("0", 0.0),
        (format_datetime(START + timedelta(seconds=90), usegmt=True), 90.0),
        (format_datetime(START - timedelta(seconds=90), usegmt=True), 0.0),
        ("-5", None),
        ("soon", None),
    ],
    ids=["seconds", "zero", "http-date", "date-in-the-past", "negative", "garbage"],
)
def test_parse_retry_after(value: str, seconds: float | None) -> None:
    assert parse_retry_after(value, START) == seconds
