"""Writing advisories: importing feeds of every format and keeping alias groups whole.

KEV and EPSS imports live in ``scores`` and are re-exported here, so every feed write is a
service of this module.

Alias groups are kept whole incrementally: each write batch regroups only the connected
components its records touch, found through the ``AdvisoryAlias`` index written with the
records (docs/architecture.md, "Alias groups"). ``advisory_groups_rebuild`` rebuilds the index
and every group from scratch, for repair.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.utils import timezone

from vulndesk.core.advisories.model import Advisory as AdvisoryRecord
from vulndesk.core.advisories.sources import RecordProblem as SourceProblem
from vulndesk.core.errors import InputError
from vulndesk.core.ids.aliases import AliasGroups
from vulndesk.core.streams import read_ahead
from vulndesk.server.advisories.formats import (
    ADVISORY_FORMATS,
    FORMATS,
    detect_format,
    read_records,
)
from vulndesk.server.advisories.models import (
    Advisory,
    AdvisoryAlias,
    AffectedPackage,
    FeedImport,
)
from vulndesk.server.advisories.reading import (
    PreparedRecord,
    Refusal,
    prepare_advisory,
    prepare_osv,
    prepare_records,
)
from vulndesk.server.advisories.scores import (
    EpssImportOutcome,
    KevImportOutcome,
    epss_import,
    kev_import,
)
from vulndesk.server.audit.services import audit_record
from vulndesk.server.bulk import insert_rows, one_of

__all__ = [
    "EpssImportOutcome",
    "ImportOutcome",
    "KevImportOutcome",
    "RecordProblem",
    "advisory_groups_rebuild",
    "detect_format",
    "epss_import",
    "feeds_import",
    "kev_import",
    "records_import",
]

# Records per write batch: bounds memory, and stays far below SQLite's 32,766 bound parameters.
_BATCH = 2000
# Held by an advisory import until it commits (PostgreSQL). An import regroups only the
# components it touches, and cannot see another import's records before that one commits: two
# at once could each regroup a shared component without the other's records, and nothing would
# come back to it, as the full regrouping of the next import once did.
_IMPORT_LOCK = 0x76646169


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
    # the records whose alias group changed: what findings must be re-matched for.
    # Only keys some component identity is filed under are kept (resolved batch by batch), so
    # memory stays bounded on an NVD import naming millions of CPEs nobody uses.
    touched: set[tuple[str, str]] = field(default_factory=set)
    _identities: set[int] = field(default_factory=set)
    # alias group keys that findings name and that a written record joined: their SSVC inputs
    # may have changed (a KEV-like CSAF threat, Vulnrichment points, a CVSS vector) although no
    # package they are filed under did, so their priorities are recomputed at the end
    _finding_groups: set[str] = field(default_factory=set)
    #: how many findings changed priority because the import added evidence to their group
    priorities_changed: int = 0
    # the component identities whose findings a queued re-match job will bring up to date
    rematch_identities: int = 0
    rematch_job_id: int | None = None
    # KEV and EPSS files among the paths (feeds_import passes them to kev_import / epss_import)
    kev: list[KevImportOutcome] = field(default_factory=list)
    epss: list[EpssImportOutcome] = field(default_factory=list)

    @property
    def skipped(self) -> int:
        """Return how many records were refused."""
        return len(self.problems)


def feeds_import(
    *,
    paths: Sequence[Path],
    format: str | None = None,
    acting_user: AbstractBaseUser | None = None,
    actor_label: str = "cli",
    progress: Callable[[int], None] | None = None,
) -> ImportOutcome:
    """Import the records of files, directories or archives of any feed format, and return what
    changed.

    ``format`` is one of ``formats.FORMATS`` (osv, nvd, cve5, csaf, jvn, euvd, kev, epss) for
    every path, or None to tell each path's format from its content (``detect_format``; a path
    it cannot tell is read as OSV, as before other formats existed, so the OSV reader's own
    message explains a bad source). KEV and EPSS paths are passed to ``kev_import`` and
    ``epss_import`` (their outcomes in ``kev``/``epss``), inside the same transaction.

    Idempotent: a stored record is replaced only when the incoming ``modified`` is newer. The whole
    import is one transaction: an unreadable or truncated source (or a bad single-file record)
    raises ``AdvisoryError`` and stores nothing; a bad record inside a bulk source (zip,
    directory, NVD file, JVN or EUVD list) is reported in ``problems`` and skipped while the rest
    imports. Records are read, checked and written in batches, so memory stays bounded however
    large the source (an NVD file is streamed).
    """
    chosen = [(path, _format_of(path, format)) for path in paths]
    for path, fmt in chosen:
        if fmt not in FORMATS:
            raise InputError(
                f"unknown feed format {fmt!r} (expected one of {', '.join(FORMATS)})",
                source=str(path),
            )
    advisory_paths = [(p, f) for p, f in chosen if f in ADVISORY_FORMATS]
    with transaction.atomic():
        kev = [
            kev_import(path=p, acting_user=acting_user, actor_label=actor_label)
            for p, f in chosen
            if f == "kev"
        ]
        epss = [
            epss_import(path=p, acting_user=acting_user, actor_label=actor_label)
            for p, f in chosen
            if f == "epss"
        ]
        if advisory_paths or not (kev or epss):
            outcome = _import(
                _path_records(advisory_paths),
                format="+".join(dict.fromkeys(f for _, f in advisory_paths)) or "osv",
                sources=[str(p) for p, _ in advisory_paths],
                acting_user=acting_user,
                actor_label=actor_label,
                progress=progress,
            )
        else:
            last = (epss or kev)[-1]
            outcome = ImportOutcome(feed_import=last.feed_import)
        outcome.kev, outcome.epss = kev, epss
    return outcome


def records_import(
    *,
    items: Iterable[tuple[AdvisoryRecord, str, str] | SourceProblem],
    format: str,
    sources: list[str],
    acting_user: AbstractBaseUser | None = None,
    actor_label: str = "sync",
    progress: Callable[[int], None] | None = None,
) -> ImportOutcome:
    """Import records already read by their codec (what the feed sync fetches), and return what
    changed.

    Each item is ``(advisory, raw text as received, location)``, or a RecordProblem for a record
    that could not be read (reported in ``problems``, or in ``notes`` when ``ignored``).
    ``format`` (osv, nvd, cve5, csaf, jvn, euvd) says how the records are stored; ``sources``
    (URLs, files) is what the FeedImport row lists. The same guarantees as ``feeds_import``: one
    transaction, newer ``modified`` replaces, batched writes, one re-match job.
    """
    if format not in ADVISORY_FORMATS:
        raise InputError(
            f"unknown advisory format {format!r} (expected one of {', '.join(ADVISORY_FORMATS)})"
        )

    def prepared() -> Iterator[PreparedRecord | SourceProblem]:
        for item in items:
            if isinstance(item, SourceProblem):
                yield item
            elif format == "osv":
                yield prepare_osv(*item)
            else:
                yield prepare_advisory(*item, format)

    with transaction.atomic():
        return _import(
            prepared(),
            format=format,
            sources=list(sources),
            acting_user=acting_user,
            actor_label=actor_label,
            progress=progress,
        )


def _format_of(path: Path, format: str | None) -> str:
    if format is not None:
        return format
    try:
        return detect_format(path)
    except InputError:
        return "osv"


def _path_records(
    paths: Sequence[tuple[Path, str]],
) -> Iterator[PreparedRecord | Refusal | SourceProblem]:
    for path, fmt in paths:
        if fmt == "osv":
            yield from prepare_records([path])
            continue
        for item in read_records(path, fmt):
            if isinstance(item, SourceProblem):
                yield item
            else:
                yield prepare_advisory(*item, fmt)


def _import(
    items: Iterable[PreparedRecord | Refusal | SourceProblem],
    *,
    format: str,
    sources: list[str],
    acting_user: AbstractBaseUser | None,
    actor_label: str,
    progress: Callable[[int], None] | None,
) -> ImportOutcome:
    """Write ``items`` (inside the caller's transaction) and record the import."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_IMPORT_LOCK])
    started = timezone.now()
    outcome = ImportOutcome(feed_import=FeedImport(started_at=started))
    # the next records are read and parsed while a batch waits on the database
    for batch in itertools.batched(_records(read_ahead(items), outcome), _BATCH):
        _write_batch(batch, outcome, started)
        if progress is not None:
            progress(outcome.read)

    outcome.feed_import = FeedImport.objects.create(
        started_at=started,
        finished_at=timezone.now(),
        format=format,
        sources=sources,
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
            "format": format,
            "sources": outcome.feed_import.sources,
            "created": outcome.created,
            "updated": outcome.updated,
            "unchanged": outcome.unchanged,
            "skipped": outcome.skipped,
        },
        acting_user=acting_user,
        actor_label=actor_label,
    )
    _reprioritise(outcome)
    _rematch_later(outcome, acting_user)
    outcome.read += outcome.skipped
    return outcome


