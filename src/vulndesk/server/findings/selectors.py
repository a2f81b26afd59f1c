"""Reading findings: lists with filters in SQL, counts, and matching SBOMs without storing."""

from __future__ import annotations

from dataclasses import dataclass
from types import EllipsisType
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from vulndesk.server.accounts.permissions import restrict_to_visible
from vulndesk.server.findings.models import (
    SEVERITY_RANK,
    UNSCORED_LAST,
    Finding,
    FindingStatus,
    PortfolioSnapshot,
)
from vulndesk.server.triage.models import PRIORITY_RANK


@dataclass(frozen=True, slots=True)
class FindingFilters:
    """What a findings list is narrowed to; every field optional (None or empty: no filter).

    ``severities`` are Severity values; ``package`` matches the component name exactly
    (case-insensitively); ``q`` a vulnerability id or alias prefix, or a component name prefix.
    ``priorities`` are SSVC outcomes (triage.models.Priority) and ``analysis_states`` VEX states,
    ``""`` in either for findings without one.
    """

    status: str | None = FindingStatus.ACTIVE
    severities: tuple[str, ...] = ()
    kev: bool | None = None
    epss_min: float | None = None
    product_id: int | None = None
    release_id: int | None = None
    package: str | None = None
    q: str | None = None
    priorities: tuple[str, ...] = ()
    analysis_states: tuple[str, ...] = ()
    overdue: bool | None = None  # past its SLA due date (now), or not (no due date counts)


#: the orders a findings list can be sorted in: name -> ORDER BY fields (id last: stable pages)
FINDING_SORTS: dict[str, tuple[str, ...]] = {
    "-severity": ("-severity_rank", "-id"),
    "severity": ("severity_rank", "id"),
    "-first_seen": ("-first_seen", "-id"),
    "first_seen": ("first_seen", "id"),
    "-epss": (UNSCORED_LAST["epss"], "-id"),  # type: ignore[dict-item]
    "-cvss": (UNSCORED_LAST["cvss_score"], "-id"),  # type: ignore[dict-item]
    "component": ("component_name", "component_version", "id"),
    "vulnerability": ("vulnerability_id", "id"),
    # most urgent SSVC outcome first, then most severe (the finding_priority index)
    "priority": ("-priority_rank", "-severity_rank", "-id"),
}


def finding_list(
    *,
    user: Any,
    filters: FindingFilters,
    sort: str = "-severity",
    visible: list[int] | EllipsisType | None = ...,
) -> QuerySet[Finding]:
    """Return the findings ``user`` may see that pass ``filters``, in ``sort`` order.

    Permissions, filters and order all run in SQL: the list is one indexed query however many
    findings the portfolio holds. An unknown ``sort`` raises KeyError (the caller validates).
    """
    findings = restrict_to_visible(Finding.objects.all(), user, visible=visible)
    if filters.status:
        findings = findings.filter(status=filters.status)
    if filters.severities:
        # by rank, the column the indexes sort on, so "low only" is an index range, not a scan
        # past every more severe row
        findings = findings.filter(
            severity_rank__in=sorted({SEVERITY_RANK[s] for s in filters.severities})
        )
    if filters.kev is not None:
        findings = findings.filter(kev=filters.kev)
    if filters.epss_min is not None:
        findings = findings.filter(group_epss__epss__gte=filters.epss_min)
    if filters.product_id is not None:
        findings = findings.filter(product_id=filters.product_id)
    if filters.release_id is not None:
        findings = findings.filter(release_id=filters.release_id)
    if filters.package:
        findings = findings.filter(component_name=filters.package)
    if filters.priorities:
        # by rank, as severities: the priority sort's index serves it
        findings = findings.filter(
            priority_rank__in=sorted({PRIORITY_RANK[p] for p in filters.priorities})
        )
    if filters.analysis_states:
        findings = findings.filter(analysis_state__in=sorted(set(filters.analysis_states)))
    if filters.overdue is not None:
        past_due = Q(due_at__lt=timezone.now())
        findings = findings.filter(past_due if filters.overdue else ~past_due)
    if filters.q:
        q = filters.q.strip()
        findings = findings.filter(
            Q(vulnerability_id__istartswith=q) | Q(component_name__istartswith=q)
            | Q(aliases__icontains=q)
        )  # fmt: skip
    return findings.order_by(*FINDING_SORTS[sort]).select_related(
        "product", "release", "group_epss"
    )


def finding_get(*, user: Any, finding_id: int) -> Finding | None:
    """Return one finding if ``user`` may see it, else None (callers answer 404)."""
    findings = restrict_to_visible(Finding.objects.filter(id=finding_id), user)
    return findings.select_related("product", "release", "component", "group_epss").first()


def finding_severity_counts(
    *, user: Any, product_id: int | None = None, release_id: int | None = None
) -> dict[str, int]:
    """Return active findings per severity among what ``user`` may see."""
    findings = restrict_to_visible(Finding.objects.filter(status=FindingStatus.ACTIVE), user)
    if product_id is not None:
        findings = findings.filter(product_id=product_id)
    if release_id is not None:
        findings = findings.filter(release_id=release_id)
    counts = dict(findings.values_list("severity").annotate(n=Count("id")).order_by())
    return {s: counts.get(s, 0) for s in SEVERITY_RANK}


def finding_priority_counts(*, user: Any) -> dict[str, int]:
    """Return the active findings ``user`` may see per SSVC priority (``""``: none), and under
    ``"overdue"`` how many of them are past their due date: one pass over the rows."""
    findings = restrict_to_visible(Finding.objects.filter(status=FindingStatus.ACTIVE), user)
    counts = findings.aggregate(
        **{
            priority or "none": Count("id", filter=Q(priority=priority))
            for priority in PRIORITY_RANK
        },
        overdue=Count("id", filter=Q(due_at__lt=timezone.now())),
    )
    return {key: value or 0 for key, value in counts.items()}


def snapshots(*, limit: int = 90) -> list[PortfolioSnapshot]:
    """Return the newest portfolio snapshots, oldest first (the risk-over-time chart)."""
    return list(reversed(PortfolioSnapshot.objects.order_by("-taken_at")[:limit]))
