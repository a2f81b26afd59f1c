"""NIS2 records: the list, a record's page with its risk assessment form and its reports
(routes in ``compliance``; the reports' page is ``compliance_reports``)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from vulndesk.core.errors import InputError
from vulndesk.server.compliance.nis2 import ASSESSMENT_FIELDS, nis2_record_assess
from vulndesk.server.compliance.selectors import nis2_records_list, reports_of
from vulndesk.server.web.forms.compliance import AssessmentForm
from vulndesk.server.web.views.compliance_common import (
    can_change,
    due_words,
    error_message,
    record_for,
)


@login_required
@require_GET
def record_list(request: HttpRequest) -> HttpResponse:
    """List the NIS2 records the user may see, newest awareness first."""
    records = nis2_records_list(user=request.user)[:200]
    return render(request, "web/compliance/nis2_list.html", {"records": records})


@login_required
@require_GET
def record_detail(request: HttpRequest, record_id: int) -> HttpResponse:
    """Show a NIS2 record: its assessment (a form for editors) and its reports."""
    record = record_for(request, record_id)
    now = timezone.now()
    initial = {name: getattr(record, name) for name in ASSESSMENT_FIELDS}
    initial.update(description=record.description, member_states=record.member_states)
    context: dict[str, Any] = {
        "record": record,
        "product": record.product,
        "can_change": can_change(request.user, record),
        "form": AssessmentForm(initial=initial),
        "reports": [
            (r, r.state_at(now), due_words(r.due_at, now, submitted=bool(r.submitted_at)))
            for r in reports_of(record)
        ],
    }
    return render(request, "web/compliance/nis2_record.html", context)


@login_required
@require_POST
def record_assess(request: HttpRequest, record_id: int) -> HttpResponse:
    """Save a new risk assessment (editors); the significance is decided again."""
    record = record_for(request, record_id, edit=True)
    back = reverse("web:compliance-nis2", args=[record.pk])
    form = AssessmentForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect(back)
    data = form.cleaned_data
    try:
        record = nis2_record_assess(
            record=record,
            assessment={name: data[name] for name in ASSESSMENT_FIELDS},
            description=data["description"],
            member_states=list(data["member_states"]),
            acting_user=request.user,
        )
    except InputError as exc:
        error_message(request, exc)
        return redirect(back)
    if record.significant:
        messages.success(request, _("Assessment saved: significant (%(reason)s).")
                         % {"reason": record.assessment_reason})  # fmt: skip
    else:
        messages.success(request, _("Assessment saved: not significant."))
    return redirect(back)