def _records(
    items: Iterable[PreparedRecord | Refusal | SourceProblem], outcome: ImportOutcome
) -> Iterator[PreparedRecord]:
    """Yield the checked records of ``items``; note refused ones in ``outcome``."""
    for item in items:
        if type(item) is PreparedRecord:
            yield item
        elif item.kind == "ignored":
            outcome.notes.append(RecordProblem(item.location, item.message))
        else:
            outcome.problems.append(RecordProblem(item.location, item.message))


def _write_batch(batch: Sequence[PreparedRecord], outcome: ImportOutcome, now: datetime) -> None:
    """Store the records of ``batch`` that are new or newer than the stored ones, and regroup the
    alias groups they join or leave."""
    incoming: dict[str, PreparedRecord] = {}
    for item in batch:
        previous = incoming.get(item.key)
        # The same record twice (two zips, or a zip and a file): the newest wins.
        if previous is None or item.modified > previous.modified:
            incoming[item.key] = item
    outcome.read += len(batch)
    outcome.unchanged += len(batch) - len(incoming)  # older duplicates within the batch
    keys = sorted(incoming)
    stored = dict(Advisory.objects.filter(id__in=one_of(keys)).values_list("id", "modified"))
    fresh = [k for k in keys if k not in stored]
    newer = [k for k in keys if k in stored and incoming[k].modified > stored[k]]
    outcome.created += len(fresh)
    outcome.updated += len(newer)
    outcome.unchanged += len(keys) - len(fresh) - len(newer)

    # what records named before and name now: the identities filed under it are re-matched
    pending = _packages_of(newer) if newer else set()
    # The names the replaced versions answered to: one a newer version dropped may split its
    # old group, so the old component is regrouped too.
    seeds = _stored_names(newer) if newer else set()
    if newer:
        AffectedPackage.objects.filter(advisory_id__in=newer).delete()
        AdvisoryAlias.objects.filter(advisory_id__in=newer).delete()
        Advisory.objects.filter(id__in=newer).delete()
    writing = fresh + newer
    names = {k: _names(incoming[k].record_id, incoming[k].aliases) for k in writing}
    for k in writing:
        seeds.update(names[k])
        pending.update(incoming[k].packages)
    groups, regrouped = _regroup_components(
        seeds, [(incoming[k].record_id, incoming[k].aliases) for k in writing]
    )
    insert_rows(
        Advisory,
        _ADVISORY_COLUMNS,
        (_advisory_row(incoming[k], groups.group_of(incoming[k].record_id), now) for k in writing),
    )
    insert_rows(AdvisoryAlias, ("advisory_id", "name"), ((k, n) for k in writing for n in names[k]))
    insert_rows(
        AffectedPackage,
        ("advisory_id", "ecosystem", "name"),
        ((k, ecosystem, name) for k in writing for ecosystem, name in incoming[k].packages),
    )
    # what a stored record whose group changed names: its findings take the new key
    pending.update(_packages_of(regrouped))
    _touch(outcome, pending)
    outcome._finding_groups.update(
        _groups_with_findings({groups.group_of(incoming[k].record_id) for k in writing})
    )


