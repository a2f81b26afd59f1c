"""FIRST EPSS: the daily scores file (conditional GET, streamed to disk) and the API for a few CVEs.

The daily ``epss_scores-current.csv.gz`` (about 300,000 rows) is kept gzip-compressed on disk as
served; ``core.scoring.epss`` reads it. Its cursor is the same as KEV's:
``{"etag": ..., "last_modified": ..., "sha256": ...}``, and an unchanged file yields no file.

The API (``https://api.first.org/data/v1/epss?cve=A,B,...``) answers for a list of CVEs; ids are
sent in groups of at most 100 (also the API's default page size, so one group is one page) and
at most ``max_query_chars`` characters, which keeps the URL far below common 8 KB limits.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from vulndesk.core.errors import IdentifierError
from vulndesk.core.feeds.fetching import (
    Cursor,
    FeedBatch,
    FeedDocument,
    FeedFile,
    cursor_str,
    validator_cursor,
)
from vulndesk.core.feeds.http import PoliteClient

__all__ = [
    "EPSS_API_URL",
    "EPSS_CSV_URL",
    "EpssApiFetcher",
    "EpssDailyFetcher",
]

EPSS_CSV_URL = "https://epss.empiricalsecurity.com/epss_scores-current.csv.gz"
EPSS_API_URL = "https://api.first.org/data/v1/epss"
_CVE_ID = re.compile(r"CVE-\d{4}-\d{4,}")


class EpssDailyFetcher:
    """Download the daily EPSS scores file into ``dest_dir`` when it changed since the cursor."""

    source = "epss"

    def __init__(
        self,
        client: PoliteClient,
        *,
        dest_dir: Path,
        url: str = EPSS_CSV_URL,
        max_bytes: int = 256 << 20,
    ) -> None:
        self.client = client
        self.dest_dir = dest_dir
        self.url = url
        self.max_bytes = max_bytes

    def fetch(self, cursor: Cursor | None) -> Iterator[FeedBatch]:
        """Yield one batch: the downloaded file, or none when it is unchanged."""
        cursor = cursor or {}
        name = self.url.rsplit("/", 1)[-1] or "epss_scores-current.csv.gz"
        response = self.client.download(
            self.url,
            self.dest_dir / name,
            max_bytes=self.max_bytes,
            etag=cursor_str(cursor, "etag", self.source),
            last_modified=cursor_str(cursor, "last_modified", self.source),
        )
        if response.not_modified:
            yield FeedBatch(cursor=dict(cursor))
            return
        new_cursor = validator_cursor(response)
        if response.sha256 == cursor.get("sha256") or response.path is None:
            yield FeedBatch(cursor=new_cursor)
            return
        scores = FeedFile(
            name=name,
            url=response.url,
            path=response.path,
            size=response.size,
            sha256=response.sha256,
        )
        yield FeedBatch(cursor=new_cursor, files=(scores,), done=1, total=1)


class EpssApiFetcher:
    """Ask the FIRST EPSS API about given CVEs, in groups that fit one URL (raw JSON answers)."""

    source = "epss-api"

    def __init__(
        self,
        client: PoliteClient,
        *,
        url: str = EPSS_API_URL,
        batch_size: int = 100,
        max_query_chars: int = 2000,
    ) -> None:
        if not 1 <= batch_size <= 100:
            raise ValueError(f"EPSS API batch size must be 1..100, not {batch_size}")
        self.client = client
        self.url = url
        self.batch_size = batch_size
        self.max_query_chars = max_query_chars

    def fetch_scores(self, cve_ids: Iterable[str]) -> Iterator[FeedDocument]:
        """Yield one API answer per group of CVE ids (``data[]``: cve, epss, percentile, date)."""
        for group in self.groups(cve_ids):
            response = self.client.get(self.url, params={"cve": ",".join(group)})
            yield FeedDocument(
                name=f"epss {group[0]}..{group[-1]}",
                url=response.url,
                content=response.content,
                media_type="application/json",
            )

    def groups(self, cve_ids: Iterable[str]) -> Iterator[list[str]]:
        """Yield the ids, checked and without repeats, in groups of allowed size and length."""
        group: list[str] = []
        length = 0
        seen: set[str] = set()
        for cve_id in cve_ids:
            if not _CVE_ID.fullmatch(cve_id):
                raise IdentifierError(f"not a CVE id: {cve_id!r}")
            if cve_id in seen:
                continue
            seen.add(cve_id)
            if group and (
                len(group) == self.batch_size or length + 1 + len(cve_id) > self.max_query_chars
            ):
                yield group
                group, length = [], 0
            length += len(cve_id) + (1 if group else 0)
            group.append(cve_id)
        if group:
            yield group
