"""The remediation plan page of a release: what to upgrade, to which version, by when, and where
each item stands; status changes (editors) and the exports (CSV, Markdown, ticket JSON).

The plan is ``triage.remediation.remediation_plan``; a status change is one call of
``remediation_transition``, which enforces the transition table and writes the audit row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from vulndesk.server.accounts.permissions import has_role
from vulndesk.server.inventory.models import Component, Release, Role
from vulndesk.server.inventory.selectors import release_get
from vulndesk.server.triage.models import Priority
from vulndesk.server.triage.remediation import (
    PlanItem,
    TransitionRefused,
    remediation_item,
    remediation_plan,
    remediation_transition,
)
from vulndesk.server.triage.remediation_export import plan_csv, plan_markdown, plan_tickets
from vulndesk.server.web.forms.remediation import NOTE_MAX, STATUS_LABELS, RemediationStatusForm

#: export format in the URL -> (media type, file extension)
EXPORTS = {
    "csv": ("text/csv; charset=utf-8", "csv"),
    "md": ("text/markdown; charset=utf-8", "md"),
    "json": ("application/json", "tickets.json"),
}


@dataclass(frozen=True, slots=True)
class ItemRow:
    """A plan item as the page shows it: labels in the reader's language, the form's choices."""

    item: PlanItem
    status_label: str
    priority_label: str
    choices: list[tuple[str, str]]  # the current status first (to change only the note)


def _release(request: HttpRequest, release_id: int) -> Release:
    release = release_get(user=request.user, release_id=release_id)
    if release is None:
        raise Http404("no such release")
    return release


def _row(item: PlanItem) -> ItemRow:
    current = STATUS_LABELS[item.status]
    choices = [(item.status, _("%(status)s (unchanged)") % {"status": current})]
    choices += [(status, str(STATUS_LABELS[status])) for status in item.allowed_next]
    priority = str(Priority(item.priority).label) if item.priority in Priority.values else ""
    return ItemRow(item, str(current), priority, choices)


@login_required
@require_GET
def remediation_plan_page(request: HttpRequest, release_id: int) -> HttpResponse:
    """Show a release's remediation plan, most urgent first, with a status form per item for
    editors and links to the exports."""
    release = _release(request, release_id)
    plan = remediation_plan(release=release, user=request.user)
    context: dict[str, Any] = {
        "release": release,
        "product": release.product,
        "plan": plan,
        "rows": [_row(item) for item in plan.items],
        "status_counts": [
            (status, STATUS_LABELS[status], count) for status, count in plan.counts.items()
        ],
        "note_max": NOTE_MAX,
    }
    return render(request, "web/triage/remediation.html", context)


@login_required
@require_POST
def remediation_status(request: HttpRequest, release_id: int, component_id: int) -> HttpResponse:
    """Change one item's status and note (editors), then show the plan at that item."""
    release = _release(request, release_id)
    component = Component.objects.filter(id=component_id, release=release).first()
    if component is None:
        raise Http404("no such component in this release")
    if not has_role(request.user, release.product, Role.EDITOR):
        raise PermissionDenied("changing the remediation status needs the editor role")
    back = reverse("web:remediation-plan", args=[release.pk]) + f"#c{component.pk}"
    form = RemediationStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect(back)
    status, note = form.cleaned_data["status"], form.cleaned_data["note"]
    try:
        remediation_transition(
            release=release,
            component=component,
            status=status,
            note=note,
            acting_user=request.user,
        )
    except TransitionRefused:
        # the page was older than the item's status (someone else changed it meanwhile)
        item = remediation_item(release=release, component=component)
        messages.error(
            request,
            _(
                "%(component)s is %(current)s now and cannot become %(status)s; "
                "it may become: %(allowed)s."
            )
            % {
                "component": f"{component.name} {component.version}",
                "current": STATUS_LABELS[item.status],
                "status": STATUS_LABELS[status],
                "allowed": ", ".join(str(STATUS_LABELS[s]) for s in item.allowed_next),
            },
        )
        return redirect(back)
    messages.success(
        request,
        _("Saved: %(component)s, %(status)s.")
        % {"component": f"{component.name} {component.version}", "status": STATUS_LABELS[status]},
    )
    return redirect(back)


@login_required
@require_GET
def remediation_export(request: HttpRequest, release_id: int, export_format: str) -> HttpResponse:
    """Return the plan as a download: CSV, Markdown, or ticket JSON."""
    if export_format not in EXPORTS:
        raise Http404("no such export format")
    release = _release(request, release_id)
    plan = remediation_plan(release=release, user=request.user)
    if export_format == "csv":
        content = plan_csv(plan).encode()
    elif export_format == "md":
        content = plan_markdown(plan).encode()
    else:
        content = orjson.dumps(plan_tickets(plan), option=orjson.OPT_INDENT_2) + b"\n"
    media_type, extension = EXPORTS[export_format]
    response = HttpResponse(content, content_type=media_type)
    name = f"{plan.product}-{plan.release}-remediation.{extension}"
    response.headers["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=name
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


# included by web/urls.py (namespace ``web``)
urlpatterns = [
    path("releases/<int:release_id>/remediation/", remediation_plan_page, name="remediation-plan"),
    path(
        "releases/<int:release_id>/remediation/<int:component_id>/",
        remediation_status,
        name="remediation-status",
    ),
    path(
        "releases/<int:release_id>/remediation/export.<slug:export_format>",
        remediation_export,
        name="remediation-export",
    ),
]
