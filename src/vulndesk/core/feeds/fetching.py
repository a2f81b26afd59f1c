"""The contract every feed fetcher follows: batches of raw documents, each with a cursor.

A fetcher's ``fetch(cursor)`` yields :class:`FeedBatch` values. A batch carries raw documents (bytes
exactly as the source served them, for the codecs in ``core.advisories`` and ``core.scoring``)
or files it downloaded, and the cursor to store *once those are processed*. Storing each batch's
cursor after processing it is what makes a sync resumable: an interrupted run leaves the cursor of
the last processed batch, and the next ``fetch`` from it fetches only what comes after.

A cursor is a small flat JSON object (``str``/``int``/``None`` values) that the server stores
verbatim; ``None`` as the cursor means "never synced" (a full sync). When ``fetch`` yields nothing
there was nothing to do and the stored cursor stays as it is.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Protocol

from vulndesk.core.feeds.http import FeedCursorError, FeedResponse

__all__ = [
    "Cursor",
    "CursorValue",
    "FeedBatch",
    "FeedDocument",
    "FeedFetcher",
    "FeedFile",
    "cursor_date",
    "cursor_int",
    "cursor_str",
    "cursor_time",
    "parse_utc",
    "validator_cursor",
]

CursorValue = str | int | None
Cursor = dict[str, CursorValue]


@dataclass(frozen=True, slots=True)
class FeedDocument:
    """One raw document as served: an API page, a record, a catalogue.

    ``name`` identifies it for messages and progress (``CVE-2024-1234``, ``nvd startIndex=2000``).
    """

    name: str
    url: str
    content: bytes
    media_type: str


@dataclass(frozen=True, slots=True)
class FeedFile:
    """A document downloaded to disk (bulk zips, the EPSS CSV), with its size and SHA-256."""

    name: str
    url: str
    path: Path
    size: int
    sha256: str


@dataclass(frozen=True, slots=True)
class FeedBatch:
    """Documents to process, then ``cursor`` to store; ``done``/``total`` feed a progress bar.

    ``total`` is the number of items the source announced for the current query (NVD
    ``totalResults``, EUVD ``total``...) when it announces one, and ``done`` how many of them are
    fetched so far, this batch included.
    """

    cursor: Cursor
    documents: tuple[FeedDocument, ...] = ()
    files: tuple[FeedFile, ...] = ()
    done: int = 0
    total: int | None = None


class FeedFetcher(Protocol):
    """A source's online sync: batches of raw documents from a cursor (see the module docstring)."""

    source: str

    def fetch(self, cursor: Cursor | None) -> Iterator[FeedBatch]:
        """Yield the batches that bring a copy synced up to ``cursor`` up to date."""
        ...


def parse_utc(text: str) -> datetime:
    """Return an ISO 8601 timestamp as an aware UTC datetime (naive ones are taken as UTC).

    Raises ValueError when it is not a timestamp.
    """
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def cursor_str(cursor: Cursor, key: str, source: str) -> str | None:
    """Return ``cursor[key]`` as a string (None when absent); raise if it is another type."""
    value = cursor.get(key)
    if value is None or isinstance(value, str):
        return value
    raise FeedCursorError(f"{source} cursor: {key!r} should be a string, not {value!r}")


def cursor_int(cursor: Cursor, key: str, source: str) -> int | None:
    """Return ``cursor[key]`` as a non-negative integer (None when absent); raise otherwise."""
    value = cursor.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise FeedCursorError(
            f"{source} cursor: {key!r} should be a non-negative integer, not {value!r}"
        )
    return value


def cursor_date(cursor: Cursor, key: str, source: str) -> date | None:
    """Return ``cursor[key]`` as a date, ``YYYY-MM-DD`` (None when absent); raise otherwise."""
    text = cursor_str(cursor, key, source)
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as e:
        raise FeedCursorError(f"{source} cursor: {key!r} is not a date: {text!r}") from e


def cursor_time(cursor: Cursor, key: str, source: str) -> datetime | None:
    """Return ``cursor[key]`` as a UTC datetime (None when absent); raise if it is not one."""
    text = cursor_str(cursor, key, source)
    if text is None:
        return None
    try:
        return parse_utc(text)
    except ValueError as e:
        raise FeedCursorError(f"{source} cursor: {key!r} is not a timestamp: {text!r}") from e


def validator_cursor(response: FeedResponse) -> Cursor:
    """Return a conditional-GET source's cursor after ``response``: its validators and digest."""
    return {
        "etag": response.etag,
        "last_modified": response.last_modified,
        "sha256": response.sha256,
    }
