"""OSV bulk export: an ecosystem's ``all.zip`` once, then the records ``modified_id.csv`` names.

The export (https://google.github.io/osv.dev/data/#data-dumps) publishes, per ecosystem,
``<base>/<Ecosystem>/all.zip`` with every record, ``<base>/<Ecosystem>/<id>.json`` per record, and
``<base>/<Ecosystem>/modified_id.csv``: rows ``<modified>,<id>`` sorted newest first. An
incremental sync reads that CSV only down to the first row not newer than the cursor, then fetches
those records one by one, oldest first, so that the cursor can advance with each batch.

GitHub Security Advisories are synced through this export too (ecosystems npm, Maven, PyPI...
carry the GHSA records), as the reference prefers over the token-bound GraphQL API:
:func:`github_advisories_fetcher` is this fetcher by another name.

Cursor: ``{"modified": "<timestamp as written in modified_id.csv>"}``; every record modified up
to then is fetched. With no cursor the fetcher downloads ``all.zip`` (streamed to ``dest_dir``),
having first read the newest timestamp of ``modified_id.csv``, which becomes the cursor. Reading
it before the zip errs on the safe side: a record changed between the two reads is fetched again
by the next sync (re-import is idempotent), never missed.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

from vulndesk.core.feeds.fetching import (
    Cursor,
    FeedBatch,
    FeedDocument,
    FeedFile,
    cursor_str,
    cursor_time,
    parse_utc,
)
from vulndesk.core.feeds.http import FeedFormatError, PoliteClient

__all__ = [
    "OSV_BASE_URL",
    "OSV_MAX_ZIP_BYTES",
    "ModifiedRow",
    "OsvEcosystemFetcher",
    "github_advisories_fetcher",
]

OSV_BASE_URL = "https://osv-vulnerabilities.storage.googleapis.com"
OSV_MAX_ZIP_BYTES = 4 << 30
# ids are used as a path segment: no separators, no dot-dot
_OSV_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:+-]*")


@dataclass(frozen=True, slots=True)
class ModifiedRow:
    """One row of ``modified_id.csv``: when a record last changed, and its id."""

    modified: datetime
    stamp: str
    id: str


class OsvEcosystemFetcher:
    """Sync one OSV ecosystem: the bulk zip first, then changed records from ``modified_id.csv``."""

    source = "osv"

    def __init__(
        self,
        client: PoliteClient,
        ecosystem: str,
        *,
        dest_dir: Path,
        base_url: str = OSV_BASE_URL,
        batch_size: int = 100,
        max_zip_bytes: int = OSV_MAX_ZIP_BYTES,
    ) -> None:
        if not ecosystem or "/" in ecosystem or ecosystem in {".", ".."}:
            raise ValueError(f"invalid OSV ecosystem name {ecosystem!r}")
        if batch_size < 1:
            raise ValueError(f"batch size must be positive, not {batch_size}")
        self.client = client
        self.ecosystem = ecosystem
        self.dest_dir = dest_dir
        self.batch_size = batch_size
        self.max_zip_bytes = max_zip_bytes
        self.ecosystem_url = f"{base_url.rstrip('/')}/{quote(ecosystem, safe='')}"

    @property
    def modified_csv_url(self) -> str:
        """Return the URL of the ecosystem's ``modified_id.csv``."""
        return f"{self.ecosystem_url}/modified_id.csv"

    @property
    def zip_url(self) -> str:
        """Return the URL of the ecosystem's ``all.zip``."""
        return f"{self.ecosystem_url}/all.zip"

    def record_url(self, osv_id: str) -> str:
        """Return the URL of one record's JSON."""
        if not _OSV_ID.fullmatch(osv_id) or ".." in osv_id:
            raise FeedFormatError(f"unsafe OSV id {osv_id!r}", url=self.modified_csv_url)
        return f"{self.ecosystem_url}/{quote(osv_id, safe='')}.json"

    def fetch(self, cursor: Cursor | None) -> Iterator[FeedBatch]:
        """Yield the bulk zip (no cursor) or the records changed since the cursor, oldest first."""
        since = cursor_time(cursor, "modified", self.source) if cursor else None
        if since is None:
            yield self._bulk()
            return
        stamp = cursor_str(cursor or {}, "modified", self.source) or ""
        rows = list(self.rows_newer_than(since))
        rows.reverse()  # oldest first: the cursor may then advance after each batch
        for start in range(0, len(rows), self.batch_size):
            chunk = rows[start : start + self.batch_size]
            documents = tuple(self._record(row) for row in chunk)
            stamp = _safe_stamp(rows, start + len(chunk) - 1, stamp)
            yield FeedBatch(
                cursor={"modified": stamp},
                documents=documents,
                done=start + len(chunk),
                total=len(rows),
            )

    def rows_newer_than(self, since: datetime | None) -> Generator[ModifiedRow]:
        """Yield ``modified_id.csv`` rows newer than ``since``, newest first, reading no further.

        The CSV is streamed and the connection closed at the first row that is not newer, so an
        incremental sync reads a few lines of a file that lists the whole ecosystem.
        """
        url = self.modified_csv_url
        with self.client.stream(url) as body:
            for number, line in enumerate(body.iter_lines(), start=1):
                if not line.strip():
                    continue
                row = _parse_row(line, url, number)
                if since is not None and row.modified <= since:
                    return
                yield row

    def _bulk(self) -> FeedBatch:
        with closing(self.rows_newer_than(None)) as rows:
            newest = next(rows, None)
        response = self.client.download(
            self.zip_url,
            self.dest_dir / f"{_file_stem(self.ecosystem)}-all.zip",
            max_bytes=self.max_zip_bytes,
        )
        assert response.path is not None  # not conditional: never a 304
        zip_file = FeedFile(
            name=f"{self.ecosystem}/all.zip",
            url=response.url,
            path=response.path,
            size=response.size,
            sha256=response.sha256,
        )
        return FeedBatch(
            cursor={"modified": newest.stamp if newest else None}, files=(zip_file,), done=1
        )

    def _record(self, row: ModifiedRow) -> FeedDocument:
        response = self.client.get(self.record_url(row.id))
        return FeedDocument(
            name=row.id, url=response.url, content=response.content, media_type="application/json"
        )


