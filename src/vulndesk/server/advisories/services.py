"""Writing advisories: importing feeds and keeping alias groups whole."""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import orjson
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.db.models import DateTimeField, JSONField, Model
from django.utils import timezone

from vulndesk.core.advisories.model import Advisory as AdvisoryRecord
from vulndesk.core.advisories.osv import matching_subset, parse_osv
from vulndesk.core.advisories.sources import RecordProblem as SourceProblem
from vulndesk.core.advisories.sources import iter_osv_documents
from vulndesk.core.errors import AdvisoryError
from vulndesk.core.ids.aliases import AliasGroups
from vulndesk.core.matching.identity import LookupKey, affected_lookup_key
from vulndesk.server.advisories.models import Advisory, AffectedPackage, FeedImport
from vulndesk.server.audit.services import audit_record

# SQLite allows 32,766 bound parameters per statement since 3.32; stay far below on both backends.
_CHUNK = 900


@dataclass(frozen=True, slots=True)
class RecordProblem:
    """A record that was refused, where it was, and why."""

    location: str
    message: str


@dataclass(slots=True)
class ImportOutcome:
    """What one ``feeds import`` did."""

    feed_import: FeedImport
    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[RecordProblem] = field(default_factory=list)
    notes: list[RecordProblem] = field(default_factory=list)  # entries passed over, not records

    @property
    def skipped(self) -> int:
        """Return how many records were refused."""
        return len(self.problems)


@dataclass(slots=True)
class _Incoming:
    record: AdvisoryRecord
    raw: str
    match: str
    location: str


def _is_bulk_source(path: Path) -> bool:
    """Return whether ``path`` holds many records (a directory or a zip), where one bad record is
    reported and skipped; a single JSON file is all-or-nothing."""
    return path.is_dir() or zipfile.is_zipfile(path)


def _read_sources(
    paths: Sequence[Path],
    problems: list[RecordProblem],
    notes: list[RecordProblem],
    progress: Callable[[int], None] | None,
) -> tuple[dict[str, _Incoming], int]:
    incoming: dict[str, _Incoming] = {}
    read = 0
    for path in paths:
        bulk = _is_bulk_source(path)
        for document in iter_osv_documents(path):
            if isinstance(document, SourceProblem):
                if document.kind == "ignored":
                    notes.append(RecordProblem(document.location, document.message))
                    continue
                if not bulk:
                    raise AdvisoryError(document.message, source=document.location)
                read += 1
                problems.append(RecordProblem(document.location, document.message))
                continue
            read += 1
            try:
                text = document.data.decode("utf-8")
                obj = orjson.loads(text)
                record = parse_osv(obj, source=document.location)
            except (UnicodeDecodeError, orjson.JSONDecodeError, AdvisoryError) as exc:
                if not bulk:
                    if isinstance(exc, AdvisoryError):
                        raise
                    raise AdvisoryError(
                        _describe_decode_error(exc), source=document.location
                    ) from exc
                problems.append(RecordProblem(document.location, _problem_text(exc)))
                continue
            previous = incoming.get(record.id)
            # The same id twice in one import (two zips, or a zip and a file): keep the newest.
            if previous is None or record.modified > previous.record.modified:
                match = orjson.dumps(matching_subset(obj)).decode()
                incoming[record.id] = _Incoming(record, text, match, document.location)
            if progress is not None and read % 1000 == 0:
                progress(read)
    return incoming, read


def _describe_decode_error(exc: Exception) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return f"not UTF-8 text (byte {exc.start})"
    return f"not valid JSON: {exc}"


def _problem_text(exc: Exception) -> str:
    if isinstance(exc, AdvisoryError):
        return f"{exc.location}: {exc.message}" if exc.location else exc.message
    return _describe_decode_error(exc)


