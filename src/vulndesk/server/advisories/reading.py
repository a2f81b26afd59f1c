"""Reading and checking OSV sources for an import: everything an import does before the database.

Kept apart from the services (and free of Django) so that it can be measured and tested on its
own; reading in a second process was measured and did not pay for itself (docs/architecture.md,
"Import throughput").
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal, NamedTuple

import orjson

from vulndesk.core.advisories.osv import matching_subset, parse_osv
from vulndesk.core.advisories.sources import RecordProblem as SourceProblem
from vulndesk.core.advisories.sources import iter_osv_documents
from vulndesk.core.errors import AdvisoryError
from vulndesk.core.matching.identity import affected_lookup_key


class PreparedRecord(NamedTuple):
    """A checked record, reduced to what the import stores."""

    id: str
    modified: datetime
    published: datetime | None
    withdrawn: datetime | None
    summary: str
    aliases: tuple[str, ...]
    raw: str
    match: str
    location: str
    packages: tuple[tuple[str, str], ...]  # distinct (index ecosystem, lookup name)


@dataclass(frozen=True, slots=True)
class Refusal:
    """A record (or archive entry) that was not imported.

    ``kind``: ``invalid`` (skipped, reported) or ``ignored`` (not a record: a note).
    """

    location: str
    message: str
    kind: Literal["invalid", "ignored"]


def is_bulk_source(path: Path) -> bool:
    """Return whether ``path`` holds many records (a directory or a zip), where one bad record is
    reported and skipped; a single JSON file is all-or-nothing."""
    return path.is_dir() or zipfile.is_zipfile(path)


def prepare_records(paths: Sequence[Path]) -> Iterator[PreparedRecord | Refusal]:
    """Yield every record of ``paths`` checked and prepared, or why it was refused.

    Raises AdvisoryError for a source that cannot be read at all, or a bad single-file record.
    """
    for path in paths:
        bulk = is_bulk_source(path)
        for document in iter_osv_documents(path):
            if isinstance(document, SourceProblem):
                if document.kind == "ignored":
                    yield Refusal(document.location, document.message, "ignored")
                    continue
                if not bulk:
                    raise AdvisoryError(document.message, source=document.location)
                yield Refusal(document.location, document.message, "invalid")
                continue
            try:
                text = document.data.decode("utf-8")
                obj = orjson.loads(text)
                record = parse_osv(obj, source=document.location)
            except (UnicodeDecodeError, orjson.JSONDecodeError, AdvisoryError) as exc:
                if not bulk:
                    if isinstance(exc, AdvisoryError):
                        raise
                    raise AdvisoryError(_decode_error(exc), source=document.location) from exc
                yield Refusal(document.location, _problem_text(exc), "invalid")
                continue
            yield PreparedRecord(
                id=record.id,
                modified=record.modified,
                published=record.published,
                withdrawn=record.withdrawn,
                summary=record.summary or "",
                aliases=record.aliases,
                raw=text,
                match=orjson.dumps(matching_subset(obj)).decode(),
                location=document.location,
                packages=tuple(dict.fromkeys(affected_lookup_key(a) for a in record.affected)),
            )


def _decode_error(exc: Exception) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return f"not UTF-8 text (byte {exc.start})"
    return f"not valid JSON: {exc}"


def _problem_text(exc: Exception) -> str:
    if isinstance(exc, AdvisoryError):
        return f"{exc.location}: {exc.message}" if exc.location else exc.message
    return _decode_error(exc)
