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
from vulndesk.core.sbom.model import Hash
from vulndesk.server.advisories.selectors import django_raw_database
from vulndesk.server.bulk import insert_rows, one_of
from vulndesk.server.findings.models import (
    SEVERITY_RANK,
    Finding,
    FindingStatus,
    GroupEpss,
    PortfolioSnapshot,
)
from vulndesk.server.findings.scanning import match_stored
from vulndesk.server.inventory.models import Component, ComponentIdentity, IdentityLookup
from vulndesk.server.jobs.services import job_progress
from vulndesk.server.triage.hooks import findings_triage
from vulndesk.server.triage.prioritisation import (
    PRIORITY_COLUMNS,
    evidence_reused,
    priorities_refresh,
    priority_columns,
)

# Identities per match chunk: bounds memory and the length of each transaction.
_CHUNK = 2000
_IN = 900  # values per SQL IN list
#: how stale ``Finding.last_seen`` of a still-reported finding may get before a run moves it on
LAST_SEEN_RESOLUTION = timedelta(hours=1)

_CONTENT = (
    "aliases", "advisory_ids", "summary", "severity", "severity_rank", "cvss_score",
    "cvss_vector", "affected_range", "fixed_versions", "confidence",
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
        with transaction.atomic(), evidence_reused():
            _match_chunk(chunk, release_id, now, run, db)
            findings = Finding.objects.filter(identity_id__in=chunk)
            if release_id is not None:
                findings = findings.filter(release_id=release_id)
            findings_triage(findings)
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
    """One finding's content as matching reports it, in _CONTENT order, and its digest; and its
    KEV flag and EPSS score (not digested: the KEV and EPSS imports keep them up to date)."""

    content: tuple[Any, ...]
    digest: str
    kev: bool = False
    epss: float | None = None


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
        finding.confidence,
    )
    digest = hashlib.blake2b(orjson.dumps(content), digest_size=16).hexdigest()
    return _Values(content, digest)


def _with_scores(matches: dict[int, dict[str, _Values]]) -> None:
    """Set each finding's ``kev`` from the stored KEV entries of the CVE ids of its alias group,
    and store each group's EPSS score (``GroupEpss``), the highest among them."""
    cves = {
        i
        for found in matches.values()
        for values in found.values()
        for i in values.content[0]
        if i.startswith("CVE-")
    }
    kev, epss = _scores_of(cves)
    scores: dict[str, float | None] = {}
    for found in matches.values():
        for vulnerability_id, values in found.items():
            if vulnerability_id not in scores:
                scores[vulnerability_id] = max(
                    (epss[i] for i in values.content[0] if i in epss), default=None
                )
            if any(i in kev for i in values.content[0]):
                found[vulnerability_id] = _Values(values.content, values.digest, True)
    _group_epss_write(scores)


def _group_epss_write(scores: dict[str, float | None]) -> int:
    """Store the EPSS score of each alias group key of ``scores`` (None: it has none) where it
    differs from the stored one, and return how many groups changed."""
    if not scores:
        return 0
    stored = dict(
        GroupEpss.objects.filter(vulnerability_id__in=one_of(scores)).values_list(
            "vulnerability_id", "epss"
        )
    )
    changed = {key for key, score in scores.items() if stored.get(key) != score}
    if not changed:
        return 0
    # replaced, not updated: one DELETE and one COPY (or executemany) for any number of groups
    GroupEpss.objects.filter(vulnerability_id__in=one_of(changed & stored.keys())).delete()
    insert_rows(
        GroupEpss,
        ("vulnerability_id", "epss"),
        sorted((key, scores[key]) for key in changed if scores[key] is not None),
    )
    return len(changed)


def _scores_of(cves: Iterable[str]) -> tuple[set[str], dict[str, float]]:
    """Return which of ``cves`` are in KEV, and the EPSS score of those that have one."""
    from vulndesk.server.advisories.models import EpssScore, KevEntry

    wanted = set(cves)
    if not wanted:
        return set(), {}
    kev = set(KevEntry.objects.filter(cve_id__in=one_of(wanted)).values_list("cve_id", flat=True))
    epss = dict(EpssScore.objects.filter(cve_id__in=one_of(wanted)).values_list("cve_id", "epss"))
    return kev, epss