_ADVISORY_COLUMNS = (
    "id", "record_id", "format", "source", "modified", "published", "withdrawn", "rejected",
    "summary", "aliases", "group_key", "raw", "match", "imported_at",
)  # fmt: skip


def _advisory_row(item: PreparedRecord, group_key: str, now: datetime) -> tuple[object, ...]:
    return (
        item.key,
        item.record_id,
        item.format,
        item.location,
        item.modified,
        item.published,
        item.withdrawn,
        item.rejected,
        item.summary,
        list(item.aliases),
        group_key,
        item.raw,
        item.match,
        now,
    )


def _groups_with_findings(keys: set[str]) -> set[str]:
    """Return the alias group keys among ``keys`` that some finding names."""
    from vulndesk.server.findings.models import Finding

    if not keys:
        return set()
    found = Finding.objects.filter(vulnerability_id__in=one_of(keys)).order_by()
    return set(found.values_list("vulnerability_id", flat=True).distinct())


def _reprioritise(outcome: ImportOutcome) -> None:
    """Recompute the SSVC priorities of the findings of the groups the import added to.

    The re-match job brings the findings of the packages the records name up to date, priorities
    included; this covers the findings of a group that gained evidence from a record naming none
    of their packages (an NVD or CVE record with Vulnrichment points for a vulnerability found
    through OSV). Inside the import's transaction: the priorities commit with the evidence.
    """
    from vulndesk.server.findings.models import Finding
    from vulndesk.server.triage.prioritisation import priorities_refresh

    if outcome._finding_groups:
        outcome.priorities_changed = priorities_refresh(
            Finding.objects.filter(vulnerability_id__in=one_of(outcome._finding_groups))
        )


