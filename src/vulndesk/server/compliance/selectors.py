"""Reading CRA events, NIS2 records and their reports, limited to what a user may see.

A CRA event is seen by whoever may see its product (``accounts.permissions``); a NIS2 record
with a product likewise, one without a product by superusers and the person who recorded it.
Lists are filtered in SQL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from vulndesk.server.accounts.permissions import restrict_to_visible, visible_product_ids
from vulndesk.server.compliance.models import (
    CraEvent,
    EventState,
    Nis2Record,
    RegulatoryReport,
    ReportState,
)
from vulndesk.server.findings.models import Finding

__all__ = [
    "ComplianceOverview",
    "compliance_overview",
    "cra_event_findings",
    "cra_event_get",
    "cra_events_list",
    "nis2_record_get",
    "nis2_records_list",
    "report_of",
    "reports_of",
]


def _overdue_reports(now: datetime) -> QuerySet[RegulatoryReport]:
    return RegulatoryReport.objects.filter(
        submitted_at__isnull=True, due_at__isnull=False, due_at__lte=now
    )


def cra_events_list(
    *,
    user: Any,
    state: str | None = None,
    product_id: int | None = None,
    overdue: bool | None = None,
    now: datetime | None = None,
) -> QuerySet[CraEvent]:
    """Return the CRA events ``user`` may see, newest awareness first, filtered by ``state``,
    ``product_id`` and ``overdue`` (a report past due and not submitted, the event not
    dismissed; False: none)."""
    events = restrict_to_visible(CraEvent.objects.select_related("product"), user)
    if state:
        events = events.filter(state=state)
    if product_id is not None:
        events = events.filter(product_id=product_id)
    if overdue is not None:
        late = Exists(_overdue_reports(now or timezone.now()).filter(event=OuterRef("pk")))
        events = (
            events.filter(late).exclude(state=EventState.DISMISSED)
            if overdue
            else events.exclude(Q(late) & ~Q(state=EventState.DISMISSED))
        )
    return events.order_by("-aware_at", "-id")


def cra_event_get(*, user: Any, event_id: int) -> CraEvent | None:
    """Return the event ``event_id`` if ``user`` may see its product, else None."""
    events = restrict_to_visible(CraEvent.objects.select_related("product__organisation"), user)
    return events.filter(pk=event_id).first()


def cra_event_findings(event: CraEvent) -> QuerySet[Finding]:
    """Return the findings of ``event``'s vulnerability in its product (every release, active
    or resolved), by release version: the affected releases and components as they stand now
    (``event.releases`` holds those known when it opened)."""
    if not event.vulnerability_id:
        return Finding.objects.none()
    return (
        Finding.objects.filter(product_id=event.product_id, vulnerability_id=event.vulnerability_id)
        .select_related("release")
        .order_by("release__version", "id")
    )


def reports_of(owner: CraEvent | Nis2Record) -> list[RegulatoryReport]:
    """Return the reports of an event or a record, in the order they are due."""
    key = "event" if isinstance(owner, CraEvent) else "record"
    order = {"early_warning": 0, "notification": 1, "final": 2}
    rows = RegulatoryReport.objects.filter(**{key: owner}).select_related("submitted_by")
    return sorted(rows, key=lambda r: order.get(r.kind, 3))


def report_of(owner: CraEvent | Nis2Record, kind: str) -> RegulatoryReport | None:
    """Return the report of ``kind`` of an event or a record, or None."""
    key = "event" if isinstance(owner, CraEvent) else "record"
    return RegulatoryReport.objects.filter(**{key: owner, "kind": kind}).first()


def nis2_records_list(*, user: Any) -> QuerySet[Nis2Record]:
    """Return the NIS2 records ``user`` may see, newest awareness first."""
    records = Nis2Record.objects.select_related("product", "organisation")
    if not user.is_authenticated:
        return records.none()
    if user.is_superuser:
        return records.order_by("-aware_at", "-id")
    ids = visible_product_ids(user)
    mine = Q(product__isnull=True, created_by=user)
    seen = Q(product__isnull=False) if ids is None else Q(product_id__in=ids)
    return records.filter(mine | seen).order_by("-aware_at", "-id")


def nis2_record_get(*, user: Any, record_id: int) -> Nis2Record | None:
    """Return the record ``record_id`` if ``user`` may see it, else None."""
    return nis2_records_list(user=user).filter(pk=record_id).first()


@dataclass
class ComplianceOverview:
    """What the compliance dashboard shows: open reports by urgency, and per product."""

    overdue: list[RegulatoryReport] = field(default_factory=list)
    within_24h: list[RegulatoryReport] = field(default_factory=list)
    within_72h: list[RegulatoryReport] = field(default_factory=list)
    later: list[RegulatoryReport] = field(default_factory=list)
    # product id -> {"name", "open_events", "overdue", "next_due"}
    products: dict[int, dict[str, Any]] = field(default_factory=dict)


def compliance_overview(*, user: Any, now: datetime | None = None) -> ComplianceOverview:
    """Return the reports still to submit whose clock runs, of the events (not dismissed)
    ``user`` may see and their significant NIS2 incidents, by urgency at ``now``, with a
    status per product."""
    now = now or timezone.now()
    events = cra_events_list(user=user).exclude(state=EventState.DISMISSED)
    records = nis2_records_list(user=user).filter(significant=True)
    reports = (
        RegulatoryReport.objects.filter(submitted_at__isnull=True, due_at__isnull=False)
        .filter(Q(event__in=events.values("pk")) | Q(record__in=records.values("pk")))
        .select_related("event__product", "record__product")
        .order_by("due_at", "id")
    )
    overview = ComplianceOverview()
    for report in reports:
        assert report.due_at is not None
        left = report.due_at - now
        if report.state_at(now) == ReportState.OVERDUE:
            overview.overdue.append(report)
        elif left <= timedelta(hours=24):
            overview.within_24h.append(report)
        elif left <= timedelta(hours=72):
            overview.within_72h.append(report)
        else:
            overview.later.append(report)
        owner = report.event or report.record
        product = owner.product if owner is not None else None
        if product is None:
            continue
        row = overview.products.setdefault(
            product.pk, {"name": product.name, "open_events": set(), "overdue": 0, "next_due": None}
        )
        if report.event_id is not None:
            row["open_events"].add(report.event_id)
        if report.due_at <= now:
            row["overdue"] += 1
        elif row["next_due"] is None:
            row["next_due"] = report.due_at
    for row in overview.products.values():
        row["open_events"] = len(row["open_events"])
    return overview
