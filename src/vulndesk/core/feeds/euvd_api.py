"""EUVD (ENISA European Vulnerability Database): the ``search`` API paged by date, and one record.

``GET <base>/search?fromDate=YYYY-MM-DD&toDate=YYYY-MM-DD&page=N&size=M`` answers
``{"items": [...], "total": T}``; ``size`` is at most 100 and ``page`` counts from 0. The dates
have day precision, so an incremental sync asks again for the day it last reached (records seen
twice are re-imported idempotently) rather than risk missing the rest of that day.
``GET <base>/enisaid?id=EUVD-YYYY-N`` answers one record. (The reference marks the field names as
taken from client code; the paging reads only ``items`` and ``total``.)

Cursor: ``{"synced_until": "YYYY-MM-DD"}`` when done, or while paging
``{"synced_until": <from date or None>, "to_date": "YYYY-MM-DD", "page": N}`` (pages before N
done). With no cursor the search has no ``fromDate``: everything up to today.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import orjson

from vulndesk.core.errors import IdentifierError
from vulndesk.core.feeds.fetching import Cursor, FeedBatch, FeedDocument, cursor_date, cursor_int
from vulndesk.core.feeds.http import FeedFormatError, FeedResponse, PoliteClient

__all__ = ["EUVD_API_URL", "EUVD_MAX_PAGE_SIZE", "EuvdFetcher"]

EUVD_API_URL = "https://euvdservices.enisa.europa.eu/api"
EUVD_MAX_PAGE_SIZE = 100
_EUVD_ID = re.compile(r"EUVD-\d{4}-\d+")


class EuvdFetcher:
    """Fetch EUVD search pages (raw JSON) changed since the cursor's date, one batch per page."""

    source = "euvd"

    def __init__(
        self, client: PoliteClient, *, url: str = EUVD_API_URL, page_size: int = EUVD_MAX_PAGE_SIZE
    ) -> None:
        if not 1 <= page_size <= EUVD_MAX_PAGE_SIZE:
            raise ValueError(f"EUVD page size must be 1..100, not {page_size}")
        self.client = client
        self.url = url.rstrip("/")
        self.page_size = page_size

    def fetch(self, cursor: Cursor | None) -> Iterator[FeedBatch]:
        """Yield one batch per search page from the cursor's date (or the beginning) to today."""
        cursor = cursor or {}
        since = cursor_date(cursor, "synced_until", self.source)
        until = cursor_date(cursor, "to_date", self.source)
        page = 0
        if until is not None:
            page = cursor_int(cursor, "page", self.source) or 0
        else:
            until = self.client.clock.now().date()
        since_text = since.isoformat() if since else None
        while True:
            params: dict[str, str | int] = {"toDate": until.isoformat()}
            if since_text:
                params["fromDate"] = since_text
            params |= {"page": page, "size": self.page_size}
            response = self.client.get(f"{self.url}/search", params=params)
            total, count = _search_counts(response)
            done = page * self.page_size + count
            complete = done >= total
            if count == 0 and not complete:
                raise FeedFormatError(
                    f"page {page} is empty although total is {total}", url=response.url
                )
            documents: tuple[FeedDocument, ...] = ()
            if count:
                documents = (
                    FeedDocument(
                        name=f"euvd search page={page}",
                        url=response.url,
                        content=response.content,
                        media_type="application/json",
                    ),
                )
            next_cursor: Cursor = (
                {"synced_until": until.isoformat()}
                if complete
                else {"synced_until": since_text, "to_date": until.isoformat(), "page": page + 1}
            )
            yield FeedBatch(
                cursor=next_cursor, documents=documents, done=min(done, total), total=total
            )
            if complete:
                return
            page += 1

    def fetch_record(self, euvd_id: str) -> FeedDocument:
        """Return one EUVD record (raw JSON) by its id, ``EUVD-YYYY-N``."""
        if not _EUVD_ID.fullmatch(euvd_id):
            raise IdentifierError(f"not an EUVD id: {euvd_id!r}")
        response = self.client.get(f"{self.url}/enisaid", params={"id": euvd_id})
        return FeedDocument(
            name=euvd_id, url=response.url, content=response.content, media_type="application/json"
        )


def _search_counts(response: FeedResponse) -> tuple[int, int]:
    """Return (total, number of items) of an EUVD search page, reading nothing else."""
    try:
        page = orjson.loads(response.content)
    except orjson.JSONDecodeError as e:
        raise FeedFormatError(f"EUVD search page is not JSON: {e}", url=response.url) from e
    if not isinstance(page, dict):
        raise FeedFormatError("EUVD search page is not a JSON object", url=response.url)
    total, items = page.get("total"), page.get("items")
    if isinstance(total, bool) or not isinstance(total, int) or total < 0:
        raise FeedFormatError(f"$.total is not a count: {total!r}", url=response.url)
    if not isinstance(items, list):
        raise FeedFormatError("$.items is not an array", url=response.url)
    return total, len(items)
