"""REST API routes of compliance: CRA events and their reports, NIS2 records, the overview.

Visibility is the product's: an event of a product outside the caller's teams is a 404; a
viewer reads events, reports and their JSON documents; confirming, dismissing, re-opening,
recording the corrective measure, editing a draft and marking a report submitted need the
editor role (403 otherwise). A state change the transition table does not allow is a 409.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError

from vulndesk.server.accounts.models import Organisation
from vulndesk.server.accounts.permissions import product_for
from vulndesk.server.api_fields import DbId, Name, Text, UtcDatetime
from vulndesk.server.api_pagination import Page, PageParams, paginate
from vulndesk.server.compliance import services
from vulndesk.server.compliance.detection import exploitation_assert
from vulndesk.server.compliance.documents import report_document
from vulndesk.server.compliance.models import (
    CraEvent,
    EntityType,
    EventState,
    Exploitation,
    Impact,
    Nis2Kind,
    Nis2Record,
    RegulatoryReport,
    ReportKind,
    Trigger,
)
from vulndesk.server.compliance.nis2 import nis2_record_assess, nis2_record_create
from vulndesk.server.compliance.selectors import (
    compliance_overview,
    cra_event_get,
    cra_events_list,
    nis2_record_get,
    nis2_records_list,
    report_of,
    reports_of,
)
from vulndesk.server.findings.selectors import finding_get
from vulndesk.server.inventory.models import Role

router = Router(tags=["compliance"])

KindPath = Literal["early_warning", "notification", "final"]
_CONFLICT = {
    409: {
        "description": "the transition table does not allow this change from the event's state",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
}


class ReportOut(Schema):
    """One report: its clock, draft and submission."""

    id: int
    kind: ReportKind
    state: Literal["draft", "due", "overdue", "submitted"] = Field(
        description="draft: its clock has not started; due: running; overdue: passed"
    )
    due_at: datetime | None
    counts_from: str = Field(description="what starts its clock")
    content: dict[str, Any] = Field(description="the structured draft")
    updated_at: datetime | None
    submitted_at: datetime | None
    submitted_by: str | None
    submission_reference: str


class EventOut(Schema):
    """A CRA event, as listed."""

    id: int
    product_id: int
    product: str
    regime: Literal["cra_vulnerability", "cra_incident"]
    vulnerability_id: str
    title: str
    trigger: Trigger
    state: EventState
    aware_at: datetime = Field(description="when vulndesk learnt it; never moves")
    next_due_at: datetime | None = Field(description="the earliest due time not yet submitted")
    overdue: bool


class EventDetailOut(EventOut):
    """A CRA event with its evidence, measure and reports."""

    evidence_source: str
    evidence_reference: str
    evidence_text: str
    state_reason: str
    state_changed_at: datetime | None
    case: str | None
    release_ids: list[int]
    member_states: list[str]
    measure_fix_version: str
    measure_description: str
    measure_available_at: datetime | None
    reports: list[ReportOut]


class EventQuery(Schema):
    """Filters of the event list."""

    state: EventState | None = None
    product_id: DbId | None = None
    overdue: bool | None = Field(None, description="true: a report past due, not submitted")


class EventIn(Schema):
    """A CRA event opened by a person: a severe incident, or an exploited vulnerability."""

    product_id: DbId
    regime: Literal["cra_vulnerability", "cra_incident"] = "cra_incident"
    vulnerability_id: Annotated[Text, Field(max_length=255)] = ""
    title: Annotated[Text, Field(max_length=300)] = ""
    evidence: Annotated[Name, Field(max_length=5000)]
    reference: Annotated[Text, Field(max_length=1000)] = ""
    aware_at: UtcDatetime | None = Field(None, description="default: now")
    member_states: list[Annotated[Text, Field(max_length=2)]] = Field(default_factory=list)


class EventPatch(Schema):
    """Event fields a person sets; those left out stay."""

    title: Annotated[Text, Field(max_length=300)] | None = None
    member_states: list[Annotated[Text, Field(max_length=2)]] | None = Field(
        None, description="ISO 3166-1 codes of the EU member states where it is made available"
    )


class ReasonIn(Schema):
    """Why."""

    reason: Annotated[Text, Field(max_length=5000)] = ""


class RequiredReasonIn(Schema):
    """Why (required)."""

    reason: Annotated[Name, Field(max_length=5000)]


class MeasureIn(Schema):
    """The corrective or mitigating measure; it starts the final report's clock."""

    fix_version: Annotated[Text, Field(max_length=200)] = ""
    description: Annotated[Text, Field(max_length=5000)] = ""
    available_at: UtcDatetime | None = Field(None, description="default: now")