def findings_scores_refresh(*, cve_ids: Iterable[str], kev: bool, epss: bool) -> int:
    """Bring ``Finding.kev`` and/or the groups' EPSS scores (``GroupEpss``) up to date for the
    CVEs whose KEV entry or EPSS score changed, and return how many findings (KEV) plus alias
    groups (EPSS) changed. No re-match.

    A finding's ``vulnerability_id`` is its alias group's key, the smallest CVE id of the group,
    and ``aliases`` every id of the group. A group naming one CVE (nearly all) is therefore
    found by ``vulnerability_id`` alone; the few groups naming several CVEs are found once per
    call (their ``aliases`` text holds ``CVE-`` twice) and get the flag of any of them, the
    highest score among them. The KEV flags go in with one UPDATE joined to a staging table,
    which skips findings that already hold them; the EPSS scores replace the changed groups'
    rows. The groups' SSVC priorities are then recomputed (``triage.prioritisation``).
    """
    changed = sorted(set(cve_ids))
    if not changed:
        return 0
    multi = _multi_cve_groups()
    member_of: dict[str, set[str]] = {}
    for key, members in multi.items():
        for cve in members:
            member_of.setdefault(cve, set()).add(key)
    # the groups to set: a changed CVE's own group, and the several-CVE groups it is part of
    keys = _groups_named(changed)
    for cve in changed:
        keys.update(member_of.get(cve, ()))
    if not keys:
        return 0
    members = {key: multi.get(key) or {key} for key in keys}
    in_kev, scores = _scores_of(cve for group in members.values() for cve in group)
    updated = 0
    if kev:
        updated += _kev_write([(key, any(c in in_kev for c in members[key])) for key in keys])
    if epss:
        updated += _group_epss_write(
            {
                key: max((scores[c] for c in members[key] if c in scores), default=None)
                for key in keys
            }
        )
    # KEV membership is evidence of exploitation; EPSS is only shown beside it (a forecast, not
    # evidence), but the refresh is cheap when nothing changes and keeps one path for both. Many
    # groups (a daily EPSS file names most): one pass over every finding reads less than
    # probing the index group by group (1.9 s against 6.5 s for a million findings)
    ordered = sorted(keys)
    if len(ordered) > _IN:
        priorities_refresh(Finding.objects.all())
        return updated
    priorities_refresh(Finding.objects.filter(vulnerability_id__in=ordered))
    return updated


#: above this many changed CVEs, the groups are found by reading every group key once
_MANY_CVES = 20 * _IN


def _groups_named(cves: Sequence[str]) -> set[str]:
    """Return the finding group keys among ``cves``: a chunk of them per indexed query, or for
    a long list (a daily EPSS file) every distinct key once, which costs less than probing the
    index 300,000 times."""
    if len(cves) > _MANY_CVES:
        wanted = set(cves)
        found = Finding.objects.order_by().values_list("vulnerability_id", flat=True).distinct()
        return {key for key in found.iterator(10_000) if key in wanted}
    keys: set[str] = set()
    for start in range(0, len(cves), _IN):
        chunk = cves[start : start + _IN]
        keys.update(
            Finding.objects.filter(vulnerability_id__in=chunk)
            .order_by()
            .values_list("vulnerability_id", flat=True)
            .distinct()
        )
    return keys


