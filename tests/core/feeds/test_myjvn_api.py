"""MyJVN fetcher against a loopback server: JVNRSS pages per language, pauses, details (VULDEF,
and CSAF from MyJVN API 4.0)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from core.feeds.loopback import FakeClock, RecordedRequest, RecordedServer, Scripted
from support import FIXTURES
from vulndesk.core.errors import IdentifierError
from vulndesk.core.feeds.http import FeedApiError, FeedFormatError, PoliteClient
from vulndesk.core.feeds.myjvn_api import DetailRecords, MyJvnFetcher

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


def csaf_detail(vuln_id: str, lang: str) -> bytes:
    """Return the hand-made CSAF detail of JVNDB-2026-012345 in ``lang``, as ``vuln_id``'s."""
    data = (ONLINE / f"myjvn-csaf-JVNDB-2026-012345-{lang}.json").read_bytes()
    return data.replace(b"JVNDB-2026-012345", vuln_id.encode())


def by_start_item(request: RecordedRequest) -> Scripted:
    if request.param("method") == "getVulnDetailInfo" and request.param("feed") == "oka":
        body = csaf_detail(request.param("vulnId") or "", request.param("lang") or "ja")
        return Scripted(body=body, headers={"Content-Type": "application/json"})
    if request.param("method") == "getVulnDetailInfo":
        return Scripted(body=(ONLINE / "vuldef-JVNDB-2026-012345.xml").read_bytes())
    return Scripted(body=PAGES[request.param("startItem") or ""])


def fetcher(
    server: RecordedServer,
    clock: FakeClock,
    *,
    pause: float = 0.0,
    details: DetailRecords = "none",
) -> MyJvnFetcher:
    client = PoliteClient(clock=clock)
    return MyJvnFetcher(
        client, url=f"{server.url}/myjvn", page_size=2, pause=pause, details=details
    )


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


# --- detail records as CSAF (feed=oka) ------------------------------------------------------------


def test_csaf_details_of_every_listed_record_in_the_pages_language(
    server: RecordedServer, clock: FakeClock
) -> None:
    batches = list(
        fetcher(server, clock, details="csaf", pause=1.0).fetch({"synced_until": "2026-11-18"})
    )
    calls = [
        (r.param("method"), r.param("feed"), r.param("lang"), r.param("vulnId"))
        for r in server.requests
    ]
    overview, detail = "getVulnOverviewList", "getVulnDetailInfo"
    assert calls == [
        (overview, "hnd", "ja", None),
        (detail, "oka", "ja", "JVNDB-2026-012345"),
        (detail, "oka", "ja", "JVNDB-2026-012346"),
        (overview, "hnd", "ja", None),
        (detail, "oka", "ja", "JVNDB-2026-012347"),
        (overview, "hnd", "en", None),
        (detail, "oka", "en", "JVNDB-2026-012345"),
        (detail, "oka", "en", "JVNDB-2026-012346"),
        (overview, "hnd", "en", None),
        (detail, "oka", "en", "JVNDB-2026-012347"),
    ]
    assert [r.time for r in server.requests] == [float(n) for n in range(10)]  # a pause apart
    first = batches[0]
    assert [d.name for d in first.documents] == [
        "JVNDB-2026-012345 (ja, CSAF)",
        "JVNDB-2026-012346 (ja, CSAF)",
    ]
    assert {d.media_type for b in batches for d in b.documents} == {"application/json"}
    assert first.documents[0].content == csaf_detail("JVNDB-2026-012345", "ja")
    assert "feed=oka" in first.documents[0].url and "vulnId=JVNDB-2026-012345" in (
        first.documents[0].url
    )
    # paging and cursors are the overview's, as without details
    assert [b.cursor for b in batches] == [
        {"synced_until": "2026-11-18", "to_date": "2026-11-20", "lang": "ja", "start_item": 3},
        {"synced_until": "2026-11-18", "to_date": "2026-11-20", "lang": "en", "start_item": 1},
        {"synced_until": "2026-11-18", "to_date": "2026-11-20", "lang": "en", "start_item": 3},
        {"synced_until": "2026-11-20"},
    ]


def detail_answer(server: RecordedServer, answer: Scripted) -> None:
    def route(request: RecordedRequest) -> Scripted:
        return answer if request.param("feed") == "oka" else by_start_item(request)

    server.route("/myjvn", route)


@pytest.mark.parametrize(
    ("answer", "error", "message"),
    [
        (
            Scripted(
                body=b"<html><body>maintenance</body></html>", headers={"Content-Type": "text/html"}
            ),
            FeedFormatError,
            "expected the CSAF document (JSON) of JVNDB-2026-012345, got text/html starting "
            "'<html><body>maintenance</body></html>'",
        ),
        (
            Scripted(body=b'{"status": {"retCd": 1, "errCd": "1003", "errMsg": "No data"}}'),
            FeedApiError,
            "MyJVN error 1003: No data",
        ),
        (
            Scripted(body=b'{"objects": [], "status": {"retCd": 0}}'),
            FeedFormatError,
            "expected the CSAF document (JSON) of JVNDB-2026-012345: ",
        ),
        (
            Scripted(body=b"[]"),
            FeedFormatError,
            "expected the CSAF document (JSON) of JVNDB-2026-012345, got a JSON list",
        ),
        (
            Scripted(body=csaf_detail("JVNDB-2026-099999", "ja")),
            FeedFormatError,
            "expected the CSAF document (JSON) of JVNDB-2026-012345, got the one of "
            "'JVNDB-2026-099999'",
        ),
    ],
    ids=["html", "myjvn error", "not csaf (a STIX bundle)", "not an object", "another record"],
)
def test_a_detail_that_is_not_the_records_csaf_names_the_url_and_what_was_expected(
    server: RecordedServer,
    clock: FakeClock,
    answer: Scripted,
    error: type[Exception],
    message: str,
) -> None:
    detail_answer(server, answer)
    with pytest.raises(error) as raised:
        list(fetcher(server, clock, details="csaf").fetch({"synced_until": "2026-11-18"}))
    url = f"{server.url}/myjvn?method=getVulnDetailInfo&feed=oka&vulnId=JVNDB-2026-012345&lang=ja"
    assert str(raised.value).startswith(f"GET {url}: {message}")


def test_an_unknown_details_setting_is_refused(server: RecordedServer, clock: FakeClock) -> None:
    with pytest.raises(ValueError, match="'vuldef'"):
        fetcher(server, clock, details="vuldef")  # type: ignore[arg-type]