class DraftIn(Schema):
    """Fields of the draft to change (null empties one)."""

    content: dict[str, Any]


class SubmitIn(Schema):
    """The submission of a report."""

    reference: Annotated[Name, Field(max_length=200)] = Field(
        description="the reference the reporting platform gave"
    )
    submitted_at: UtcDatetime | None = Field(None, description="default: now")


class AssertIn(Schema):
    """A person's assertion that a finding's vulnerability is actively exploited."""

    evidence: Annotated[Name, Field(max_length=2000)]
    reference: Annotated[Text, Field(max_length=1000)] = ""


class AssertOut(Schema):
    """The CRA event the assertion opened (null: none, see the route)."""

    event_id: int | None


class AssessmentIn(Schema):
    """A NIS2 risk assessment; fields left out stay."""

    impact_confidentiality: Impact | None = None
    impact_integrity: Impact | None = None
    impact_availability: Impact | None = None
    exploitation: Exploitation | None = None
    cross_border: bool | None = None
    societal_impact: Impact | None = None


class Nis2In(Schema):
    """A NIS2 incident or significant vulnerability."""

    kind: Nis2Kind = Nis2Kind.INCIDENT
    entity_type: EntityType
    sector: Annotated[Name, Field(max_length=200)]
    title: Annotated[Name, Field(max_length=300)]
    description: Annotated[Text, Field(max_length=20000)] = ""
    product_id: DbId | None = None
    vulnerability_id: Annotated[Text, Field(max_length=255)] = ""
    aware_at: UtcDatetime | None = None
    member_states: list[Annotated[Text, Field(max_length=2)]] = Field(default_factory=list)
    assessment: AssessmentIn = Field(default_factory=AssessmentIn)


class Nis2Patch(Schema):
    """A new assessment, description or member states."""

    assessment: AssessmentIn = Field(default_factory=AssessmentIn)
    description: Annotated[Text, Field(max_length=20000)] | None = None
    member_states: list[Annotated[Text, Field(max_length=2)]] | None = None


class Nis2Out(Schema):
    """A NIS2 record with its assessment and reports."""

    id: int
    kind: Nis2Kind
    entity_type: EntityType
    sector: str
    title: str
    description: str
    product_id: int | None
    vulnerability_id: str
    aware_at: datetime
    impact_confidentiality: Impact
    impact_integrity: Impact
    impact_availability: Impact
    exploitation: Exploitation
    cross_border: bool
    societal_impact: Impact
    member_states: list[str]
    significant: bool
    assessment_reason: str
    reports: list[ReportOut]


class OverviewReportOut(Schema):
    """A report whose clock runs, on the overview."""

    report_id: int
    kind: ReportKind
    due_at: datetime
    event_id: int | None
    nis2_record_id: int | None
    product_id: int | None


class OverviewProductOut(Schema):
    """One product's compliance status."""

    product_id: int
    name: str
    open_events: int
    overdue: int
    next_due: datetime | None


class OverviewOut(Schema):
    """Open clocks by urgency and per product."""

    overdue: list[OverviewReportOut]
    within_24h: list[OverviewReportOut]
    within_72h: list[OverviewReportOut]
    later: list[OverviewReportOut]
    products: list[OverviewProductOut]


# -- conversions ---------------------------------------------------------------------------------


