"""CISA Known Exploited Vulnerabilities: one JSON catalogue, fetched only when it changed.

The catalogue is small (a few MB) and replaced as a whole, so a sync is one conditional GET:
``If-None-Match``/``If-Modified-Since`` from the cursor, and a 304 means nothing new. A server that
ignores the validators and sends the same bytes again is caught by the SHA-256 in the cursor.

Cursor: ``{"etag": ..., "last_modified": ..., "sha256": ...}`` (each may be None).
"""

from __future__ import annotations

from collections.abc import Iterator

from vulndesk.core.feeds.fetching import (
    Cursor,
    FeedBatch,
    FeedDocument,
    cursor_str,
    validator_cursor,
)
from vulndesk.core.feeds.http import PoliteClient

__all__ = ["KEV_URL", "KevFetcher"]

KEV_URL = "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json"


class KevFetcher:
    """Fetch the KEV catalogue (raw JSON) when it changed since the cursor."""

    source = "kev"

    def __init__(self, client: PoliteClient, *, url: str = KEV_URL) -> None:
        self.client = client
        self.url = url

    def fetch(self, cursor: Cursor | None) -> Iterator[FeedBatch]:
        """Yield one batch: the catalogue, or nothing when it is unchanged."""
        cursor = cursor or {}
        response = self.client.get(
            self.url,
            etag=cursor_str(cursor, "etag", self.source),
            last_modified=cursor_str(cursor, "last_modified", self.source),
        )
        if response.not_modified:
            yield FeedBatch(cursor=dict(cursor))
            return
        if response.sha256 == cursor.get("sha256"):
            yield FeedBatch(cursor=validator_cursor(response))
            return
        catalogue = FeedDocument(
            name="known_exploited_vulnerabilities.json",
            url=response.url,
            content=response.content,
            media_type="application/json",
        )
        yield FeedBatch(cursor=validator_cursor(response), documents=(catalogue,), done=1, total=1)
