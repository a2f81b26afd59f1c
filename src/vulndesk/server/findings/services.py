"""Writing findings: matching component identities against the stored advisories.

Matching runs once per component identity (a purl with version is the same thing in every
release that contains it) and fans out to the active components of that identity, so a new
advisory touching one package re-evaluates that package's identities only, and a full portfolio
re-match evaluates each distinct identity once however many releases share it.

Each run diffs what matching reports against the stored findings of the identities it covered:
new pairs are inserted (``first_seen``), findings no longer reported are ``resolved`` (kept),
resolved ones reported again become ``active`` again, changed content (severity, fixed versions,
aliases...) is rewritten, and ``last_seen`` moves on for the rest (to the hour). New and
re-opened findings are left with ``notified_at`` empty for the notifier (notifications.services).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import orjson
from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone

from vulndesk.core.matching.engine import Finding as MatchedFinding
from vulndesk.core.sbom.model import Component as SbomComponent
from vulndesk.server.advisories.selectors import django_raw_database
from vulndesk.server.bulk import insert_rows
from vulndesk.server.findings.models import (
    SEVERITY_RANK,
    Finding,
    FindingStatus,
    PortfolioSnapshot,
)
from vulndesk.server.findings.scanning import match_stored
from vulndesk.server.inventory.models import Component, ComponentIdentity, IdentityLookup
from vulndesk.server.jobs.services import job_progress

# Identities per match chunk: bounds memory and the length of each transaction.
_CHUNK = 2000
_IN = 900  # values per SQL IN list
#: how stale ``Finding.last_seen`` of a still-reported finding may get before a run moves it on
LAST_SEEN_RESOLUTION = timedelta(hours=1)

_CONTENT = (
    "aliases", "advisory_ids", "summary", "severity", "severity_rank", "cvss_score",
    "cvss_vector", "affected_range", "fixed_versions",
)  # fmt: skip
_INSERT = (
    "product_id", "release_id", "component_id", "identity_id", "vulnerability_id", *_CONTENT,
    "component_name", "component_version", "purl", "status", "first_seen", "last_seen",
    "digest", "kev",
)  # fmt: skip


@dataclass(slots=True)
class MatchRun:
    """What one match run changed."""

    identities: int = 0
    new_finding_ids: list[int] = field(default_factory=list)
    reopened: int = 0
    changed: int = 0
    resolved: int = 0

    def as_dict(self) -> dict[str, int]:
        """Return the counts (a task's return value)."""
        return {
            "identities": self.identities,
            "new": len(self.new_finding_ids),
            "reopened": self.reopened,
            "changed": self.changed,
            "resolved": self.resolved,
        }


def findings_match(
    *,
    identity_ids: Iterable[int],
    release_id: int | None = None,
    job_id: int | None = None,
    now: datetime | None = None,
) -> MatchRun:
    """Match the given identities and bring the findings of their active components up to date.

    ``release_id`` limits the fan-out to one release (analysing that release's new SBOM). Each
    chunk of identities is written in its own transaction (or the caller's, when inside one).
    """
    now = now or timezone.now()
    run = MatchRun()
    ids = sorted(set(identity_ids))
    db = django_raw_database()
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        with transaction.atomic():
            _match_chunk(chunk, release_id, now, run, db)
        job_progress(job_id, done=min(start + _CHUNK, len(ids)), total=len(ids))
    run.identities = len(ids)
    if run.new_finding_ids or run.reopened:
        transaction.on_commit(_announce)
    return run


def _announce() -> None:
    from vulndesk.server.notifications.services import notifications_enqueue

    notifications_enqueue()


@dataclass(frozen=True, slots=True)
class _Values:
    """One finding's content as matching reports it, in _CONTENT order, and its digest."""

    content: tuple[Any, ...]
    digest: str


def _values(finding: MatchedFinding) -> _Values:
    rating = finding.severity
    severity = rating.rating.lower() if rating is not None else "unknown"
    content = (
        list(finding.aliases),
        list(finding.advisory_ids),
        finding.summary or "",
        severity,
        SEVERITY_RANK[severity],
        rating.score if rating is not None else None,
        (rating.vector or "") if rating is not None else "",
        finding.affected_range,
        list(finding.fixed_versions),
    )
    digest = hashlib.blake2b(orjson.dumps(content), digest_size=16).hexdigest()
    return _Values(content, digest)


def _match_chunk(
    chunk: list[int], release_id: int | None, now: datetime, run: MatchRun, db: Any
) -> None:
    identities = ComponentIdentity.objects.filter(id__in=chunk, evaluable=True).values_list(
        "id", "purl", "name", "version", "cpe"
    )
    components = [
        SbomComponent(
            ref=str(i),
            name=name,
            version=version or None,
            purl=purl or None,
            cpes=(cpe,) if cpe else (),
        )
        for i, purl, name, version, cpe in identities
    ]
    matches: dict[int, dict[str, _Values]] = {}
    for finding in match_stored(components=components, db=db).findings:
        matches.setdefault(int(finding.component.ref), {})[finding.vulnerability_id] = _values(
            finding
        )

    stored = Finding.objects.filter(identity_id__in=chunk)
    if release_id is not None:
        stored = stored.filter(release_id=release_id)
    existing = {
        (component_id, vulnerability_id): (finding_id, status, digest)
        for finding_id, component_id, vulnerability_id, status, digest in stored.values_list(
            "id", "component_id", "vulnerability_id", "status", "digest"
        )
    }
    new_rows: list[tuple[Any, ...]] = []
    rewrite: list[tuple[int, _Values, bool]] = []  # (finding id, values, reopened)
    if matches:
        active = Component.objects.filter(identity_id__in=list(matches), active=True)
        if release_id is not None:
            active = active.filter(release_id=release_id)
        for (
            component_id,
            rel_id,
            product_id,
            identity_id,
            name,
            version,
            purl,
        ) in active.values_list(
            "id",
            "release_id",
            "release__product_id",
            "identity_id",
            "name",
            "version",
            "purl",
        ):
            for vulnerability_id, values in matches[identity_id].items():
                known = existing.pop((component_id, vulnerability_id), None)
                if known is None:
                    new_rows.append(
                        (product_id, rel_id, component_id, identity_id, vulnerability_id,
                         *values.content, name, version, purl, FindingStatus.ACTIVE.value,
                         now, now, values.digest, False)
                    )  # fmt: skip
                elif known[1] != FindingStatus.ACTIVE:
                    rewrite.append((known[0], values, True))
                elif known[2] != values.digest:
                    rewrite.append((known[0], values, False))
    # whatever is left was not reported this time
    gone = [fid for fid, status, _ in existing.values() if status == FindingStatus.ACTIVE]

    if new_rows:
        insert_rows(Finding, _INSERT, new_rows)
        fresh = Finding.objects.filter(identity_id__in=chunk, first_seen=now)
        if release_id is not None:
            fresh = fresh.filter(release_id=release_id)
        run.new_finding_ids.extend(fresh.values_list("id", flat=True))
    if rewrite:
        _rewrite(rewrite, now)
        run.reopened += sum(1 for _, _, reopened in rewrite if reopened)
        run.changed += sum(1 for _, _, reopened in rewrite if not reopened)
    if gone:
        run.resolved += _resolve(Q(id__in=gone), now)
    # every finding still reported was seen now (one statement per chunk, not per row), to the
    # hour: rewriting every active row on each run was 71 of 125 s of a steady-state portfolio
    # re-match of a million findings (bench/README.md)
    seen = Finding.objects.filter(
        identity_id__in=chunk,
        status=FindingStatus.ACTIVE,
        last_seen__lt=now - LAST_SEEN_RESOLUTION,
    )
    if release_id is not None:
        seen = seen.filter(release_id=release_id)
    seen.update(last_seen=now)


def _rewrite(rows: list[tuple[int, _Values, bool]], now: datetime) -> None:
    table = connection.ops.quote_name(Finding._meta.db_table)
    columns = ", ".join(f"{c} = %s" for c in _CONTENT)
    sql = (
        f"UPDATE {table} SET {columns}, digest = %s, status = %s, last_seen = %s, "
        "resolved_at = NULL, notified_at = CASE WHEN %s THEN NULL ELSE notified_at END "
        "WHERE id = %s"
    )
    aliases_field = Finding._meta.get_field("aliases")
    json_fields = {0, 1, 8}  # aliases, advisory_ids, fixed_versions
    params = []
    for finding_id, values, reopened in rows:
        content = [
            aliases_field.get_db_prep_save(v, connection) if i in json_fields else v
            for i, v in enumerate(values.content)
        ]
        params.append(
            [*content, values.digest, FindingStatus.ACTIVE.value, now, reopened, finding_id]
        )
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def _resolve(where: Q, now: datetime) -> int:
    return Finding.objects.filter(where, status=FindingStatus.ACTIVE).update(
        status=FindingStatus.RESOLVED, resolved_at=now
    )


def findings_resolve_for_components(*, component_ids: Sequence[int]) -> int:
    """Resolve the active findings of components that are no longer in their release."""
    now = timezone.now()
    resolved = 0
    for start in range(0, len(component_ids), _IN):
        resolved += _resolve(Q(component_id__in=component_ids[start : start + _IN]), now)
    return resolved


def identities_for_keys(keys: Iterable[tuple[str, str]]) -> list[int]:
    """Return the identities looked up under any ``(ecosystem, lookup name)`` of ``keys``."""
    wanted = {(e, n) for e, n in keys}
    names = sorted({n for _, n in wanted})
    ids: set[int] = set()
    for start in range(0, len(names), _IN):
        rows = IdentityLookup.objects.filter(name__in=names[start : start + _IN]).values_list(
            "ecosystem", "name", "identity_id"
        )
        ids.update(i for e, n, i in rows if (e, n) in wanted)
    return sorted(ids)


def findings_rematch_all(*, job_id: int | None = None) -> MatchRun:
    """Re-match every identity some release uses (after a matching upgrade, or on request)."""
    ids = Component.objects.filter(active=True).values_list("identity_id", flat=True).distinct()
    return findings_match(identity_ids=list(ids), job_id=job_id)


def snapshot_take(*, now: datetime | None = None) -> PortfolioSnapshot:
    """Record the active findings per severity now (one snapshot per hour is kept)."""
    now = now or timezone.now()
    active = Finding.objects.filter(status=FindingStatus.ACTIVE)
    counts = dict(active.values_list("severity").annotate(n=Count("id")).order_by())
    totals = active.aggregate(
        releases=Count("release_id", distinct=True), kev=Count("id", filter=Q(kev=True))
    )
    hour = now.replace(minute=0, second=0, microsecond=0)
    snapshot = PortfolioSnapshot.objects.filter(taken_at__gte=hour).first()
    if snapshot is None:
        snapshot = PortfolioSnapshot(taken_at=now)
    snapshot.taken_at = now
    snapshot.counts = counts
    snapshot.releases_affected = totals["releases"]
    snapshot.kev = totals["kev"]
    snapshot.save()
    return snapshot