def _report_json(report: RegulatoryReport, now: datetime) -> dict[str, Any]:
    return {
        "id": report.pk,
        "kind": report.kind,
        "state": report.state_at(now),
        "due_at": report.due_at,
        "counts_from": report.counts_from,
        "content": report.content,
        "updated_at": report.updated_at,
        "submitted_at": report.submitted_at,
        "submitted_by": report.submitted_by.get_username() if report.submitted_by else None,
        "submission_reference": report.submission_reference,
    }


def _event_json(event: CraEvent, reports: list[RegulatoryReport], now: datetime) -> dict[str, Any]:
    open_dues = [r.due_at for r in reports if r.submitted_at is None and r.due_at is not None]
    next_due = min(open_dues, default=None)
    return {
        "id": event.pk,
        "product_id": event.product_id,
        "product": event.product.name,
        "regime": event.regime,
        "vulnerability_id": event.vulnerability_id,
        "title": event.title,
        "trigger": event.trigger,
        "state": event.state,
        "aware_at": event.aware_at,
        "next_due_at": next_due,
        "overdue": event.state != EventState.DISMISSED and next_due is not None and next_due <= now,
    }


def _event_detail(event: CraEvent) -> dict[str, Any]:
    now = timezone.now()
    reports = reports_of(event)
    return {
        **_event_json(event, reports, now),
        "evidence_source": event.evidence_source,
        "evidence_reference": event.evidence_reference,
        "evidence_text": event.evidence_text,
        "state_reason": event.state_reason,
        "state_changed_at": event.state_changed_at,
        "case": event.case.identifier if event.case_id and event.case else None,
        "release_ids": sorted(r.pk for r in event.releases.all()),
        "member_states": list(event.member_states),
        "measure_fix_version": event.measure_fix_version,
        "measure_description": event.measure_description,
        "measure_available_at": event.measure_available_at,
        "reports": [_report_json(r, now) for r in reports],
    }


def _record_json(record: Nis2Record) -> dict[str, Any]:
    now = timezone.now()
    fields = (
        "id", "kind", "entity_type", "sector", "title", "description", "product_id",
        "vulnerability_id", "aware_at", "impact_confidentiality", "impact_integrity",
        "impact_availability", "exploitation", "cross_border", "societal_impact",
        "member_states", "significant", "assessment_reason",
    )  # fmt: skip
    return {
        **{name: getattr(record, name) for name in fields},
        "reports": [_report_json(r, now) for r in reports_of(record)],
    }


# -- lookups -------------------------------------------------------------------------------------


def _event_for(user: Any, event_id: int, role: Role = Role.VIEWER) -> CraEvent:
    event = cra_event_get(user=user, event_id=event_id)
    if event is None:
        raise Http404("no such event")
    if role != Role.VIEWER:
        product_for(user, event.product_id, role)
    return event


def _record_for(user: Any, record_id: int, role: Role = Role.VIEWER) -> Nis2Record:
    record = nis2_record_get(user=user, record_id=record_id)
    if record is None:
        raise Http404("no such NIS2 record")
    if role != Role.VIEWER and record.product_id is not None:
        product_for(user, record.product_id, role)
    return record


def _report_for(owner: CraEvent | Nis2Record, kind: str) -> RegulatoryReport:
    report = report_of(owner, kind)
    if report is None:
        raise Http404("no such report")
    return report


def _conflict(exc: services.TransitionRefused) -> HttpError:
    return HttpError(409, str(exc))


# -- CRA events ----------------------------------------------------------------------------------


@router.get("/compliance/events", response=Page[EventOut])
def event_list(
    request: HttpRequest, query: Query[EventQuery], page: Query[PageParams]
) -> dict[str, Any]:
    """List the CRA events of the products the caller may see, newest awareness first;
    filters: `state`, `product_id`, `overdue`."""
    now = timezone.now()
    events = cra_events_list(
        user=request.auth,
        state=query.state,
        product_id=query.product_id,
        overdue=query.overdue,
        now=now,
    )

    def convert(rows: list[CraEvent]) -> list[dict[str, Any]]:
        by_event: dict[int, list[RegulatoryReport]] = {}
        for report in RegulatoryReport.objects.filter(event__in=[e.pk for e in rows]):
            by_event.setdefault(report.event_id or 0, []).append(report)
        return [_event_json(e, by_event.get(e.pk, []), now) for e in rows]

    return paginate(events, page, convert=convert)


