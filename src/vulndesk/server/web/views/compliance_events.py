"""A CRA event's page: what made it reportable, the affected releases and findings, its state
with the confirm / dismiss / re-open forms, the corrective measure, the member states and its
three reports (routes in ``compliance``)."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from vulndesk.core.errors import InputError
from vulndesk.server.compliance import services
from vulndesk.server.compliance.models import EVENT_TRANSITIONS, EventState
from vulndesk.server.compliance.selectors import cra_event_findings, reports_of
from vulndesk.server.web.forms.compliance import MeasureForm, MemberStatesForm, ReasonForm
from vulndesk.server.web.views.compliance_common import (
    can_change,
    due_words,
    error_message,
    event_for,
)

#: the action in the URL -> (the state it leads to, whether a reason is required)
ACTIONS = {
    "confirm": (EventState.CONFIRMED.value, False),
    "dismiss": (EventState.DISMISSED.value, True),
    "reopen": (EventState.OPEN.value, True),
}


@login_required
@require_GET
def event_detail(request: HttpRequest, event_id: int) -> HttpResponse:
    """Show a CRA event with its evidence, findings, state, measure and reports; editors see
    the forms."""
    event = event_for(request, event_id)
    now = timezone.now()
    allowed = EVENT_TRANSITIONS[event.state]
    actions = [
        (action, ReasonForm(required=required, prefix=action))
        for action, (state, required) in ACTIONS.items()
        if state in allowed
    ]
    context: dict[str, Any] = {
        "event": event,
        "product": event.product,
        "can_change": can_change(request.user, event),
        "actions": actions,
        "releases": list(event.releases.order_by("version")),
        "findings": list(cra_event_findings(event)),
        "reports": [
            (r, r.state_at(now), due_words(r.due_at, now, submitted=bool(r.submitted_at)))
            for r in reports_of(event)
        ],
        "measure_form": MeasureForm(
            initial={
                "fix_version": event.measure_fix_version,
                "description": event.measure_description,
                "available_at": event.measure_available_at,
            }
        ),
        "member_states_form": MemberStatesForm(initial={"member_states": event.member_states}),
        "now": now,
    }
    return render(request, "web/compliance/event.html", context)


def _back(event_id: int) -> HttpResponse:
    return redirect(reverse("web:compliance-event", args=[event_id]))


@login_required
@require_POST
def event_state(request: HttpRequest, event_id: int, action: str) -> HttpResponse:
    """Confirm, dismiss (reason required) or re-open (reason required) an event (editors)."""
    if action not in ACTIONS:
        raise Http404("no such action")
    event = event_for(request, event_id, edit=True)
    _state, required = ACTIONS[action]
    form = ReasonForm(request.POST, required=required, prefix=action)
    if not form.is_valid():
        messages.error(request, _("A reason is required."))
        return _back(event.pk)
    service = {
        "confirm": services.cra_event_confirm,
        "dismiss": services.cra_event_dismiss,
        "reopen": services.cra_event_reopen,
    }[action]
    try:
        event = service(event=event, reason=form.cleaned_data["reason"], acting_user=request.user)
    except InputError as exc:
        error_message(request, exc)
        return _back(event.pk)
    messages.success(
        request, _("The event is %(state)s now.") % {"state": EventState(event.state).label}
    )
    return _back(event.pk)


@login_required
@require_POST
def event_measure(request: HttpRequest, event_id: int) -> HttpResponse:
    """Record the corrective measure (editors): the final report's clock starts."""
    event = event_for(request, event_id, edit=True)
    form = MeasureForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return _back(event.pk)
    available_at = form.cleaned_data["available_at"]
    if available_at is not None and timezone.is_naive(available_at):
        available_at = available_at.replace(tzinfo=UTC)
    try:
        services.cra_event_measure_set(
            event=event,
            fix_version=form.cleaned_data["fix_version"],
            description=form.cleaned_data["description"],
            available_at=available_at,
            acting_user=request.user,
        )
    except InputError as exc:
        error_message(request, exc)
        return _back(event.pk)
    messages.success(request, _("Corrective measure recorded; the final report's clock runs."))
    return _back(event.pk)


@login_required
@require_POST
def event_member_states(request: HttpRequest, event_id: int) -> HttpResponse:
    """Change the member states where the product is made available (editors)."""
    event = event_for(request, event_id, edit=True)
    form = MemberStatesForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return _back(event.pk)
    try:
        services.cra_event_update(
            event=event,
            member_states=list(form.cleaned_data["member_states"]),
            acting_user=request.user,
        )
    except InputError as exc:
        error_message(request, exc)
        return _back(event.pk)
    messages.success(request, _("Member states saved."))
    return _back(event.pk)
