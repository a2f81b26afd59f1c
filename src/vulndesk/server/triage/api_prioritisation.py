"""REST API routes of prioritisation: a finding's explanation, SSVC overrides, SLA policies.

A finding the caller may not see is a 404 (as on ``/findings/{id}``); overriding needs the
editor role on its product (403 otherwise); SLA policies are read by anyone who sees a product
of the organisation and changed by superusers (``triage.overrides.may_set_sla``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest
from ninja import Field, Router, Schema, Status

from vulndesk.server.accounts.models import Organisation
from vulndesk.server.accounts.permissions import has_role, visible_products
from vulndesk.server.accounts.services import organisation_default
from vulndesk.server.api_fields import DbId, Text
from vulndesk.server.findings.models import Finding
from vulndesk.server.findings.selectors import finding_get
from vulndesk.server.inventory.models import Role
from vulndesk.server.triage import overrides as services
from vulndesk.server.triage.explanation import finding_explanation, sla_policies
from vulndesk.server.triage.models import Priority

router = Router(tags=["prioritisation"])

#: the points an override may set, as the schema's enumeration
OverridablePoint = Literal[services.OVERRIDABLE_POINTS]  # type: ignore[valid-type]


class ExplanationOut(Schema):
    """Why a finding has its priority: every SSVC input with its source and the table rows that
    fired (``assessment``), the evidence behind them, overrides, the product's context and the
    SLA. ``priority`` is the stored value, ``priority_computed`` what the inputs give now (they
    differ only while a refresh is pending); both are empty for a finding stated not affected
    or fixed (``vex_settled``)."""

    finding_id: int
    vulnerability_id: str
    aliases: list[str]
    product: dict[str, Any]
    priority: str
    priority_computed: str
    due_at: str | None
    overdue: bool
    analysis_state: str
    vex_settled: bool
    problem: str | None
    assessment: dict[str, Any] = Field(
        description="core SSVC Assessment: table, outcome, row, points (value, source, detail, "
        "override), decisions (every table row that fired), epss"
    )
    asset: dict[str, Any]
    evidence: dict[str, Any] = Field(
        description="records, cves, cvss (every vector with its rater, the displayed one "
        "first), exploitation statements, kev entries, epss scores, epss_jump, vulnrichment"
    )
    overrides: list[dict[str, Any]]
    override_history: list[dict[str, Any]]
    sla: dict[str, Any]


class OverrideIn(Schema):
    """A person's value for one SSVC decision point, and why."""

    point: OverridablePoint
    value: Annotated[Text, Field(min_length=1, max_length=60)] = Field(
        description="in SSVC's spelling, case-insensitive: active, public poc, yes, total..."
    )
    reason: Annotated[Text, Field(min_length=1, max_length=2000)]


class OverrideOut(Schema):
    """The override now in force, and the finding's priority with it."""

    id: int
    point: str
    value: str
    reason: str
    author: str
    created_at: str
    priority: str
    due_at: str | None


class SlaPolicyOut(Schema):
    """Days to fix per priority of one organisation (``default``: no policy set)."""

    organisation_id: int
    organisation: str
    policies: list[dict[str, Any]]


class SlaPolicyIn(Schema):
    """Days per priority to set (null: no due date); priorities left out keep theirs."""

    organisation_id: DbId | None = Field(
        None, description="the organisation (default: the default organisation)"
    )
    days: dict[Priority, Annotated[int, Field(ge=0, le=services.MAX_SLA_DAYS)] | None]


def _visible_finding(request: HttpRequest, finding_id: int) -> Finding:
    finding = finding_get(user=request.auth, finding_id=finding_id)
    if finding is None:
        raise Http404("no such finding")
    return finding


def _editable_finding(request: HttpRequest, finding_id: int) -> Finding:
    finding = _visible_finding(request, finding_id)
    if not has_role(request.auth, finding.product, Role.EDITOR):
        raise PermissionDenied(f"overriding needs the editor role on {finding.product.name}")
    return finding


@router.get("/findings/{finding_id}/explanation", response=ExplanationOut)
def finding_explanation_get(request: HttpRequest, finding_id: DbId) -> dict[str, Any]:
    """Return why a finding has its priority (404 when the caller may not see it)."""
    return finding_explanation(_visible_finding(request, finding_id))


@router.post("/findings/{finding_id}/ssvc-overrides", response={201: OverrideOut})
def ssvc_override_create(
    request: HttpRequest, finding_id: DbId, body: OverrideIn
) -> Status[dict[str, Any]]:
    """Override one SSVC point of the finding's vulnerability in its product (editor role): it
    applies to every finding of that vulnerability in the product, and replaces the override of
    the same point in force."""
    finding = _editable_finding(request, finding_id)
    override = services.ssvc_override_set(
        product=finding.product,
        vulnerability_id=finding.vulnerability_id,
        point=body.point,
        value=body.value,
        reason=body.reason,
        acting_user=request.auth,
    )
    finding.refresh_from_db(fields=["priority", "due_at"])
    return Status(
        201,
        {
            "id": override.pk,
            "point": override.point,
            "value": override.value,
            "reason": override.reason,
            "author": override.author_label,
            "created_at": override.created_at.isoformat(),
            "priority": finding.priority,
            "due_at": finding.due_at.isoformat() if finding.due_at else None,
        },
    )


@router.delete("/findings/{finding_id}/ssvc-overrides/{point}", response={204: None})
def ssvc_override_delete(request: HttpRequest, finding_id: DbId, point: str) -> Status[None]:
    """End the override of ``point`` (editor role), so the automatic value applies again; 404
    when none is in force."""
    finding = _editable_finding(request, finding_id)
    ended = services.ssvc_override_clear(
        product=finding.product,
        vulnerability_id=finding.vulnerability_id,
        point=point,
        acting_user=request.auth,
    )
    if not ended:
        raise Http404(f"no override of {point!r} is in force")
    return Status(204, None)


def _organisations_of(user: Any) -> Any:
    if user.is_superuser:
        return Organisation.objects.all()
    return Organisation.objects.filter(products__in=visible_products(user)).distinct()


@router.get("/sla-policies", response=list[SlaPolicyOut])
def sla_policy_list(request: HttpRequest) -> list[dict[str, Any]]:
    """Return the days to fix per priority of each organisation whose products the caller
    sees."""
    return sla_policies(_organisations_of(request.auth))


@router.put("/sla-policies", response=SlaPolicyOut)
def sla_policy_put(request: HttpRequest, body: SlaPolicyIn) -> dict[str, Any]:
    """Set days to fix per priority for an organisation (superusers); due dates of its findings
    are recomputed."""
    if not services.may_set_sla(request.auth):
        raise PermissionDenied("only a superuser may change SLA policies")
    if body.organisation_id is None:
        organisation = organisation_default()
    else:
        organisation = Organisation.objects.filter(pk=body.organisation_id).first()
        if organisation is None:
            raise Http404("no such organisation")
    with transaction.atomic():
        for priority, days in body.days.items():
            services.sla_policy_set(
                organisation=organisation,
                priority=Priority(priority).value,
                days=days,
                acting_user=request.auth,
            )
    return sla_policies(Organisation.objects.filter(pk=organisation.pk))[0]