@router.post("/compliance/events", response={201: EventDetailOut})
def event_create(request: HttpRequest, body: EventIn) -> Status:
    """Open a CRA event by hand (editor role): a severe incident having an impact on the
    product's security (`cra_incident`: 24 h, 72 h, one month), or an actively exploited
    vulnerability a person asserts (`cra_vulnerability`)."""
    product = product_for(request.auth, body.product_id, Role.EDITOR)
    event = services.cra_event_open(
        product=product,
        regime=body.regime,
        vulnerability_id=body.vulnerability_id,
        title=body.title,
        trigger=Trigger.ASSERTION,
        evidence_source=f"assertion by {request.auth.get_username()}",
        evidence_reference=body.reference,
        evidence_text=body.evidence,
        aware_at=body.aware_at,
        member_states=list(body.member_states),
        acting_user=request.auth,
    )
    return Status(201, _event_detail(event))


@router.get("/compliance/events/{event_id}", response=EventDetailOut)
def event_detail(request: HttpRequest, event_id: DbId) -> dict[str, Any]:
    """Return a CRA event with its evidence, corrective measure and its three reports with
    their due times and states."""
    return _event_detail(_event_for(request.auth, event_id))


@router.patch("/compliance/events/{event_id}", response=EventDetailOut)
def event_patch(request: HttpRequest, event_id: DbId, body: EventPatch) -> dict[str, Any]:
    """Change an event's title or member states (editor role)."""
    event = _event_for(request.auth, event_id, Role.EDITOR)
    services.cra_event_update(
        event=event,
        title=body.title,
        member_states=list(body.member_states) if body.member_states is not None else None,
        acting_user=request.auth,
    )
    return _event_detail(_event_for(request.auth, event_id))


@router.post(
    "/compliance/events/{event_id}/confirm",
    response=EventDetailOut,
    openapi_extra={"responses": _CONFLICT},
)
def event_confirm(request: HttpRequest, event_id: DbId, body: ReasonIn) -> dict[str, Any]:
    """Confirm an open event as reportable (editor role)."""
    event = _event_for(request.auth, event_id, Role.EDITOR)
    try:
        services.cra_event_confirm(event=event, reason=body.reason, acting_user=request.auth)
    except services.TransitionRefused as exc:
        raise _conflict(exc) from exc
    return _event_detail(_event_for(request.auth, event_id))


@router.post(
    "/compliance/events/{event_id}/dismiss",
    response=EventDetailOut,
    openapi_extra={"responses": _CONFLICT},
)
def event_dismiss(request: HttpRequest, event_id: DbId, body: RequiredReasonIn) -> dict[str, Any]:
    """Dismiss an event with a reason (editor role); it stays, with its reports."""
    event = _event_for(request.auth, event_id, Role.EDITOR)
    try:
        services.cra_event_dismiss(event=event, reason=body.reason, acting_user=request.auth)
    except services.TransitionRefused as exc:
        raise _conflict(exc) from exc
    return _event_detail(_event_for(request.auth, event_id))


@router.post(
    "/compliance/events/{event_id}/reopen",
    response=EventDetailOut,
    openapi_extra={"responses": _CONFLICT},
)
def event_reopen(request: HttpRequest, event_id: DbId, body: RequiredReasonIn) -> dict[str, Any]:
    """Re-open a dismissed event with a reason (editor role); its clocks are unchanged."""
    event = _event_for(request.auth, event_id, Role.EDITOR)
    try:
        services.cra_event_reopen(event=event, reason=body.reason, acting_user=request.auth)
    except services.TransitionRefused as exc:
        raise _conflict(exc) from exc
    return _event_detail(_event_for(request.auth, event_id))


