"""Staff pages of reports: the queue of the reports a user may triage and a report's page
(transitions to the allowed next states, messages to the reporter, accepting it into a case).

Who sees a report is ``disclosure.selectors.reports_visible``: triagers of the receiving
organisation and superusers; anyone else gets 404 for every report URL.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from vulndesk.core.errors import InputError
from vulndesk.server.disclosure.attachments import attachment_response
from vulndesk.server.disclosure.models import RM_TRANSITIONS, Report, RmState
from vulndesk.server.disclosure.reports import report_message_post, report_transition
from vulndesk.server.disclosure.selectors import (
    report_attachment_get,
    report_attachments,
    report_get,
    report_messages,
    reports_visible,
)
from vulndesk.server.disclosure.services import report_accept
from vulndesk.server.web.forms.disclosure import (
    RM_LABELS,
    MessageForm,
    ReportAcceptForm,
    ReportTransitionForm,
)
from vulndesk.server.web.views.disclosure_common import uploads_of

#: the most reports the queue lists at once (filter by state to see the others)
QUEUE_LIMIT = 200


def _report(request: HttpRequest, tracking_id: str) -> Report:
    report = report_get(user=request.user, tracking_id=tracking_id)
    if report is None:
        raise Http404("no such report")
    return report


def _back(report: Report, anchor: str = "") -> HttpResponse:
    return redirect(reverse("web:report-detail", args=[report.tracking_id]) + anchor)


@login_required
@require_GET
def report_list(request: HttpRequest) -> HttpResponse:
    """List the reports the user may triage, newest first, optionally of one state."""
    reports = reports_visible(request.user)
    state = request.GET.get("state", "")
    if state in RmState.values:
        reports = reports.filter(state=state)
    else:
        state = ""
    rows = list(reports[: QUEUE_LIMIT + 1])
    context = {
        "rows": [(r, RM_LABELS[r.state]) for r in rows[:QUEUE_LIMIT]],
        "more": len(rows) > QUEUE_LIMIT,
        "state": state,
        "states": [(s, RM_LABELS[s]) for s in RmState.values if s != RmState.START],
    }
    return render(request, "web/disclosure/report_list.html", context)


def _detail(request: HttpRequest, report: Report, **extra: Any) -> HttpResponse:
    next_states = sorted(RM_TRANSITIONS[report.state] - {RmState.ACCEPTED.value})
    context: dict[str, Any] = {
        "report": report,
        "state_label": RM_LABELS[report.state],
        "next_states": [(s, RM_LABELS[s]) for s in next_states],
        "can_accept": report.case_id is None
        and RmState.ACCEPTED.value in RM_TRANSITIONS[report.state],
        "messages_": report_messages(report),
        "attachments": [a for a in report_attachments(report) if a.message_id is None],
        "message_form": MessageForm(),
        "accept_form": ReportAcceptForm(initial={"title": report.title}),
        **extra,
    }
    status = 400 if extra else 200
    return render(request, "web/disclosure/report_detail.html", context, status=status)


@login_required
@require_GET
def report_detail(request: HttpRequest, tracking_id: str) -> HttpResponse:
    """Show a report to a triager: what was reported, its thread and what can be done next."""
    return _detail(request, _report(request, tracking_id))


@login_required
@require_POST
def report_state(request: HttpRequest, tracking_id: str) -> HttpResponse:
    """Move the report to another state (the transition table decides which)."""
    report = _report(request, tracking_id)
    form = ReportTransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a state."))
        return _back(report)
    try:
        report = report_transition(
            report=report, state=form.cleaned_data["state"], acting_user=request.user
        )
    except InputError as e:
        messages.error(request, str(e))
    else:
        messages.success(
            request, _("The report is now %(state)s.") % {"state": RM_LABELS[report.state]}
        )
    return _back(report)


@login_required
@require_POST
def report_message(request: HttpRequest, tracking_id: str) -> HttpResponse:
    """Send a message to the reporter (shown on their status page)."""
    report = _report(request, tracking_id)
    form = MessageForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            report_message_post(
                report=report,
                body=form.cleaned_data["body"],
                acting_user=request.user,
                attachments=uploads_of(form.cleaned_data["attachments"]),
            )
        except InputError as e:
            form.add_error(None, str(e))
        else:
            messages.success(request, _("Message sent to the reporter."))
            return _back(report, "#messages")
    return _detail(request, report, message_form=form)


@login_required
@require_POST
def report_accept_case(request: HttpRequest, tracking_id: str) -> HttpResponse:
    """Accept the report into a new case, coordinated by the user, and open the case."""
    report = _report(request, tracking_id)
    form = ReportAcceptForm(request.POST)
    if form.is_valid():
        try:
            case = report_accept(
                report=report,
                acting_user=request.user,
                title=form.cleaned_data["title"],
                summary=form.cleaned_data["summary"],
            )
        except InputError as e:
            form.add_error(None, str(e))
        else:
            messages.success(
                request, _("Case %(case)s opened for the report.") % {"case": case.identifier}
            )
            return redirect("web:case-detail", case_id=case.pk)
    return _detail(request, report, accept_form=form)


@login_required
@require_GET
def report_file(request: HttpRequest, tracking_id: str, attachment_id: int) -> HttpResponse:
    """Return a file of the report as a download."""
    report = _report(request, tracking_id)
    return attachment_response(report_attachment_get(report, attachment_id))
