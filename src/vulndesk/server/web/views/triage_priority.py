"""Web pages of prioritisation: the finding page's priority section with its override form, and
the SLA page (days to fix per priority).

The section shows the finding's priority and due date, every SSVC input with its value, source
and detail, the table rows that fired, the overrides in force and an EPSS jump as news; editors
may override one point with a reason. SLA days are shown to everyone who sees a product of the
organisation and changed by superusers (``triage.overrides.may_set_sla``). Views validate, call
one service or selector and render.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from vulndesk.core.errors import InputError
from vulndesk.server.accounts.models import Organisation
from vulndesk.server.accounts.permissions import has_role, product_for, visible_products
from vulndesk.server.advisories.selectors import advisory_get
from vulndesk.server.findings.models import Finding
from vulndesk.server.findings.selectors import finding_get
from vulndesk.server.inventory.models import Role
from vulndesk.server.triage.explanation import finding_explanation, sla_policies
from vulndesk.server.triage.models import Priority
from vulndesk.server.triage.overrides import (
    may_set_sla,
    sla_policy_set,
    ssvc_override_clear,
    ssvc_override_set,
)
from vulndesk.server.web.forms.priority import (
    POINT_LABELS,
    SOURCE_LABELS,
    TABLE_LABELS,
    SlaPolicyForm,
    SsvcOverrideClearForm,
    SsvcOverrideForm,
)


def finding_context(
    request: HttpRequest, finding: Finding, form: SsvcOverrideForm | None = None
) -> dict[str, Any]:
    """Return what the finding page's priority section shows (web/triage/_priority.html)."""
    explanation = finding_explanation(finding)
    assessment = explanation["assessment"]
    rows = [
        {
            "point": p["point"],
            "label": POINT_LABELS.get(p["point"], p["name"]),
            "value": p["value"],
            "source": p["source"],
            "source_label": SOURCE_LABELS.get(p["source"], p["source"]),
            "detail": p["detail"],
            "override": p["override"],
            "automatic": p["automatic"],
        }
        for p in assessment["points"]
    ]
    decisions = [
        {**d, "label": TABLE_LABELS.get(d["table"], d["table_name"])}
        for d in assessment["decisions"]
    ]
    can_edit = has_role(request.user, finding.product, Role.EDITOR)
    overrides = [
        {**o, "label": POINT_LABELS.get(o["point"], o["point"]), "at": _when(o["at"])}
        for o in (*explanation["overrides"], *explanation["override_history"])
    ]
    stored = explanation["priority"]
    return {
        "priority": explanation,
        "priority_label": Priority(stored).label if stored else "",
        "priority_rows": rows,
        "priority_decisions": decisions,
        "priority_overrides": overrides,
        "priority_form": (form or SsvcOverrideForm()) if can_edit else None,
        "priority_can_edit": can_edit,
    }


def _when(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _finding_for_edit(request: HttpRequest, finding_id: int) -> Finding:
    finding = finding_get(user=request.user, finding_id=finding_id)
    if finding is None:
        raise Http404("no such finding")
    product_for(request.user, finding.product_id, Role.EDITOR)  # 403 for a viewer
    return finding


def _back(finding: Finding) -> HttpResponse:
    return redirect(reverse("web:finding-detail", args=[finding.pk]) + "#priority")


@login_required
@require_POST
def finding_priority_override(request: HttpRequest, finding_id: int) -> HttpResponse:
    """Override one SSVC point of the finding's vulnerability in its product (editor role),
    then show the finding."""
    finding = _finding_for_edit(request, finding_id)
    form = SsvcOverrideForm(request.POST)
    if form.is_valid():
        point, value = form.point_and_value()
        try:
            ssvc_override_set(
                product=finding.product,
                vulnerability_id=finding.vulnerability_id,
                point=point,
                value=value,
                reason=form.cleaned_data["reason"],
                acting_user=request.user,
            )
        except InputError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _("%(point)s set to %(value)s for %(vulnerability)s in %(product)s.")
                % {
                    "point": POINT_LABELS[point],
                    "value": value,
                    "vulnerability": finding.vulnerability_id,
                    "product": finding.product.name,
                },
            )
            return _back(finding)
    # the finding page again, with the form and its errors (findings.finding_detail's context)
    from vulndesk.server.web.views import triage_vex

    context: dict[str, Any] = {
        "finding": finding,
        "advisories": [
            (advisory_id, advisory_get(advisory_id=advisory_id) is not None)
            for advisory_id in finding.advisory_ids
        ],
    }
    context.update(finding_context(request, finding, form))
    context.update(triage_vex.finding_context(request, finding))
    return render(request, "web/findings/detail.html", context, status=400)


@login_required
@require_POST
def finding_priority_clear(request: HttpRequest, finding_id: int) -> HttpResponse:
    """End the override of one point (editor role), then show the finding."""
    finding = _finding_for_edit(request, finding_id)
    form = SsvcOverrideClearForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the point whose override to end."))
        return _back(finding)
    point = form.cleaned_data["point"]
    ended = ssvc_override_clear(
        product=finding.product,
        vulnerability_id=finding.vulnerability_id,
        point=point,
        acting_user=request.user,
    )
    if ended:
        messages.success(
            request, _("%(point)s is automatic again.") % {"point": POINT_LABELS[point]}
        )
    return _back(finding)


def _organisations(user: Any) -> Any:
    if user.is_superuser:
        return Organisation.objects.all()
    return Organisation.objects.filter(products__in=visible_products(user)).distinct()


@login_required
@require_http_methods(["GET", "POST"])
def sla_policy_page(request: HttpRequest) -> HttpResponse:
    """Show the days to fix per priority of the user's organisations; a superuser may change
    them (the due dates of the organisation's findings follow at once)."""
    editable = may_set_sla(request.user)
    organisations = _organisations(request.user)
    forms: dict[int, SlaPolicyForm] = {}
    status = 200
    if request.method == "POST":
        if not editable:
            raise PermissionDenied("only a superuser may change SLA policies")
        organisation = organisations.filter(pk=request.POST.get("organisation") or 0).first()
        if organisation is None:
            raise Http404("no such organisation")
        form = SlaPolicyForm(request.POST)
        if form.is_valid():
            with transaction.atomic():
                for priority, days in form.days().items():
                    sla_policy_set(
                        organisation=organisation,
                        priority=priority,
                        days=days,
                        acting_user=request.user,
                    )
            messages.success(
                request,
                _("Response times of %(organisation)s saved; due dates were recomputed.")
                % {"organisation": organisation.name},
            )
            return redirect("web:sla-policies")
        forms[organisation.pk] = form
        status = 400
    rows = sla_policies(organisations)
    for row in rows:
        for policy in row["policies"]:
            policy["label"] = Priority(policy["priority"]).label
        if row["organisation_id"] not in forms:
            initial = {p["priority"]: p["days"] for p in row["policies"]}
            forms[row["organisation_id"]] = SlaPolicyForm(initial=initial)
        row["form"] = forms[row["organisation_id"]]
    context = {"organisations": rows, "editable": editable}
    return render(request, "web/triage/sla.html", context, status=status)


# included by web/urls.py (namespace ``web``)
urlpatterns = [
    path(
        "findings/<int:finding_id>/priority/override/",
        finding_priority_override,
        name="finding-priority-override",
    ),
    path(
        "findings/<int:finding_id>/priority/clear/",
        finding_priority_clear,
        name="finding-priority-clear",
    ),
    path("account/sla/", sla_policy_page, name="sla-policies"),
]