def _rematch_later(outcome: ImportOutcome, acting_user: AbstractBaseUser | None) -> None:
    """Enqueue the re-match of the identities the import's changes may affect, if any."""
    from vulndesk.server.findings.tasks import rematch_identities
    from vulndesk.server.jobs.models import JobKind
    from vulndesk.server.jobs.services import job_enqueue

    identity_ids = sorted(outcome._identities)
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


def _touch(outcome: ImportOutcome, keys: set[tuple[str, str]]) -> None:
    """Note the identities filed under ``keys`` for the re-match, and the keys that have any."""
    from vulndesk.server.findings.services import identity_lookups

    for key, identity_id in identity_lookups(keys):
        outcome.touched.add(key)
        outcome._identities.add(identity_id)


def _packages_of(ids: Sequence[str]) -> set[tuple[str, str]]:
    """Return the lookup keys the stored records ``ids`` (storage keys) are filed under."""
    return set(
        AffectedPackage.objects.filter(advisory_id__in=one_of(ids)).values_list("ecosystem", "name")
    )


def advisory_groups_rebuild(
    *, acting_user: AbstractBaseUser | None = None, actor_label: str = "cli"
) -> list[str]:
    """Rebuild the alias index from every stored record, recompute every alias group from
    scratch, and return the ids of the records whose group key changed.

    For repair: imports keep both up to date incrementally (``_regroup_components``), and the
    tests prove the two agree. O(stored records) in time and in memory. Call it inside a
    transaction; the re-match of the findings of records whose key changed is the caller's.
    """
    AdvisoryAlias.objects.all().delete()
    last = ""
    while rows := list(
        Advisory.objects.filter(id__gt=last)
        .order_by("id")
        .values_list("id", "record_id", "aliases")[:_BATCH]
    ):
        insert_rows(
            AdvisoryAlias,
            ("advisory_id", "name"),
            ((key, name) for key, record, aliases in rows for name in _names(record, aliases)),
        )
        last = rows[-1][0]
    changed = _regroup_all()
    audit_record(
        action="advisories.regroup",
        object_type="advisory",
        data={"changed": len(changed)},
        acting_user=acting_user,
        actor_label=actor_label,
    )
    return changed


def _names(record_id: str, aliases: Iterable[str]) -> set[str]:
    """Return the names a record is filed under in the alias index: what ``AliasGroups.add``
    joins (nothing for a blank id, whose aliases it ignores too; never a blank alias)."""
    if not record_id.strip():
        return set()
    return {record_id, *(alias for alias in aliases if alias.strip())}


def _stored_names(ids: Sequence[str]) -> set[str]:
    """Return the names the stored records ``ids`` (storage keys) are filed under."""
    with _index_scans():
        return {name for (name,) in _alias_rows(("name",), "advisory_id", set(ids))}


def _components(seeds: set[str]) -> dict[str, set[str]]:
    """Return every stored record of the connected components of ``seeds`` (storage key ->
    names), walking the alias index from names to records and back until no name is new."""
    found: dict[str, set[str]] = {}
    seen = set(seeds)
    frontier = seeds
    while frontier:
        carriers = {key for (key,) in _alias_rows(("advisory_id",), "name", frontier)}
        new: set[str] = set()
        # a record found before has no name that is not seen already
        for key, name in _alias_rows(
            ("advisory_id", "name"), "advisory_id", carriers - found.keys()
        ):
            found.setdefault(key, set()).add(name)
            if name not in seen:
                seen.add(name)
                new.add(name)
        frontier = new
    return found


