"""Importing exploitation evidence and likelihood: CISA's KEV catalog and FIRST's EPSS scores.

Neither is an advisory: KEV says a CVE is exploited, EPSS how likely it is to be. Both are kept
per CVE id (``KevEntry``, ``EpssScore`` + ``EpssHistory``), and each import brings the findings'
``kev`` column and the alias groups' EPSS scores (``findings.GroupEpss``) up to date in SQL
(``findings.services.findings_scores_refresh``), without re-matching anything. Re-exported by
``services``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.utils import timezone

from vulndesk.core.advisories.sources import RecordProblem as SourceProblem
from vulndesk.core.scoring.epss import EpssScore as EpssRow
from vulndesk.core.scoring.epss import open_epss_csv
from vulndesk.core.scoring.kev import KevCatalog, read_kev
from vulndesk.server.advisories.models import EpssHistory, EpssScore, FeedImport, KevEntry
from vulndesk.server.audit.services import audit_record
from vulndesk.server.bulk import insert_rows

__all__ = [
    "EPSS_HISTORY_ABSOLUTE",
    "EPSS_HISTORY_RELATIVE",
    "EPSS_JUMP",
    "EpssImportOutcome",
    "EpssJump",
    "KevImportOutcome",
    "epss_import",
    "history_moved",
    "kev_import",
]

#: an EPSS score is recorded in the history when it moved this much from the last recorded one
EPSS_HISTORY_ABSOLUTE = 0.01
#: ... or by this share of it
EPSS_HISTORY_RELATIVE = 0.20
#: a rise since the previous import at least this large is a jump (listed in the outcome)
EPSS_JUMP = 0.1

_EPSS_BATCH = 5000
_MAX_PROBLEMS = 1000  # problems kept on the FeedImport row (the count is exact)


@dataclass(slots=True)
class KevImportOutcome:
    """What one KEV import did: the catalog is a full list, so entries missing from it are
    ``removed``."""

    feed_import: FeedImport
    catalog_version: str | None
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    findings_updated: int = 0


@dataclass(frozen=True, slots=True)
class EpssJump:
    """A CVE whose EPSS score rose by ``EPSS_JUMP`` or more since the previous import."""

    cve_id: str
    previous: float
    epss: float
    percentile: float


@dataclass(slots=True)
class EpssImportOutcome:
    """What one EPSS import did."""

    feed_import: FeedImport
    model_version: str | None
    score_date: date
    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    history_rows: int = 0
    jumps: list[EpssJump] = field(default_factory=list)
    problems: list[SourceProblem] = field(default_factory=list)
    groups_updated: int = 0  # alias groups with findings whose score changed


# --- KEV ------------------------------------------------------------------------------------------

_KEV_FIELDS = (
    "vendor_project", "product", "name", "date_added", "due_date", "required_action",
    "short_description", "ransomware_known", "notes", "cwes",
)  # fmt: skip


def kev_import(
    *,
    path: Path | None = None,
    catalog: KevCatalog | None = None,
    acting_user: AbstractBaseUser | None = None,
    actor_label: str = "cli",
) -> KevImportOutcome:
    """Replace the stored KEV catalog with the one at ``path`` (or ``catalog``, already read) and
    return the entries added, changed and removed.

    The catalog is a full list: a stored entry it no longer lists is deleted (CISA removes an
    entry now and then) and reported in ``removed``. Findings whose alias group gains or loses a
    KEV CVE get ``kev`` set or cleared in the same transaction. Raise InputError for a file that
    is not a valid catalog (nothing is stored).
    """
    if (path is None) == (catalog is None):
        raise TypeError("kev_import takes a path or a catalog, not both or neither")
    if catalog is None:
        assert path is not None
        catalog = read_kev(path)
    source = str(path) if path is not None else "KEV catalog"
    started = timezone.now()
    incoming = {entry.cve_id: entry for entry in catalog.entries}
    with transaction.atomic():
        stored = {
            row[0]: tuple(row[1:])
            for row in KevEntry.objects.values_list("cve_id", *_KEV_FIELDS).iterator(2000)
        }
        outcome = KevImportOutcome(FeedImport(started_at=started), catalog.version)
        rows = {}
        for cve_id, entry in incoming.items():
            values = (
                entry.vendor_project, entry.product, entry.name, entry.date_added,
                entry.due_date, entry.required_action, entry.short_description,
                entry.ransomware_known, entry.notes, list(entry.cwes),
            )  # fmt: skip
            rows[cve_id] = values
            if cve_id not in stored:
                outcome.added.append(cve_id)
            elif stored[cve_id] != values:
                outcome.updated.append(cve_id)
            else:
                outcome.unchanged += 1
        outcome.removed = sorted(set(stored) - set(incoming))
        outcome.added.sort()
        outcome.updated.sort()
        rewrite = outcome.removed + outcome.updated
        for chunk in itertools.batched(rewrite, 900):
            KevEntry.objects.filter(cve_id__in=chunk).delete()
        insert_rows(
            KevEntry,
            ("cve_id", *_KEV_FIELDS, "catalog_version", "imported_at"),
            (
                (cve_id, *map(_day, rows[cve_id]), catalog.version or "", started)
                for cve_id in [*outcome.added, *outcome.updated]
            ),
        )
        if catalog.version:
            KevEntry.objects.exclude(catalog_version=catalog.version).update(
                catalog_version=catalog.version
            )
        from vulndesk.server.findings.services import findings_scores_refresh

        outcome.findings_updated = findings_scores_refresh(
            cve_ids=[*outcome.added, *outcome.removed], kev=True, epss=False
        )
        outcome.feed_import = FeedImport.objects.create(
            started_at=started,
            finished_at=timezone.now(),
            format="kev",
            sources=[source],
            created=len(outcome.added),
            updated=len(outcome.updated),
            unchanged=outcome.unchanged,
            removed=len(outcome.removed),
        )
        audit_record(
            action="feeds.kev_import",
            object_type="feed_import",
            object_id=str(outcome.feed_import.pk),
            data={
                "source": source,
                "catalog_version": catalog.version,
                "added": len(outcome.added),
                "updated": len(outcome.updated),
                "unchanged": outcome.unchanged,
                "removed": outcome.removed,
                "findings_updated": outcome.findings_updated,
            },
            acting_user=acting_user,
            actor_label=actor_label,
        )
    return outcome


# --- EPSS -----------------------------------------------------------------------------------------


def history_moved(previous: float | None, epss: float) -> bool:
    """Return whether a score ``epss`` is recorded in the history, given the last recorded one.

    The rule (``EpssHistory``): the first sighting of a CVE (``previous`` None), or a move of at
    least ``EPSS_HISTORY_ABSOLUTE`` (0.01), or of at least ``EPSS_HISTORY_RELATIVE`` (20%) of the
    last recorded score when that was above zero.
    """
    if previous is None:
        return True
    moved = abs(epss - previous)
    return moved >= EPSS_HISTORY_ABSOLUTE - 1e-12 or (
        previous > 0 and moved / previous >= EPSS_HISTORY_RELATIVE - 1e-12
    )


def epss_import(
    *,
    path: Path,
    acting_user: AbstractBaseUser | None = None,
    actor_label: str = "cli",
    progress: Callable[[int], None] | None = None,
) -> EpssImportOutcome:
    """Store the EPSS scores of the daily file at ``path`` (``.csv`` or ``.csv.gz``) and return
    what changed, with the ``jumps``: scores that rose by 0.1 or more since the previous import.

    The file is streamed and written in batches of 5,000 rows (new scores with COPY on
    PostgreSQL, changed ones through a staging table); history rows are written for scores that
    moved (``history_moved``), and the alias groups of changed CVEs get their score. A bad
    row is reported in ``problems`` and skipped; a file that cannot be read (a bad header, a
    truncated gzip) raises InputError and stores nothing.
    """
    started = timezone.now()
    from vulndesk.server.findings.services import findings_scores_refresh

    with open_epss_csv(path) as reader, transaction.atomic():
        outcome = EpssImportOutcome(
            FeedImport(started_at=started), reader.model_version, reader.score_date
        )
        changed_total: list[str] = []
        rows: list[EpssRow] = []
        for item in reader:
            if isinstance(item, SourceProblem):
                outcome.problems.append(item)
                continue
            rows.append(item)
            if len(rows) >= _EPSS_BATCH:
                changed_total.extend(_epss_batch(rows, reader.model_version or "", outcome))
                rows = []
                if progress is not None:
                    progress(outcome.read)
        if rows:
            changed_total.extend(_epss_batch(rows, reader.model_version or "", outcome))
        outcome.groups_updated = findings_scores_refresh(
            cve_ids=changed_total, kev=False, epss=True
        )
        outcome.read += len(outcome.problems)
        if progress is not None:
            progress(outcome.read)
        outcome.jumps.sort(key=lambda j: (-(j.epss - j.previous), j.cve_id))
        outcome.feed_import = FeedImport.objects.create(
            started_at=started,
            finished_at=timezone.now(),
            format="epss",
            sources=[str(path)],
            created=outcome.created,
            updated=outcome.updated,
            unchanged=outcome.unchanged,
            skipped=len(outcome.problems),
            problems=[
                {"location": p.location, "message": p.message}
                for p in outcome.problems[:_MAX_PROBLEMS]
            ],
        )
        audit_record(
            action="feeds.epss_import",
            object_type="feed_import",
            object_id=str(outcome.feed_import.pk),
            data={
                "source": str(path),
                "model_version": outcome.model_version,
                "score_date": outcome.score_date.isoformat(),
                "created": outcome.created,
                "updated": outcome.updated,
                "unchanged": outcome.unchanged,
                "skipped": len(outcome.problems),
                "history_rows": outcome.history_rows,
                "jumps": [j.cve_id for j in outcome.jumps[:100]],
                "groups_updated": outcome.groups_updated,
            },
            acting_user=acting_user,
            actor_label=actor_label,
        )
    return outcome


def _epss_batch(rows: Sequence[EpssRow], model: str, outcome: EpssImportOutcome) -> list[str]:
    """Write one batch of scores; return the CVE ids whose score changed (or is new)."""
    latest = {row.cve_id: row for row in rows}  # a CVE twice in a file: the later row
    outcome.read += len(rows)
    outcome.unchanged += len(rows) - len(latest)
    stored = {
        cve_id: (epss, percentile, recorded, day)
        for cve_id, epss, percentile, recorded, day in EpssScore.objects.filter(
            cve_id__in=list(latest)
        ).values_list("cve_id", "epss", "percentile", "recorded_epss", "score_date")
    }
    new: list[tuple[object, ...]] = []
    changed: list[tuple[object, ...]] = []
    history: list[tuple[object, ...]] = []
    moved: list[str] = []
    day_text = outcome.score_date.isoformat()
    for cve_id, row in latest.items():
        before = stored.get(cve_id)
        if before is None:
            new.append((cve_id, row.epss, row.percentile, day_text, model, row.epss))
            history.append((cve_id, day_text, row.epss, row.percentile))
            moved.append(cve_id)
            continue
        epss, percentile, recorded, day = before
        if epss == row.epss and percentile == row.percentile and day == row.date:
            outcome.unchanged += 1
            continue
        if row.epss - epss >= EPSS_JUMP - 1e-12:
            outcome.jumps.append(EpssJump(cve_id, epss, row.epss, row.percentile))
        if history_moved(recorded, row.epss):
            history.append((cve_id, day_text, row.epss, row.percentile))
            recorded = row.epss
        changed.append((cve_id, row.epss, row.percentile, day_text, model, recorded))
        if epss != row.epss:
            moved.append(cve_id)
    outcome.created += len(new)
    outcome.updated += len(changed)
    outcome.history_rows += len(history)
    columns = ("cve_id", "epss", "percentile", "score_date", "model_version", "recorded_epss")
    insert_rows(EpssScore, columns, new)
    insert_rows(EpssHistory, ("cve_id", "score_date", "epss", "percentile"), history)
    if changed:
        _update_scores(changed)
    return moved


def _update_scores(rows: list[tuple[object, ...]]) -> None:
    """Rewrite the stored scores of ``rows`` (cve_id, epss, percentile, score_date, model_version,
    recorded_epss)."""
    table = connection.ops.quote_name(EpssScore._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # one COPY and one UPDATE per batch: executemany waits on the server per row
            cursor.execute(
                "CREATE TEMP TABLE IF NOT EXISTS vulndesk_epss_staging (cve_id text, "
                "epss float8, percentile float8, score_date date, model_version text, "
                "recorded_epss float8) ON COMMIT DROP"
            )
            cursor.execute("TRUNCATE vulndesk_epss_staging")
            with cursor.cursor.copy("COPY vulndesk_epss_staging FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            cursor.execute(
                f"UPDATE {table} AS s SET epss = u.epss, percentile = u.percentile, "
                "score_date = u.score_date, model_version = u.model_version, "
                "recorded_epss = u.recorded_epss FROM vulndesk_epss_staging AS u "
                "WHERE s.cve_id = u.cve_id"
            )
            return
        cursor.executemany(
            f"UPDATE {table} SET epss = %s, percentile = %s, score_date = %s, "
            "model_version = %s, recorded_epss = %s WHERE cve_id = %s",
            [(*row[1:4], row[4], row[5], row[0]) for row in rows],
        )


def _day(value: object) -> object:
    """Return a date as ISO text (what both databases take, without sqlite3's deprecated date
    adapter); anything else as it is."""
    return value.isoformat() if isinstance(value, date) else value