@router.put("/compliance/events/{event_id}/measure", response=EventDetailOut)
def event_measure(request: HttpRequest, event_id: DbId, body: MeasureIn) -> dict[str, Any]:
    """Record the corrective or mitigating measure (editor role): the final report of an
    actively exploited vulnerability is then due 14 days after `available_at`."""
    event = _event_for(request.auth, event_id, Role.EDITOR)
    services.cra_event_measure_set(
        event=event,
        fix_version=body.fix_version,
        description=body.description,
        available_at=body.available_at,
        acting_user=request.auth,
    )
    return _event_detail(_event_for(request.auth, event_id))


@router.patch("/compliance/events/{event_id}/reports/{kind}", response=ReportOut)
def event_report_edit(
    request: HttpRequest, event_id: DbId, kind: KindPath, body: DraftIn
) -> dict[str, Any]:
    """Change fields of a report's draft (editor role); unknown fields, wrong types and
    member states that are not EU ISO codes are refused with the field named."""
    event = _event_for(request.auth, event_id, Role.EDITOR)
    report = services.report_edit(
        report=_report_for(event, kind), content=body.content, acting_user=request.auth
    )
    return _report_json(report, timezone.now())


@router.post("/compliance/events/{event_id}/reports/{kind}/submit", response=ReportOut)
def event_report_submit(
    request: HttpRequest, event_id: DbId, kind: KindPath, body: SubmitIn
) -> dict[str, Any]:
    """Mark a report submitted, with the reference the Single Reporting Platform gave
    (editor role)."""
    event = _event_for(request.auth, event_id, Role.EDITOR)
    report = services.report_submit(
        report=_report_for(event, kind),
        reference=body.reference,
        submitted_at=body.submitted_at,
        acting_user=request.auth,
    )
    return _report_json(report, timezone.now())


@router.get("/compliance/events/{event_id}/reports/{kind}/document", response=dict[str, Any])
def event_report_document(request: HttpRequest, event_id: DbId, kind: KindPath) -> dict[str, Any]:
    """Return a report as its JSON document (`vulndesk-regulatory-report/1`): the draft with
    the regime, kind, due time, awareness, product and manufacturer."""
    event = _event_for(request.auth, event_id)
    return report_document(_report_for(event, kind))


@router.post("/findings/{finding_id}/exploitation", response={201: AssertOut, 200: AssertOut})
def finding_exploitation_assert(request: HttpRequest, finding_id: DbId, body: AssertIn) -> Status:
    """Assert, with evidence, that a finding's vulnerability is actively exploited (editor
    role): its SSVC exploitation becomes `active`, and for a product placed on the EU market a
    CRA event opens (201) unless one exists (200, `event_id` null)."""
    finding = finding_get(user=request.auth, finding_id=finding_id)
    if finding is None:
        raise Http404("no such finding")
    product_for(request.auth, finding.product_id, Role.EDITOR)
    event = exploitation_assert(
        finding=finding, evidence=body.evidence, reference=body.reference, acting_user=request.auth
    )
    return Status(201 if event else 200, {"event_id": event.pk if event else None})


@router.get("/compliance/overview", response=OverviewOut)
def overview(request: HttpRequest) -> dict[str, Any]:
    """Return the reports whose clock runs, by urgency (overdue, within 24 h, within 72 h,
    later), and each product's status: open events, overdue reports, next due time."""
    data = compliance_overview(user=request.auth)

    def rows(reports: list[RegulatoryReport]) -> list[dict[str, Any]]:
        out = []
        for r in reports:
            owner = r.event or r.record
            out.append(
                {
                    "report_id": r.pk,
                    "kind": r.kind,
                    "due_at": r.due_at,
                    "event_id": r.event_id,
                    "nis2_record_id": r.record_id,
                    "product_id": owner.product_id if owner is not None else None,
                }
            )
        return out

    return {
        "overdue": rows(data.overdue),
        "within_24h": rows(data.within_24h),
        "within_72h": rows(data.within_72h),
        "later": rows(data.later),
        "products": [{"product_id": pk, **row} for pk, row in sorted(data.products.items())],
    }


# -- NIS2 ----------------------------------------------------------------------------------------