def _alias_rows(columns: tuple[str, ...], where: str, values: set[str]) -> list[tuple[str, ...]]:
    """Return ``columns`` of the alias index rows whose ``where`` column is one of ``values``."""
    if not values:
        return []
    return list(
        AdvisoryAlias.objects.filter(**{f"{where}__in": one_of(values)}).values_list(*columns)
    )


@contextmanager
def _index_scans() -> Iterator[None]:
    """Plan the statements run inside on indexes, not sequential scans (PostgreSQL).

    An import's statements are planned on the statistics of the tables as they were before it:
    its rows are not committed, so no ANALYZE has seen them. The planner took the alias table for
    a small one and scanned it whole for every write batch: walking it for 250,000 records took
    2.2-3.6 s, 24-45 ms a batch at the end and growing with the table; on its indexes 1.0-2.3 s,
    7-8 ms a batch. The setting ends with the transaction if the block raises.
    """
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('enable_seqscan')")
        (before,) = cursor.fetchone()
        cursor.execute("SELECT set_config('enable_seqscan', 'off', true)")
    yield
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('enable_seqscan', %s, true)", [before])


def _regroup_components(
    seeds: set[str], incoming: Sequence[tuple[str, Sequence[str]]]
) -> tuple[AliasGroups, list[str]]:
    """Regroup the components of ``seeds`` with the ``(record_id, aliases)`` of the records about
    to be written: rewrite the group keys of stored records that changed, and return the groups
    (which give the incoming records their keys) and the ids of the rewritten records.

    ``seeds`` must hold every name of the incoming records and of the stored versions they
    replace, which must already be deleted. Only records reachable from a seed can change
    group, and a group's key depends only on its members (``AliasGroups``), so this gives every
    record the key a regrouping of the whole table would (``advisory_groups_rebuild``).
    """
    with _index_scans():
        stored = _components(seeds)
        current = _group_keys(sorted(stored))
    groups = AliasGroups()
    for names in stored.values():
        first, *rest = names
        groups.add(first, rest)
    for record_id, aliases in incoming:
        groups.add(record_id, aliases)
    changed = [
        (wanted, key)
        for key, group_key in current
        if (wanted := groups.group_of(next(iter(stored[key])))) != group_key
    ]
    _rewrite_group_keys(changed)
    return groups, [key for _, key in changed]


def _group_keys(ids: Sequence[str]) -> list[tuple[str, str]]:
    """Return ``(id, group_key)`` of the stored records ``ids`` (storage keys)."""
    return list(Advisory.objects.filter(id__in=one_of(ids)).values_list("id", "group_key"))


def _regroup_all() -> list[str]:
    """Recompute every stored record's alias group from its ``record_id`` and ``aliases``,
    rewrite the keys that changed, and return the ids of the records whose key changed.

    O(stored records) in time and memory: the repair path (``advisory_groups_rebuild``), not
    what an import runs.
    """
    # Two passes over the table instead of one list of it: the union-find must hold every id,
    # the rows need not (a list of 250,000 rows was most of an NVD import's growth in memory).
    # Over record ids: NVD's CVE-X, the CVE List's CVE-X and a CSAF record aliasing CVE-X are
    # one group.
    groups = AliasGroups.from_pairs(
        Advisory.objects.values_list("record_id", "aliases").iterator(4000)
    )
    changed = [
        (groups.group_of(record_id), key)
        for key, record_id, group_key in Advisory.objects.values_list(
            "id", "record_id", "group_key"
        ).iterator(4000)
        if groups.group_of(record_id) != group_key
    ]
    _rewrite_group_keys(changed)
    return [key for _, key in changed]


def _rewrite_group_keys(changed: Sequence[tuple[str, str]]) -> None:
    """Set the group key of stored records, given as ``(group_key, id)`` pairs."""
    if changed:
        table = connection.ops.quote_name(Advisory._meta.db_table)
        with connection.cursor() as cursor:
            cursor.executemany(f"UPDATE {table} SET group_key = %s WHERE id = %s", changed)
