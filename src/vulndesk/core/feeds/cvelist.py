"""CVE List V5 (CVEProject/cvelistV5): a release zip once, then the records the delta log names.

The repository publishes a daily release zip of every record as of midnight UTC
(``<date>_all_CVEs_at_midnight.zip``) and, next to the records, ``cves/delta.json`` (the last
hour's changes) and ``cves/deltaLog.json``: an array of such deltas, newest first, covering about
30 days. Each delta is ``{"fetchTime", "numberOfChanges", "new": [...], "updated": [...]}`` whose
items are ``{"cveId", "cveOrgLink", "githubLink"}`` (``githubLink``: the raw record URL).

Cursor: ``{"fetch_time": "<fetchTime of the last processed delta>"}``. A sync processes the deltas
after it, oldest first, one batch each, fetching each changed record once (at its latest delta).
With no cursor, or one older than the oldest delta in the log (the log no longer covers the gap),
the release zip is downloaded first and the deltas after its snapshot time follow.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

import orjson

from vulndesk.core.feeds.fetching import (
    Cursor,
    FeedBatch,
    FeedDocument,
    FeedFile,
    cursor_time,
    parse_utc,
)
from vulndesk.core.feeds.http import FeedFormatError, FeedResponse, PoliteClient

__all__ = [
    "CVELIST_DELTA_LOG_URL",
    "CVELIST_RECORD_URL_PREFIX",
    "CveListFetcher",
]

CVELIST_DELTA_LOG_URL = (
    "https://raw.githubusercontent.com/CVEProject/cvelistV5/main/cves/deltaLog.json"
)
CVELIST_RECORD_URL_PREFIX = "https://raw.githubusercontent.com/CVEProject/cvelistV5/"
_CVE_ID = re.compile(r"CVE-\d{4}-\d{4,}")


@dataclass(frozen=True, slots=True)
class _Change:
    cve_id: str
    url: str


@dataclass(frozen=True, slots=True)
class _Delta:
    fetch_time: datetime
    stamp: str
    changes: tuple[_Change, ...]


class CveListFetcher:
    """Sync CVE JSON 5 records from the CVE List: release zip, then deltas (raw record JSON)."""

    source = "cvelist"

    def __init__(
        self,
        client: PoliteClient,
        *,
        dest_dir: Path,
        release_zip_url: str,
        snapshot_time: datetime | None = None,
        delta_log_url: str = CVELIST_DELTA_LOG_URL,
        record_url_prefix: str = CVELIST_RECORD_URL_PREFIX,
        max_zip_bytes: int = 2 << 30,
    ) -> None:
        """Configure the fetcher.

        ``snapshot_time`` is when the release zip's content was taken; by default midnight UTC
        of the current day, which is what the daily ``..._at_midnight.zip`` holds. Record links in
        the delta log are only followed when they start with ``record_url_prefix``: the log is
        data from the network, and must not steer the client anywhere else.
        """
        self.client = client
        self.dest_dir = dest_dir
        self.release_zip_url = release_zip_url
        self.snapshot_time = snapshot_time
        self.delta_log_url = delta_log_url
        self.record_url_prefix = record_url_prefix
        self.max_zip_bytes = max_zip_bytes

    def fetch(self, cursor: Cursor | None) -> Iterator[FeedBatch]:
        """Yield the release zip when needed, then one batch per delta after the cursor."""
        since = cursor_time(cursor, "fetch_time", self.source) if cursor else None
        log = self._delta_log()
        if since is not None and log and since < log[0].fetch_time:
            since = None
        if since is None:
            release = self._release()
            yield release
            since = cursor_time(release.cursor, "fetch_time", self.source)
        pending = [delta for delta in log if since is None or delta.fetch_time > since]
        latest = {change.cve_id: n for n, delta in enumerate(pending) for change in delta.changes}
        total = len(latest)
        done = 0
        for n, delta in enumerate(pending):
            documents = tuple(
                self._record(change) for change in delta.changes if latest[change.cve_id] == n
            )
            done += len(documents)
            yield FeedBatch(
                cursor={"fetch_time": delta.stamp}, documents=documents, done=done, total=total
            )

    def _release(self) -> FeedBatch:
        midnight = self.client.clock.now().replace(hour=0, minute=0, second=0, microsecond=0)
        snapshot = self.snapshot_time or midnight
        name = Path(unquote(urlsplit(self.release_zip_url).path)).name or "cvelistV5.zip"
        response = self.client.download(
            self.release_zip_url,
            self.dest_dir / re.sub(r"[^A-Za-z0-9._-]+", "_", name),
            max_bytes=self.max_zip_bytes,
        )
        assert response.path is not None  # not conditional: never a 304
        release = FeedFile(
            name=name,
            url=response.url,
            path=response.path,
            size=response.size,
            sha256=response.sha256,
        )
        return FeedBatch(cursor={"fetch_time": snapshot.isoformat()}, files=(release,), done=1)

    def _delta_log(self) -> list[_Delta]:
        """Return the delta log's entries, oldest first."""
        response = self.client.get(self.delta_log_url)
        try:
            entries = orjson.loads(response.content)
        except orjson.JSONDecodeError as e:
            raise FeedFormatError(f"delta log is not JSON: {e}", url=response.url) from e
        if not isinstance(entries, list):
            raise FeedFormatError("delta log is not a JSON array", url=response.url)
        deltas = [self._delta(entry, n, response) for n, entry in enumerate(entries)]
        return sorted(deltas, key=lambda delta: delta.fetch_time)

    def _delta(self, entry: object, n: int, response: FeedResponse) -> _Delta:
        where = f"$[{n}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("fetchTime"), str):
            raise FeedFormatError(f"{where}: expected an object with fetchTime", url=response.url)
        stamp: str = entry["fetchTime"]
        try:
            fetch_time = parse_utc(stamp)
        except ValueError as e:
            raise FeedFormatError(f"{where}.fetchTime: {stamp!r}", url=response.url) from e
        changes: list[_Change] = []
        for kind in ("new", "updated"):
            items = entry.get(kind, [])
            if not isinstance(items, list):
                raise FeedFormatError(f"{where}.{kind} is not an array", url=response.url)
            for k, item in enumerate(items):
                changes.append(self._change(item, f"{where}.{kind}[{k}]", response))
        return _Delta(fetch_time=fetch_time, stamp=stamp, changes=tuple(changes))

    def _change(self, item: object, where: str, response: FeedResponse) -> _Change:
        if not isinstance(item, dict):
            raise FeedFormatError(f"{where} is not an object", url=response.url)
        cve_id, link = item.get("cveId"), item.get("githubLink")
        if not isinstance(cve_id, str) or not _CVE_ID.fullmatch(cve_id):
            raise FeedFormatError(f"{where}.cveId is not a CVE id: {cve_id!r}", url=response.url)
        if not isinstance(link, str) or not link.startswith(self.record_url_prefix):
            raise FeedFormatError(
                f"{where}.githubLink {link!r} is not under {self.record_url_prefix}",
                url=response.url,
            )
        return _Change(cve_id=cve_id, url=link)

    def _record(self, change: _Change) -> FeedDocument:
        response = self.client.get(change.url)
        return FeedDocument(
            name=change.cve_id,
            url=response.url,
            content=response.content,
            media_type="application/json",
        )
