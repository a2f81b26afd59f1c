"""A report's page, for a CRA event's and a NIS2 record's alike: the structured draft as a form
(``report_edit``), what is still missing before submission (``core.regulation.missing_fields``),
"mark submitted" (``report_submit``) and the exports: JSON (``report_document``) and PDF
(``core.regulation.pdf.report_pdf`` in the reader's language). Routes in ``compliance``."""

from __future__ import annotations

from typing import Any

import orjson
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from vulndesk.core.errors import InputError
from vulndesk.core.regulation.pdf import report_pdf
from vulndesk.core.regulation.reports import missing_fields, required_fields
from vulndesk.server.compliance import services
from vulndesk.server.compliance.documents import report_document
from vulndesk.server.compliance.drafts import fields_of
from vulndesk.server.compliance.exports import CRA_PATH_FIELDS, NIS2_PATH_FIELDS, report_content
from vulndesk.server.compliance.models import CraEvent, Nis2Record, RegulatoryReport
from vulndesk.server.compliance.selectors import reports_of
from vulndesk.server.web.forms.compliance import FIELD_LABELS, DraftForm, SubmitForm
from vulndesk.server.web.views.compliance_common import (
    can_change,
    due_words,
    error_message,
    owner_for,
    pdf_language,
    report_for,
)

#: what the page calls a required path that is no field of the draft
_OTHER_PATHS = {
    "aware_at": gettext_lazy("when you became aware (set when the event opened)"),
    "detected_at": gettext_lazy("when the incident was detected (the record's awareness)"),
    "significant": gettext_lazy("the significance (the record's risk assessment)"),
}


def _label_of(path: str, owner: CraEvent | Nis2Record) -> str:
    fields = CRA_PATH_FIELDS if isinstance(owner, CraEvent) else NIS2_PATH_FIELDS
    name = fields.get(path, "")
    if name and name in FIELD_LABELS:
        return str(FIELD_LABELS[name])
    return str(_OTHER_PATHS.get(path, path))


def _page(
    request: HttpRequest,
    owner_kind: str,
    owner: CraEvent | Nis2Record,
    report: RegulatoryReport,
    form: DraftForm | None = None,
    *,
    status: int = 200,
) -> HttpResponse:
    now = timezone.now()
    fields = fields_of(owner)
    editable = can_change(request.user, owner) and report.submitted_at is None
    errors = form.non_field_errors() if form is not None else []
    if form is None or not editable:  # a read-only page shows the stored draft
        form = DraftForm(initial=DraftForm.initial_of(report.content, fields), fields=fields)
    content = report_content(report)
    missing = missing_fields(content)
    url_args = [owner.pk, report.kind]
    context: dict[str, Any] = {
        "owner_kind": owner_kind,
        "owner": owner,
        "product": owner.product,
        "report": report,
        "state": report.state_at(now),
        "due_words": due_words(report.due_at, now, submitted=bool(report.submitted_at)),
        "form": form,
        "missing": [(path, _label_of(path, owner)) for path in missing],
        "required": [_label_of(path, owner) for path in required_fields(content)],
        "can_change": editable,
        "errors": errors,
        "submit_form": SubmitForm(),
        "siblings": reports_of(owner),
        "save_url": reverse(f"web:compliance-{owner_kind}-report-save", args=url_args),
        "submit_url": reverse(f"web:compliance-{owner_kind}-report-submit", args=url_args),
        "json_url": reverse(f"web:compliance-{owner_kind}-report-export", args=[*url_args, "json"]),
        "pdf_url": reverse(f"web:compliance-{owner_kind}-report-export", args=[*url_args, "pdf"]),
        "owner_url": reverse(
            "web:compliance-event" if owner_kind == "event" else "web:compliance-nis2",
            args=[owner.pk],
        ),
    }
    return render(request, "web/compliance/report.html", context, status=status)


@login_required
@require_GET
def report_page(request: HttpRequest, owner: str, owner_id: int, kind: str) -> HttpResponse:
    """Show a report: its clock, the draft editor (editors), what is missing, the exports."""
    found = owner_for(request, owner, owner_id)
    return _page(request, owner, found, report_for(found, kind))


@login_required
@require_POST
def report_save(request: HttpRequest, owner: str, owner_id: int, kind: str) -> HttpResponse:
    """Save the draft (editors); a refused field shows the page again with the reason."""
    found = owner_for(request, owner, owner_id, edit=True)
    report = report_for(found, kind)
    form = DraftForm(request.POST, fields=fields_of(found))
    if not form.is_valid():
        return _page(request, owner, found, report, form, status=400)
    try:
        report = services.report_edit(
            report=report, content=form.content(), acting_user=request.user
        )
    except InputError as exc:
        form.add_error(None, exc.args[0])
        return _page(request, owner, found, report, form, status=400)
    messages.success(request, _("Draft saved."))
    return redirect(reverse(f"web:compliance-{owner}-report", args=[found.pk, report.kind]))


@login_required
@require_POST
def report_mark_submitted(
    request: HttpRequest, owner: str, owner_id: int, kind: str
) -> HttpResponse:
    """Record the submission with the platform's reference (editors)."""
    found = owner_for(request, owner, owner_id, edit=True)
    report = report_for(found, kind)
    back = reverse(f"web:compliance-{owner}-report", args=[found.pk, report.kind])
    form = SubmitForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The submission reference is required."))
        return redirect(back)
    try:
        services.report_submit(
            report=report, reference=form.cleaned_data["reference"], acting_user=request.user
        )
    except InputError as exc:
        error_message(request, exc)
        return redirect(back)
    messages.success(request, _("Marked submitted."))
    return redirect(back)


@login_required
@require_GET
def report_export(
    request: HttpRequest, owner: str, owner_id: int, kind: str, export_format: str
) -> HttpResponse:
    """Return the report as a download: its JSON document, or a PDF in the page's language."""
    if export_format not in ("json", "pdf"):
        raise Http404("no such export format")
    found = owner_for(request, owner, owner_id)
    report = report_for(found, kind)
    now = timezone.now()
    if export_format == "json":
        data = orjson.dumps(report_document(report, now=now), option=orjson.OPT_INDENT_2) + b"\n"
        response = HttpResponse(data, content_type="application/json")
    else:
        pdf = report_pdf(report_content(report), generated_at=now, language=pdf_language())
        response = HttpResponse(pdf, content_type="application/pdf")
    subject = (
        found.vulnerability_id or f"event-{found.pk}"
        if isinstance(found, CraEvent)
        else f"nis2-{found.pk}"
    )
    product = found.product.name if found.product else ""
    name = "-".join(p for p in (slugify(product), slugify(subject), report.kind) if p)
    response.headers["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=f"{name}.{export_format}"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
