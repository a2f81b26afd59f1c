"""Writing advisories: importing feeds and keeping alias groups whole."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.utils import timezone

from vulndesk.core.ids.aliases import AliasGroups
from vulndesk.server.advisories.models import Advisory, AffectedPackage, FeedImport
from vulndesk.server.advisories.reading import PreparedRecord, prepare_records
from vulndesk.server.audit.services import audit_record
from vulndesk.server.bulk import insert_rows

# Records per write batch: bounds memory, and stays far below SQLite's 32,766 bound parameters.
_BATCH = 2000


@dataclass(frozen=True, slots=True)
class RecordProblem:
    """A record that was refused, where it was, and why."""

    location: str
    message: str


@dataclass(slots=True)
class ImportOutcome:
    """What one ``feeds import`` did (``read`` counts refused records too)."""

    feed_import: FeedImport
    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[RecordProblem] = field(default_factory=list)
    notes: list[RecordProblem] = field(default_factory=list)  # entries passed over, not records
    # (ecosystem, lookup name) of every package a written record names or named before, and of
    # the records whose alias group changed: what findings must be re-matched for
    touched: set[tuple[str, str]] = field(default_factory=set)
    # the component identities whose findings a queued re-match job will bring up to date
    rematch_identities: int = 0
    rematch_job_id: int | None = None

    @property
    def skipped(self) -> int:
        """Return how many records were refused."""
        return len(self.problems)


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
    ``problems`` and skipped while the rest imports. Records are read, checked and written in
    batches, so memory stays bounded however large the source.
    """
    started = timezone.now()
    outcome = ImportOutcome(feed_import=FeedImport(started_at=started))
    with transaction.atomic():
        # Alias groups of this import's records give new rows their group key at once; the final
        # regrouping over everything stored rewrites only the rows whose group differs.
        groups = AliasGroups()
        for batch in itertools.batched(_records(paths, outcome), _BATCH):
            _write_batch(batch, outcome, groups, started)
            if progress is not None:
                progress(outcome.read)
        regrouped = _regroup()
        outcome.touched.update(_packages_of(regrouped))

        outcome.feed_import = FeedImport.objects.create(
            started_at=started,
            finished_at=timezone.now(),
            sources=[str(p) for p in paths],
            created=outcome.created,
            updated=outcome.updated,
            unchanged=outcome.unchanged,
            skipped=outcome.skipped,
            problems=[{"location": p.location, "message": p.message} for p in outcome.problems],
        )
        audit_record(
            action="feeds.import",
            object_type="feed_import",
            object_id=str(outcome.feed_import.pk),
            data={
                "sources": outcome.feed_import.sources,
                "created": outcome.created,
                "updated": outcome.updated,
                "unchanged": outcome.unchanged,
                "skipped": outcome.skipped,
            },
            acting_user=acting_user,
            actor_label=actor_label,
        )
        _rematch_later(outcome, acting_user)
    outcome.read += outcome.skipped
    return outcome


def _records(paths: Sequence[Path], outcome: ImportOutcome) -> Iterator[PreparedRecord]:
    """Yield the checked records of ``paths``; note refused ones in ``outcome``."""
    for item in prepare_records(paths):
        if isinstance(item, PreparedRecord):
            yield item
        elif item.kind == "ignored":
            outcome.notes.append(RecordProblem(item.location, item.message))
        else:
            outcome.problems.append(RecordProblem(item.location, item.message))