def _kev_write(rows: Sequence[tuple[str, bool]]) -> int:
    """Set ``kev`` of the findings of each group key in ``rows`` (key, kev) where it differs;
    return how many findings changed."""
    table = connection.ops.quote_name(Finding._meta.db_table)
    with connection.cursor() as cursor:
        keep = " ON COMMIT DROP" if connection.vendor == "postgresql" else ""
        cursor.execute(
            "CREATE TEMPORARY TABLE IF NOT EXISTS vd_finding_kev (vulnerability_id "
            f"varchar(255) PRIMARY KEY, kev boolean){keep}"
        )
        cursor.execute("DELETE FROM vd_finding_kev")
        if connection.vendor == "postgresql":
            with cursor.cursor.copy("COPY vd_finding_kev FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            cursor.execute("ANALYZE vd_finding_kev")
        else:
            for start in range(0, len(rows), 2000):
                cursor.executemany(
                    "INSERT INTO vd_finding_kev VALUES (%s, %s)", rows[start : start + 2000]
                )
        cursor.execute(
            f"UPDATE {table} SET kev = s.kev FROM vd_finding_kev s "
            f"WHERE {table}.vulnerability_id = s.vulnerability_id AND {table}.kev <> s.kev"
        )
        return max(cursor.rowcount, 0)


def _multi_cve_groups() -> dict[str, set[str]]:
    """Return the CVE ids of each finding's alias group that names more than one CVE."""
    table = connection.ops.quote_name(Finding._meta.db_table)
    text = "aliases::text" if connection.vendor == "postgresql" else "aliases"
    groups: dict[str, set[str]] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT DISTINCT vulnerability_id, {text} FROM {table} WHERE {text} LIKE %s",
            ["%CVE-%CVE-%"],
        )
        for key, aliases in cursor.fetchall():
            cves = {i for i in orjson.loads(aliases) if i.startswith("CVE-")}
            if len(cves) > 1:
                groups.setdefault(key, set()).update(cves)
    return groups


def _match_chunk(
    chunk: list[int], release_id: int | None, now: datetime, run: MatchRun, db: Any
) -> None:
    identities = ComponentIdentity.objects.filter(id__in=chunk, evaluable=True).values_list(
        "id", "purl", "name", "version", "cpe", "supplier", "group", "hashes"
    )
    components = [
        SbomComponent(
            ref=str(i),
            name=name,
            version=version or None,
            purl=purl or None,
            cpes=(cpe,) if cpe else (),
            supplier=supplier or None,
            group=group or None,
            hashes=tuple(Hash(*h.split(":", 1)) for h in hashes if ":" in h),
        )
        for i, purl, name, version, cpe, supplier, group, hashes in identities
    ]
    matches: dict[int, dict[str, _Values]] = {}
    for finding in match_stored(components=components, db=db).findings:
        matches.setdefault(int(finding.component.ref), {})[finding.vulnerability_id] = _values(
            finding
        )
    _with_scores(matches)

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
                         now, now, values.digest, values.kev)
                    )  # fmt: skip
                elif known[1] != FindingStatus.ACTIVE:
                    rewrite.append((known[0], values, True))
                elif known[2] != values.digest:
                    rewrite.append((known[0], values, False))
    # whatever is left was not reported this time
    gone = [fid for fid, status, _ in existing.values() if status == FindingStatus.ACTIVE]

    if new_rows:
        # with their SSVC priorities: each new row written once, not inserted then updated
        priorities = priority_columns([(r[0], r[4]) for r in new_rows], now)
        insert_rows(
            Finding,
            (*_INSERT, *PRIORITY_COLUMNS),
            ((*r, *priorities[(r[0], r[4])]) for r in new_rows),
        )
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
        f"UPDATE {table} SET {columns}, digest = %s, kev = %s, status = %s, "
        "last_seen = %s, "
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
            [
                *content,
                values.digest,
                values.kev,
                FindingStatus.ACTIVE.value,
                now,
                reopened,
                finding_id,
            ]
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
    return sorted({identity_id for _, identity_id in identity_lookups(keys)})


def identity_lookups(keys: Iterable[tuple[str, str]]) -> list[tuple[tuple[str, str], int]]:
    """Return ``(key, identity id)`` for every identity filed under a key of ``keys``."""
    wanted = {(e, n) for e, n in keys}
    if not wanted:
        return []
    rows = IdentityLookup.objects.filter(name__in=one_of({n for _, n in wanted})).values_list(
        "ecosystem", "name", "identity_id"
    )
    return [((e, n), i) for e, n, i in rows if (e, n) in wanted]


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
