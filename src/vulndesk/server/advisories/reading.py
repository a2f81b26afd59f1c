"""Reading and checking sources for an import: everything an import does before the database.

OSV sources are read here (``prepare_records``); records of the other formats, read by their
codecs (``formats.read_records``, or fetched by the sync), are prepared with
``prepare_advisory``.

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

from vulndesk.core.advisories.model import Advisory
from vulndesk.core.advisories.osv import matching_subset, parse_osv
from vulndesk.core.advisories.sources import RecordProblem as SourceProblem
from vulndesk.core.advisories.sources import iter_osv_documents
from vulndesk.core.advisories.stored import advisory_to_stored
from vulndesk.core.errors import AdvisoryError
from vulndesk.core.matching.identity import advisory_lookup_keys, affected_lookup_key


class PreparedRecord(NamedTuple):
    """A checked record, reduced to what the import stores.

    ``key`` is the storage key (``models.storage_key``: the id for OSV, ``<format>:<id>``
    otherwise), ``record_id`` the id as published.
    """

    key: str
    record_id: str
    format: str
    modified: datetime
    published: datetime | None
    withdrawn: datetime | None
    rejected: bool
    summary: str
    aliases: tuple[str, ...]
    raw: str
    match: str
    location: str
    packages: tuple[tuple[str, str], ...]  # distinct lookup keys (advisory_lookup_keys)


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
            yield _osv_record(record, obj, text, document.location)


def prepare_osv(advisory: Advisory, raw: str, location: str) -> PreparedRecord:
    """Return an OSV record the caller parsed (``raw`` is its text) as the import stores it."""
    return _osv_record(advisory, orjson.loads(raw), raw, location)


def _osv_record(record: Advisory, obj: object, text: str, location: str) -> PreparedRecord:
    return PreparedRecord(
        key=record.id,
        record_id=record.id,
        format="osv",
        modified=record.modified,
        published=record.published,
        withdrawn=record.withdrawn,
        rejected=False,
        summary=record.summary or "",
        aliases=record.aliases,
        raw=text,
        match=orjson.dumps(matching_subset(obj)).decode(),
        location=location,
        packages=tuple(dict.fromkeys(affected_lookup_key(a) for a in record.affected)),
    )


def prepare_advisory(advisory: Advisory, raw: str, location: str, format: str) -> PreparedRecord:
    """Return a non-OSV record read by its codec as the import stores it: ``match`` is its
    stored form (``stored.advisory_to_stored``), its packages its ``advisory_lookup_keys``."""
    key = f"{format}:{advisory.id}"
    if format == "jvn" or (format == "csaf" and advisory.id.startswith("JVNDB-")):
        # JVN publishes each record in Japanese and in English, as two documents (JVNRSS/VULDEF
        # or CSAF): both are kept, as two records of one alias group (a record joined from both
        # would keep only one of the documents it came from)
        key += f"@{_language(advisory)}"
    return PreparedRecord(
        key=key,
        record_id=advisory.id,
        format=format,
        modified=advisory.modified,
        published=advisory.published,
        withdrawn=advisory.withdrawn,
        rejected=advisory.rejected,
        summary=_headline(advisory),
        aliases=advisory.aliases,
        raw=raw,
        match=advisory_to_stored(advisory),
        location=location,
        packages=tuple(advisory_lookup_keys(advisory)),
    )


def _language(advisory: Advisory) -> str:
    """Return the language a JVN record is written in (its first title's or description's)."""
    for text in (*advisory.titles, *advisory.descriptions):
        if text.lang:
            return text.lang
    return "ja"  # JVN's own language


def _headline(advisory: Advisory) -> str:
    """Return the summary, else the first title, else the first line of the details."""
    if advisory.summary and advisory.summary.strip():
        return advisory.summary.strip()
    for title in advisory.titles:
        if title.text.strip():
            return title.text.strip()
    for line in (advisory.details or "").splitlines():
        if line.strip():
            text = line.strip()
            return text if len(text) <= 300 else text[:299] + "…"
    return ""


def _decode_error(exc: Exception) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return f"not UTF-8 text (byte {exc.start})"
    return f"not valid JSON: {exc}"


def _problem_text(exc: Exception) -> str:
    if isinstance(exc, AdvisoryError):
        return f"{exc.location}: {exc.message}" if exc.location else exc.message
    return _decode_error(exc)
