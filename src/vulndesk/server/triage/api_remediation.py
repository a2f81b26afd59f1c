"""REST API routes of remediation: a release's remediation plan, its exports, status changes.

Visibility is the release's: a release of a product outside the caller's teams is a 404, a
viewer may read the plan, and changing a status needs the editor role (403 otherwise).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.http import content_disposition_header
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError

from vulndesk.server.accounts.permissions import product_for
from vulndesk.server.api_fields import DbId, Text
from vulndesk.server.findings.models import Severity
from vulndesk.server.inventory.models import Component, Release, Role
from vulndesk.server.inventory.selectors import release_get
from vulndesk.server.triage.models import RemediationStatus
from vulndesk.server.triage.remediation import (
    TransitionRefused,
    remediation_item,
    remediation_plan,
    remediation_transition,
)
from vulndesk.server.triage.remediation_export import (
    item_json,
    plan_csv,
    plan_json,
    plan_markdown,
    plan_tickets,
)

router = Router(tags=["remediation"])

#: priorities as stored: a triage.models.Priority value, or "" until assessed
PriorityValue = Literal["immediate", "out-of-cycle", "scheduled", "defer", ""]


class PlanFindingOut(Schema):
    """A finding of a plan item."""

    finding_id: int
    vulnerability_id: str
    aliases: list[str]
    severity: Severity
    priority: PriorityValue
    due_at: datetime | None
    kev: bool
    cleared: bool = Field(description="whether the item's target version fixes it")


class PlanItemOut(Schema):
    """One vulnerable component of the release: its upgrade and remediation status."""

    component_id: int
    name: str
    version: str
    purl: str
    direct: bool = Field(description="a direct dependency of the release (from the SBOM)")
    ecosystem: str | None = Field(description="the OSV ecosystem the upgrade is ordered in")
    target_version: str | None = Field(
        description="the smallest version that clears the findings; null when none is known"
    )
    crosses_major: bool
    upgrade_reason: str = Field(description="why this target, or why there is none")
    clears: list[str] = Field(description="the advisory ids the target fixes")
    remaining: list[str] = Field(description="advisory ids of findings the target leaves")
    introduces: list[str] = Field(description="advisory ids that affect the target only")
    severity: Severity = Field(description="the highest of the findings'")
    priority: PriorityValue = Field(description="the most urgent of the findings'")
    due_at: datetime | None = Field(description="the earliest SLA due date of the findings")
    overdue: bool
    status: RemediationStatus
    allowed_next: list[RemediationStatus]
    note: str
    updated_by: str | None
    updated_at: datetime | None
    findings: list[PlanFindingOut]


class PlanOut(Schema):
    """A release's remediation plan, items most urgent first."""

    product_id: int
    product: str
    release_id: int
    release: str
    generated_at: datetime
    counts: dict[RemediationStatus, int] = Field(description="items per status")
    items: list[PlanItemOut]


class TicketComponentOut(Schema):
    """The component a ticket is about."""

    name: str
    version: str
    purl: str | None


class TicketOut(Schema):
    """One ticket, ready for an issue tracker."""

    external_id: str = Field(description="stable across exports, to deduplicate tickets")
    title: str
    body: str = Field(description="Markdown")
    labels: list[str]
    due_date: str | None = Field(description="YYYY-MM-DD (UTC)")
    priority: PriorityValue | None
    severity: Severity
    status: RemediationStatus
    vulnerabilities: list[str]
    component: TicketComponentOut
    target_version: str | None
    crosses_major: bool


class PlanQuery(Schema):
    """How the plan is answered."""

    format: Literal["json", "csv", "markdown", "tickets"] = Field(
        "json",
        description="json: the plan; csv and markdown: the export as a file; tickets: a JSON "
        "array, one ticket per item still open or in progress",
    )


class StatusIn(Schema):
    """A status change of one item; the fields left out stay as they are."""

    status: RemediationStatus | None = Field(
        None, description="the next status: one of the item's allowed_next"
    )
    note: Annotated[Text, Field(max_length=5000)] | None = Field(
        None, description='replaces the note ("" clears it)'
    )


_EXPORT_TYPES = {
    "csv": ("text/csv; charset=utf-8", "csv"),
    "markdown": ("text/markdown; charset=utf-8", "md"),
}

_PLAN_RESPONSES = {
    "responses": {
        200: {
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "text/markdown": {"schema": {"type": "string"}},
            }
        }
    }
}


@router.get(
    "/releases/{release_id}/remediation",
    response=PlanOut | list[TicketOut],
    openapi_extra=_PLAN_RESPONSES,
)
def remediation_plan_get(request: HttpRequest, release_id: DbId, query: Query[PlanQuery]) -> Any:
    """Return the release's remediation plan: for each component with findings still to fix
    (active, not stated not affected or fixed by VEX), the smallest upgrade that clears them,
    whether it crosses a major version, the findings' priority and earliest SLA due date, and
    the item's status; most urgent first.

    `format` chooses the answer: `json` (default) the plan (`PlanOut`); `csv` and `markdown` the
    plan as a file (`text/csv` with a byte order mark, one row per item; `text/markdown`, a
    table for a ticket or pull-request comment); `tickets` a JSON array of `TicketOut`, one per
    item still open or in progress, with a title such as "Upgrade jinja2 2.10 -> 2.11.3 in
    shop 1.8.0 (clears 2 vulnerabilities)", a Markdown body, labels, due date and priority.
    """
    release = _release_for(request.auth, release_id)
    plan = remediation_plan(release=release, user=request.auth)
    if query.format == "json":
        return plan_json(plan)
    if query.format == "tickets":
        return plan_tickets(plan)
    media_type, extension = _EXPORT_TYPES[query.format]
    text = plan_csv(plan) if query.format == "csv" else plan_markdown(plan)
    response = HttpResponse(text.encode(), content_type=media_type)
    name = f"{plan.product}-{plan.release}-remediation.{extension}"
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=name)
    return response


@router.patch(
    "/releases/{release_id}/remediation/{component_id}",
    response=PlanItemOut,
    openapi_extra={
        "responses": {
            409: {
                "description": "the transition table does not allow this change from the "
                "item's status (the message names the statuses it may go to)",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            }
        }
    },
)
def remediation_status_patch(
    request: HttpRequest, release_id: DbId, component_id: DbId, body: StatusIn
) -> dict[str, Any]:
    """Move a component's remediation along the transition table (editor role) and return the
    item: open -> in_progress, fixed, accepted_risk or not_affected; in_progress -> any of those
    or back to open; a settled item (fixed, accepted_risk, not_affected) only back to open.
    Sending the current status, or no status, changes only the note."""
    user = request.auth
    release = _release_for(user, release_id)
    product_for(user, release.product_id, Role.EDITOR)
    component = Component.objects.filter(id=component_id, release=release).first()
    if component is None:
        raise Http404("no such component in this release")
    try:
        remediation_transition(
            release=release,
            component=component,
            status=body.status,
            note=body.note,
            acting_user=user,
        )
    except TransitionRefused as exc:
        raise HttpError(409, str(exc)) from exc
    return item_json(remediation_item(release=release, component=component))


def _release_for(user: Any, release_id: int) -> Release:
    """Return the release if ``user`` may see it, else 404."""
    release = release_get(user=user, release_id=release_id)
    if release is None:
        raise Http404("no such release")
    return release
