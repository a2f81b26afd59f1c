"""EUVD fetcher against a loopback server: search pages from the cursor's date, one record."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from core.feeds.loopback import FakeClock, RecordedRequest, RecordedServer, Scripted
from support import FIXTURES
from vulndesk.core.errors import IdentifierError
from vulndesk.core.feeds.euvd_api import EuvdFetcher
from vulndesk.core.feeds.http import PoliteClient

ONLINE = FIXTURES / "feeds" / "online"
PAGES = {
    "0": (ONLINE / "euvd-search-page-0.json").read_bytes(),
    "1": (ONLINE / "euvd-search-page-1.json").read_bytes(),
}


@pytest.fixture
def server() -> Iterator[RecordedServer]:
    with RecordedServer() as recorded:
        recorded.route("/api/search", by_page)
        yield recorded


def by_page(request: RecordedRequest) -> Scripted:
    return Scripted(body=PAGES[request.param("page") or ""])


def fetcher(server: RecordedServer) -> EuvdFetcher:
    return EuvdFetcher(PoliteClient(clock=FakeClock()), url=f"{server.url}/api", page_size=2)


def test_three_results_come_in_two_pages_from_the_cursor_date(server: RecordedServer) -> None:
    batches = list(fetcher(server).fetch({"synced_until": "2026-11-19"}))
    assert [
        (r.param("fromDate"), r.param("toDate"), r.param("page"), r.param("size"))
        for r in server.requests
    ] == [("2026-11-19", "2026-11-20", "0", "2"), ("2026-11-19", "2026-11-20", "1", "2")]
    assert [b.documents[0].content for b in batches] == [PAGES["0"], PAGES["1"]]
    assert [b.cursor for b in batches] == [
        {"synced_until": "2026-11-19", "to_date": "2026-11-20", "page": 1},
        {"synced_until": "2026-11-20"},
    ]
    assert [(b.done, b.total) for b in batches] == [(2, 3), (3, 3)]


def test_an_interrupted_search_resumes_at_its_page(server: RecordedServer) -> None:
    resume = {"synced_until": "2026-11-10", "to_date": "2026-11-15", "page": 1}
    (batch,) = fetcher(server).fetch(resume)
    (request,) = server.requests
    assert (request.param("fromDate"), request.param("toDate"), request.param("page")) == (
        "2026-11-10",
        "2026-11-15",
        "1",
    )
    assert batch.cursor == {"synced_until": "2026-11-15"}


def test_with_no_cursor_the_search_has_no_start_date(server: RecordedServer) -> None:
    batches = list(fetcher(server).fetch(None))
    assert [r.param("fromDate") for r in server.requests] == [None, None]
    assert batches[0].cursor == {"synced_until": None, "to_date": "2026-11-20", "page": 1}


def test_one_record_by_its_id(server: RecordedServer) -> None:
    server.route("/api/enisaid", lambda request: Scripted(body=b'{"id": "EUVD-2026-40001"}'))
    document = fetcher(server).fetch_record("EUVD-2026-40001")
    assert document.content == b'{"id": "EUVD-2026-40001"}'
    assert server.requests[0].param("id") == "EUVD-2026-40001"
    with pytest.raises(IdentifierError, match="not an EUVD id: 'EUVD-2026-1&x=1'"):
        fetcher(server).fetch_record("EUVD-2026-1&x=1")