def _write_batch(
    batch: Sequence[PreparedRecord], outcome: ImportOutcome, groups: AliasGroups, now: datetime
) -> None:
    """Store the records of ``batch`` that are new or newer than the stored ones."""
    incoming: dict[str, PreparedRecord] = {}
    for item in batch:
        previous = incoming.get(item.id)
        # The same id twice (two zips, or a zip and a file): the newest wins.
        if previous is None or item.modified > previous.modified:
            incoming[item.id] = item
    outcome.read += len(batch)
    outcome.unchanged += len(batch) - len(incoming)  # older duplicates within the batch
    ids = sorted(incoming)
    stored = dict(Advisory.objects.filter(id__in=ids).values_list("id", "modified"))
    fresh = [i for i in ids if i not in stored]
    newer = [i for i in ids if i in stored and incoming[i].modified > stored[i]]
    outcome.created += len(fresh)
    outcome.updated += len(newer)
    outcome.unchanged += len(ids) - len(fresh) - len(newer)

    if newer:
        outcome.touched.update(_packages_of(newer))
        AffectedPackage.objects.filter(advisory_id__in=newer).delete()
        Advisory.objects.filter(id__in=newer).delete()
    writing = fresh + newer
    for i in writing:
        groups.add(i, incoming[i].aliases)
        outcome.touched.update(incoming[i].packages)
    insert_rows(
        Advisory,
        _ADVISORY_COLUMNS,
        (_advisory_row(incoming[i], groups.group_of(i), now) for i in writing),
    )
    insert_rows(
        AffectedPackage,
        ("advisory_id", "ecosystem", "name"),
        ((i, ecosystem, name) for i in writing for ecosystem, name in incoming[i].packages),
    )


_ADVISORY_COLUMNS = (
    "id", "format", "source", "modified", "published", "withdrawn", "summary", "aliases",
    "group_key", "raw", "match", "imported_at",
)  # fmt: skip


def _advisory_row(item: PreparedRecord, group_key: str, now: datetime) -> tuple[object, ...]:
    return (
        item.id,
        "osv",
        item.location,
        item.modified,
        item.published,
        item.withdrawn,
        item.summary,
        list(item.aliases),
        group_key,
        item.raw,
        item.match,
        now,
    )


def _rematch_later(outcome: ImportOutcome, acting_user: AbstractBaseUser | None) -> None:
    """Enqueue the re-match of the identities the import's changes may affect, if any."""
    from vulndesk.server.findings.services import identities_for_keys
    from vulndesk.server.findings.tasks import rematch_identities
    from vulndesk.server.jobs.models import JobKind
    from vulndesk.server.jobs.services import job_enqueue

    identity_ids = identities_for_keys(outcome.touched)
    if identity_ids:
        job = job_enqueue(
            task=rematch_identities,
            kind=JobKind.REMATCH,
            label=f"re-match {len(identity_ids)} components after feed import "
            f"{outcome.feed_import.pk}",
            acting_user=acting_user,
            identity_ids=identity_ids,
        )
        outcome.rematch_identities = len(identity_ids)
        outcome.rematch_job_id = job.pk


def _packages_of(ids: Sequence[str]) -> set[tuple[str, str]]:
    """Return the (ecosystem, lookup name) pairs the stored records ``ids`` name."""
    found: set[tuple[str, str]] = set()
    for chunk in itertools.batched(ids, 900):
        found.update(
            AffectedPackage.objects.filter(advisory_id__in=chunk).values_list("ecosystem", "name")
        )
    return found


def _regroup() -> list[str]:
    """Recompute every stored record's alias group, rewrite the keys that changed, and return
    the ids of the records whose key changed.

    From scratch, because a newer version of a record may drop an alias and split a group. That is
    O(stored records) per import (docs/architecture.md, "Alias groups").
    """
    rows = list(Advisory.objects.values_list("id", "aliases", "group_key").iterator(4000))
    groups = AliasGroups.from_pairs((advisory_id, aliases) for advisory_id, aliases, _ in rows)
    changed = [
        (groups.group_of(advisory_id), advisory_id)
        for advisory_id, _, key in rows
        if groups.group_of(advisory_id) != key
    ]
    if changed:
        table = connection.ops.quote_name(Advisory._meta.db_table)
        with connection.cursor() as cursor:
            cursor.executemany(f"UPDATE {table} SET group_key = %s WHERE id = %s", changed)
    return [advisory_id for _, advisory_id in changed]