def github_advisories_fetcher(
    client: PoliteClient, ecosystem: str, *, dest_dir: Path, base_url: str = OSV_BASE_URL
) -> OsvEcosystemFetcher:
    """Return the fetcher for GitHub advisories of one ecosystem: the OSV export carries them.

    The GHSA records in an ecosystem's OSV export are the github/advisory-database records in OSV
    format; the GraphQL ``securityAdvisories`` API would need a token and adds nothing we use.
    """
    return OsvEcosystemFetcher(client, ecosystem, dest_dir=dest_dir, base_url=base_url)


def _parse_row(line: str, url: str, number: int) -> ModifiedRow:
    stamp, comma, osv_id = line.partition(",")
    stamp, osv_id = stamp.strip(), osv_id.strip()
    if not comma or not osv_id:
        raise FeedFormatError(f"line {number}: expected '<timestamp>,<id>', got {line!r}", url=url)
    try:
        modified = parse_utc(stamp)
    except ValueError as e:
        raise FeedFormatError(f"line {number}: not a timestamp: {stamp!r}", url=url) from e
    return ModifiedRow(modified=modified, stamp=stamp, id=osv_id)


def _safe_stamp(rows: list[ModifiedRow], last: int, previous: str) -> str:
    """Return the newest timestamp all of whose rows are among ``rows[: last + 1]`` (oldest first).

    Rows sharing a timestamp may straddle a batch boundary; the cursor must then stay below that
    timestamp, or resuming would skip the rest of them.
    """
    if last + 1 == len(rows) or rows[last + 1].modified > rows[last].modified:
        return rows[last].stamp
    tied = rows[last].modified
    for row in reversed(rows[:last]):
        if row.modified < tied:
            return row.stamp
    return previous


def _file_stem(ecosystem: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", ecosystem)