@router.get("/compliance/nis2", response=Page[Nis2Out])
def nis2_list(request: HttpRequest, page: Query[PageParams]) -> dict[str, Any]:
    """List the NIS2 records the caller may see, newest awareness first."""
    records = nis2_records_list(user=request.auth)
    return paginate(records, page, convert=lambda rows: [_record_json(r) for r in rows])


@router.post("/compliance/nis2", response={201: Nis2Out})
def nis2_create(request: HttpRequest, body: Nis2In) -> Status:
    """Record a NIS2 incident or significant vulnerability with its risk assessment (editor
    role on the product; without a product, a superuser). A significant incident gets its
    early warning (24 h), notification (72 h) and final report (one month after the
    notification)."""
    user = request.auth
    product = product_for(user, body.product_id, Role.EDITOR) if body.product_id else None
    if product is not None:
        organisation = product.organisation
    else:
        if not user.is_superuser:
            raise HttpError(403, "a NIS2 record without a product needs an administrator")
        organisation = _organisation_of(user)
    record = nis2_record_create(
        organisation=organisation,
        kind=body.kind,
        entity_type=body.entity_type,
        sector=body.sector,
        title=body.title,
        description=body.description,
        product=product,
        vulnerability_id=body.vulnerability_id,
        aware_at=body.aware_at,
        member_states=list(body.member_states),
        assessment=body.assessment.model_dump(exclude_none=True),
        acting_user=user,
    )
    return Status(201, _record_json(record))


def _organisation_of(user: Any) -> Organisation:
    from vulndesk.server.accounts.services import organisation_default

    team = user.vulndesk_teams.select_related("organisation").first()
    return team.organisation if team is not None else organisation_default()


@router.get("/compliance/nis2/{record_id}", response=Nis2Out)
def nis2_detail(request: HttpRequest, record_id: DbId) -> dict[str, Any]:
    """Return a NIS2 record with its assessment and reports."""
    return _record_json(_record_for(request.auth, record_id))


@router.patch("/compliance/nis2/{record_id}", response=Nis2Out)
def nis2_patch(request: HttpRequest, record_id: DbId, body: Nis2Patch) -> dict[str, Any]:
    """Change a record's risk assessment, description or member states (editor role); the
    significance is decided again."""
    record = _record_for(request.auth, record_id, Role.EDITOR)
    record = nis2_record_assess(
        record=record,
        assessment=body.assessment.model_dump(exclude_none=True),
        description=body.description,
        member_states=list(body.member_states) if body.member_states is not None else None,
        acting_user=request.auth,
    )
    return _record_json(record)


@router.patch("/compliance/nis2/{record_id}/reports/{kind}", response=ReportOut)
def nis2_report_edit(
    request: HttpRequest, record_id: DbId, kind: KindPath, body: DraftIn
) -> dict[str, Any]:
    """Change fields of a NIS2 report's draft (editor role)."""
    record = _record_for(request.auth, record_id, Role.EDITOR)
    report = services.report_edit(
        report=_report_for(record, kind), content=body.content, acting_user=request.auth
    )
    return _report_json(report, timezone.now())


@router.post("/compliance/nis2/{record_id}/reports/{kind}/submit", response=ReportOut)
def nis2_report_submit(
    request: HttpRequest, record_id: DbId, kind: KindPath, body: SubmitIn
) -> dict[str, Any]:
    """Mark a NIS2 report submitted (editor role); the notification starts the final
    report's clock (one month)."""
    record = _record_for(request.auth, record_id, Role.EDITOR)
    report = services.report_submit(
        report=_report_for(record, kind),
        reference=body.reference,
        submitted_at=body.submitted_at,
        acting_user=request.auth,
    )
    return _report_json(report, timezone.now())


@router.get("/compliance/nis2/{record_id}/reports/{kind}/document", response=dict[str, Any])
def nis2_report_document(request: HttpRequest, record_id: DbId, kind: KindPath) -> dict[str, Any]:
    """Return a NIS2 report as its JSON document."""
    record = _record_for(request.auth, record_id)
    return report_document(_report_for(record, kind))
