"""NVD CVE API 2.0: a full sync by plain paging, then incremental windows of ``lastModified``.

NVD's own guidance is to populate a copy by paging through the whole collection with
``startIndex`` and no filter, then keep it current with ``lastModStartDate``/``lastModEndDate``,
whose range may span at most 120 days. Pages hold at most 2,000 CVEs (``resultsPerPage``). Without
an API key NVD accepts 5 requests in a rolling 30 s window, with one (header ``apiKey``) 50.

Each page is one batch, so the cursor advances page by page and an interrupted sync resumes at
the page it stopped at, inside the same window. Cursor shapes (timestamps as sent to NVD,
``2026-11-20T12:00:00.000+00:00``):

- ``{"full_sync_started": T0, "start_index": N}``: a full sync begun at T0, pages before N done;
- ``{"synced_until": T}``: every CVE modified up to T is fetched;
- ``{"synced_until": T, "window_end": E, "start_index": N}``: the window (T, E] is being paged,
  pages before N done.

A finished full sync becomes ``{"synced_until": T0}``: what changed while it ran is fetched by the
following window.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Unpack

import orjson

from vulndesk.core.feeds.fetching import (
    Cursor,
    FeedBatch,
    FeedDocument,
    cursor_int,
    cursor_time,
)
from vulndesk.core.feeds.http import (
    ClientOptions,
    FeedCursorError,
    FeedFormatError,
    FeedResponse,
    PoliteClient,
    RateLimit,
)

__all__ = [
    "NVD_CVE_API_URL",
    "NVD_MAX_RESULTS_PER_PAGE",
    "NVD_MAX_WINDOW",
    "NVD_RATE_LIMIT",
    "NVD_RATE_LIMIT_WITH_KEY",
    "NvdCveFetcher",
    "nvd_client",
    "nvd_time",
]

NVD_CVE_API_URL = "https://services.nvd.nist.gov/rest/json/cves/2.0"
NVD_RATE_LIMIT = RateLimit(5, 30.0)
NVD_RATE_LIMIT_WITH_KEY = RateLimit(50, 30.0)
NVD_MAX_WINDOW = timedelta(days=120)
NVD_MAX_RESULTS_PER_PAGE = 2000


def nvd_client(*, api_key: str | None = None, **options: Unpack[ClientOptions]) -> PoliteClient:
    """Return a client paced for NVD: 5 requests per 30 s, or 50 with an API key (a header)."""
    return PoliteClient(
        rate_limit=NVD_RATE_LIMIT_WITH_KEY if api_key else NVD_RATE_LIMIT,
        headers={"apiKey": api_key} if api_key else None,
        **options,
    )


def nvd_time(value: datetime) -> str:
    """Return a UTC datetime the way NVD takes it: milliseconds and an explicit offset."""
    return f"{value:%Y-%m-%dT%H:%M:%S}.{value.microsecond // 1000:03d}+00:00"


def _to_ms(value: datetime) -> datetime:
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


class NvdCveFetcher:
    """Fetch NVD CVE API pages (raw JSON, ``vulnerabilities[].cve``), one batch per page."""

    source = "nvd"

    def __init__(
        self,
        client: PoliteClient,
        *,
        url: str = NVD_CVE_API_URL,
        results_per_page: int = NVD_MAX_RESULTS_PER_PAGE,
        window: timedelta = NVD_MAX_WINDOW,
    ) -> None:
        if not 1 <= results_per_page <= NVD_MAX_RESULTS_PER_PAGE:
            raise ValueError(f"resultsPerPage must be 1..2000, not {results_per_page}")
        if not timedelta(0) < window <= NVD_MAX_WINDOW:
            raise ValueError(f"the lastModified window must be at most 120 days, not {window}")
        self.client = client
        self.url = url
        self.results_per_page = results_per_page
        self.window = window

    def fetch(self, cursor: Cursor | None) -> Iterator[FeedBatch]:
        """Yield one batch per page: the rest of a full sync or window, then windows up to now."""
        now = _to_ms(self.client.clock.now())
        if not cursor:
            yield from self._full_sync(now, 0)
            synced = now
        elif (started := cursor_time(cursor, "full_sync_started", self.source)) is not None:
            yield from self._full_sync(started, cursor_int(cursor, "start_index", self.source) or 0)
            synced = started
        else:
            found = cursor_time(cursor, "synced_until", self.source)
            if found is None:
                raise FeedCursorError(
                    f"nvd cursor has neither 'synced_until' nor a full sync: {cursor}"
                )
            synced = found
            window_end = cursor_time(cursor, "window_end", self.source)
            if window_end is not None:
                start_index = cursor_int(cursor, "start_index", self.source) or 0
                yield from self._window(synced, window_end, start_index)
                synced = window_end
        while synced < now:
            end = min(synced + self.window, now)
            yield from self._window(synced, end, 0)
            synced = end

    def _full_sync(self, started: datetime, start_index: int) -> Iterator[FeedBatch]:
        begun = nvd_time(started)
        yield from self._pages(
            {},
            start_index,
            lambda index: {"full_sync_started": begun, "start_index": index},
            {"synced_until": begun},
        )

    def _window(self, start: datetime, end: datetime, start_index: int) -> Iterator[FeedBatch]:
        since, until = nvd_time(start), nvd_time(end)
        yield from self._pages(
            {"lastModStartDate": since, "lastModEndDate": until},
            start_index,
            lambda index: {"synced_until": since, "window_end": until, "start_index": index},
            {"synced_until": until},
        )

    def _pages(
        self,
        query: dict[str, str],
        start_index: int,
        resume_at: Callable[[int], Cursor],
        finished: Cursor,
    ) -> Iterator[FeedBatch]:
        """Yield the pages of one query from ``start_index``; the last carries ``finished``."""
        index = start_index
        while True:
            params: dict[str, str | int] = {
                **query,
                "resultsPerPage": self.results_per_page,
                "startIndex": index,
            }
            response = self.client.get(self.url, params=params)
            total, count = _page_counts(response)
            following = index + count
            complete = following >= total
            if count == 0 and not complete:
                # paging on would ask for the same page forever; the next run retries from here
                raise FeedFormatError(
                    f"page at startIndex {index} is empty although totalResults is {total}",
                    url=response.url,
                )
            documents: tuple[FeedDocument, ...] = ()
            if count:
                documents = (
                    FeedDocument(
                        name=f"nvd startIndex={index}",
                        url=response.url,
                        content=response.content,
                        media_type="application/json",
                    ),
                )
            yield FeedBatch(
                cursor=finished if complete else resume_at(following),
                documents=documents,
                done=min(following, total),
                total=total,
            )
            if complete:
                return
            index = following


def _page_counts(response: FeedResponse) -> tuple[int, int]:
    """Return (totalResults, number of vulnerabilities) of an NVD page, reading nothing else."""
    try:
        page = orjson.loads(response.content)
    except orjson.JSONDecodeError as e:
        raise FeedFormatError(f"NVD page is not JSON: {e}", url=response.url) from e
    if not isinstance(page, dict):
        raise FeedFormatError("NVD page is not a JSON object", url=response.url)
    total = page.get("totalResults")
    vulnerabilities = page.get("vulnerabilities")
    if isinstance(total, bool) or not isinstance(total, int) or total < 0:
        raise FeedFormatError(f"$.totalResults is not a count: {total!r}", url=response.url)
    if not isinstance(vulnerabilities, list):
        raise FeedFormatError("$.vulnerabilities is not an array", url=response.url)
    return total, len(vulnerabilities)
