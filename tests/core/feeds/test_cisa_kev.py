"""CISA KEV fetcher against a loopback server: conditional GET."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from core.feeds.loopback import FakeClock, RecordedRequest, RecordedServer, Scripted
from support import FIXTURES
from vulndesk.core.feeds.cisa_kev import KevFetcher
from vulndesk.core.feeds.http import PoliteClient

KEV = (FIXTURES / "feeds" / "online" / "kev.json").read_bytes()
PATH = "/sites/default/files/feeds/known_exploited_vulnerabilities.json"
ETAG = '"6738a1f2-1b4c3"'
LAST_MODIFIED = "Thu, 19 Nov 2026 17:00:12 GMT"


@pytest.fixture
def server() -> Iterator[RecordedServer]:
    with RecordedServer() as recorded:
        yield recorded


def conditional(request: RecordedRequest) -> Scripted:
    if request.headers.get("if-none-match") == ETAG:
        return Scripted(304, headers={"ETag": ETAG})
    return Scripted(body=KEV, headers={"ETag": ETAG, "Last-Modified": LAST_MODIFIED})


def test_the_catalogue_then_304_when_unchanged(server: RecordedServer) -> None:
    server.route(PATH, conditional)
    with PoliteClient(clock=FakeClock()) as client:
        kev = KevFetcher(client, url=f"{server.url}{PATH}")
        (first,) = kev.fetch(None)
        (second,) = kev.fetch(first.cursor)
    (catalogue,) = first.documents
    assert catalogue.content == KEV
    assert first.cursor["etag"] == ETAG and first.cursor["last_modified"] == LAST_MODIFIED
    assert second.documents == () and second.cursor == first.cursor
    assert "if-none-match" not in server.requests[0].headers
    assert server.requests[1].headers["if-none-match"] == ETAG
    assert server.requests[1].headers["if-modified-since"] == LAST_MODIFIED


def test_the_same_bytes_without_validators_are_not_news(server: RecordedServer) -> None:
    server.route(PATH, lambda request: Scripted(body=KEV))
    with PoliteClient(clock=FakeClock()) as client:
        kev = KevFetcher(client, url=f"{server.url}{PATH}")
        (first,) = kev.fetch(None)
        (second,) = kev.fetch(first.cursor)
    assert first.documents and second.documents == ()
    assert (
        first.cursor
        == second.cursor
        == {
            "etag": None,
            "last_modified": None,
            "sha256": first.cursor["sha256"],
        }
    )