def _chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def feeds_import(
    *,
    paths: Sequence[Path],
    acting_user: AbstractBaseUser | None = None,
    actor_label: str = "cli",
    progress: Callable[[int], None] | None = None,
) -> ImportOutcome:
    """Import OSV records from files, directories or bulk-export zips, and return what changed.

    Idempotent: a stored record is replaced only when the incoming ``modified`` is newer. The whole
    import is one transaction: an unreadable source (or a bad single-file record) raises
    ``AdvisoryError`` and stores nothing; a bad record inside a zip or directory is reported in
    ``problems`` and skipped while the rest imports.
    """
    started = timezone.now()
    problems: list[RecordProblem] = []
    notes: list[RecordProblem] = []
    incoming, read = _read_sources(paths, problems, notes, progress)

    with transaction.atomic():
        ids = sorted(incoming)
        stored: dict[str, object] = {}
        for chunk in _chunks(ids):
            stored.update(Advisory.objects.filter(id__in=chunk).values_list("id", "modified"))
        fresh = [i for i in ids if i not in stored]
        newer = [i for i in ids if i in stored and incoming[i].record.modified > stored[i]]  # type: ignore[operator]
        unchanged = len(ids) - len(fresh) - len(newer)

        for chunk in _chunks(newer):
            AffectedPackage.objects.filter(advisory_id__in=chunk).delete()
            Advisory.objects.filter(id__in=chunk).delete()

        writing = fresh + newer
        groups, kept = _alias_groups({i: incoming[i].record.aliases for i in writing})
        now = timezone.now()
        _insert_rows(
            Advisory,
            _ADVISORY_COLUMNS,
            (_advisory_row(incoming[i], groups.group_of(i), now) for i in writing),
        )
        _insert_rows(
            AffectedPackage,
            ("advisory_id", "ecosystem", "name"),
            (row for i in writing for row in _package_rows(incoming[i].record)),
        )
        _store_group_changes(groups, kept)

        feed_import = FeedImport.objects.create(
            started_at=started,
            finished_at=timezone.now(),
            sources=[str(p) for p in paths],
            created=len(fresh),
            updated=len(newer),
            unchanged=unchanged,
            skipped=len(problems),
            problems=[{"location": p.location, "message": p.message} for p in problems],
        )
        audit_record(
            action="feeds.import",
            object_type="feed_import",
            object_id=str(feed_import.pk),
            data={
                "sources": feed_import.sources,
                "created": len(fresh),
                "updated": len(newer),
                "unchanged": unchanged,
                "skipped": len(problems),
            },
            acting_user=acting_user,
            actor_label=actor_label,
        )
    return ImportOutcome(
        feed_import=feed_import,
        read=read,
        created=len(fresh),
        updated=len(newer),
        unchanged=unchanged,
        problems=problems,
        notes=notes,
    )


_ADVISORY_COLUMNS = (
    "id", "format", "source", "modified", "published", "withdrawn", "summary", "aliases",
    "group_key", "raw", "match", "imported_at",
)  # fmt: skip


def _advisory_row(item: _Incoming, group_key: str, now: datetime) -> tuple[object, ...]:
    record = item.record
    return (
        record.id,
        "osv",
        item.location,
        record.modified,
        record.published,
        record.withdrawn,
        record.summary or "",
        list(record.aliases),
        group_key,
        item.raw,
        item.match,
        now,
    )


def _package_rows(record: AdvisoryRecord) -> Iterable[tuple[str, str, str]]:
    seen: set[LookupKey] = set()
    for affected in record.affected:
        key = affected_lookup_key(affected)
        if key not in seen:
            seen.add(key)
            yield (record.id, key.ecosystem, key.name)


def _insert_rows(
    model: type[Model], columns: Sequence[str], rows: Iterable[Sequence[object]]
) -> None:
    """Insert rows of ``model`` given as value tuples in ``columns`` order.

    A plain ``executemany`` with each value prepared by its field (``get_db_prep_save``: time
    zones, JSON) rather than ``bulk_create``: building and compiling a model instance per row
    took 60% of the AlmaLinux import, whose 3,237 errata name 39,000 packages
    (docs/architecture.md, "Import throughput").
    """
    fields = [model._meta.get_field(c) for c in columns]
    plain = [
        not isinstance(f, JSONField | DateTimeField) for f in fields
    ]  # values stored as they are
    names = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    sql = (
        f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({names}) VALUES ({marks})"
    )
    batch: list[list[object]] = []
    with connection.cursor() as cursor:
        for row in rows:
            batch.append(
                [
                    value if keep else field.get_db_prep_save(value, connection)
                    for value, field, keep in zip(row, fields, plain, strict=True)
                ]
            )
            if len(batch) >= 2000:
                cursor.executemany(sql, batch)
                batch.clear()
        if batch:
            cursor.executemany(sql, batch)


def _alias_groups(writing: dict[str, tuple[str, ...]]) -> tuple[AliasGroups, list[tuple[str, str]]]:
    """Return the alias groups over every stored record, with ``writing`` replacing stored ones,
    and the (id, group key) of the stored records not being rewritten."""
    groups = AliasGroups()
    kept: list[tuple[str, str]] = []
    rows = Advisory.objects.values_list("id", "aliases", "group_key").iterator(4000)
    for advisory_id, aliases, group_key in rows:
        if advisory_id not in writing:
            groups.add(advisory_id, aliases)
            kept.append((advisory_id, group_key))
    for advisory_id, aliases in writing.items():
        groups.add(advisory_id, aliases)
    return groups, kept


def _store_group_changes(groups: AliasGroups, kept: list[tuple[str, str]]) -> None:
    """Rewrite ``group_key`` of the stored records whose group the import changed."""
    changed = [
        (groups.group_of(advisory_id), advisory_id)
        for advisory_id, key in kept
        if groups.group_of(advisory_id) != key
    ]
    if changed:
        table = connection.ops.quote_name(Advisory._meta.db_table)
        with connection.cursor() as cursor:
            cursor.executemany(f"UPDATE {table} SET group_key = %s WHERE id = %s", changed)
