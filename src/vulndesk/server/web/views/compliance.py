"""Web pages of compliance (EU CRA and NIS2 reporting): the dashboard, CRA events, their reports
with the draft editor and exports, NIS2 records, and a product's evidence archive.

The routes of the other ``compliance_*`` view modules are here, so that web/urls.py includes
this module with one line. Reads go through ``compliance.selectors`` (filtered to the products
the user may see: anything else is a 404), changes through one compliance service each (the
editor role, checked again by the service).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.text import slugify
from django.views.decorators.http import require_GET

from vulndesk.server.accounts.permissions import product_for, visible_products
from vulndesk.server.compliance.exports import product_evidence_archive
from vulndesk.server.compliance.models import EventState, RegulatoryReport
from vulndesk.server.compliance.selectors import compliance_overview, cra_events_list
from vulndesk.server.web.views import compliance_events as events
from vulndesk.server.web.views import compliance_nis2 as nis2
from vulndesk.server.web.views import compliance_reports as reports
from vulndesk.server.web.views.compliance_common import due_words, pdf_language


@dataclass(frozen=True, slots=True)
class ClockRow:
    """One report whose clock runs, as the dashboard lists it."""

    report: RegulatoryReport
    owner: str  # "event" or "nis2"
    owner_id: int
    title: str
    product: str
    due_at: datetime
    due_words: str


def _clock_row(report: RegulatoryReport, now: datetime) -> ClockRow:
    assert report.due_at is not None
    if report.event is not None:
        event = report.event
        owner, owner_id = "event", event.pk
        title = event.vulnerability_id or event.title
        product = event.product.name
    else:
        record = report.record
        assert record is not None
        owner, owner_id, title = "nis2", record.pk, record.title
        product = record.product.name if record.product else ""
    return ClockRow(
        report, owner, owner_id, title, product, report.due_at, due_words(report.due_at, now)
    )


@login_required
@require_GET
def compliance_dashboard(request: HttpRequest) -> HttpResponse:
    """Show the open clocks by urgency (overdue, due within 24 h, later), the events awaiting a
    decision, and each product's status with its evidence archive."""
    now = timezone.now()
    overview = compliance_overview(user=request.user, now=now)
    groups = [
        ("overdue", overview.overdue),
        ("within_24h", overview.within_24h),
        ("later", [*overview.within_72h, *overview.later]),
    ]
    products = []
    for product in visible_products(request.user).order_by("name"):
        status = overview.products.get(product.pk)
        if status is None and not product.eu_market:
            continue
        products.append(
            {
                "product": product,
                "open_events": status["open_events"] if status else 0,
                "overdue": status["overdue"] if status else 0,
                "next_due": status["next_due"] if status else None,
                "next_due_words": due_words(status["next_due"], now) if status else "",
            }
        )
    context: dict[str, Any] = {
        "now": now,
        "groups": [(key, [_clock_row(r, now) for r in rows]) for key, rows in groups],
        "counts": {key: len(rows) for key, rows in groups},
        "undecided": cra_events_list(user=request.user, state=EventState.OPEN)[:50],
        "products": products,
    }
    return render(request, "web/compliance/dashboard.html", context)


@login_required
@require_GET
def compliance_archive(request: HttpRequest, product_id: int) -> HttpResponse:
    """Return a product's evidence for auditors as one zip: its SBOMs as uploaded, the SBOM
    history with top-level dependencies, the handling record and its CRA/NIS2 reports."""
    product = product_for(request.user, product_id)  # 404 for a product the user may not see
    now = timezone.now().replace(microsecond=0)
    archive, known = product_evidence_archive(product, now=now, language=pdf_language())
    response = HttpResponse(archive, content_type="application/zip")
    # the SBOMs' top-level dependencies are listed only when an analysed SBOM marked its direct
    # dependencies; otherwise sbom-history.json has empty lists, and this header says so
    response.headers["X-Vulndesk-Top-Level-Dependencies"] = "known" if known else "unknown"
    name = f"{slugify(product.name) or 'product'}-compliance-{now:%Y%m%dT%H%M%SZ}.zip"
    response.headers["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=name
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _owner(owner: str) -> dict[str, str]:
    if owner not in ("event", "nis2"):
        raise Http404("no such owner")
    return {"owner": owner}


# included by web/urls.py (namespace ``web``)
urlpatterns: list[URLPattern] = [
    path("compliance/", compliance_dashboard, name="compliance"),
    path("compliance/events/<int:event_id>/", events.event_detail, name="compliance-event"),
    path(
        "compliance/events/<int:event_id>/state/<slug:action>/",
        events.event_state,
        name="compliance-event-state",
    ),
    path(
        "compliance/events/<int:event_id>/measure/",
        events.event_measure,
        name="compliance-event-measure",
    ),
    path(
        "compliance/events/<int:event_id>/member-states/",
        events.event_member_states,
        name="compliance-event-member-states",
    ),
    path("compliance/nis2/", nis2.record_list, name="compliance-nis2-list"),
    path("compliance/nis2/<int:record_id>/", nis2.record_detail, name="compliance-nis2"),
    path(
        "compliance/nis2/<int:record_id>/assessment/",
        nis2.record_assess,
        name="compliance-nis2-assess",
    ),
    path(
        "products/<int:product_id>/compliance-archive.zip",
        compliance_archive,
        name="compliance-archive",
    ),
]
for _prefix, _owner_name in (("events/<int:owner_id>", "event"), ("nis2/<int:owner_id>", "nis2")):
    urlpatterns += [
        path(
            f"compliance/{_prefix}/reports/<slug:kind>/",
            reports.report_page,
            _owner(_owner_name),
            name=f"compliance-{_owner_name}-report",
        ),
        path(
            f"compliance/{_prefix}/reports/<slug:kind>/save/",
            reports.report_save,
            _owner(_owner_name),
            name=f"compliance-{_owner_name}-report-save",
        ),
        path(
            f"compliance/{_prefix}/reports/<slug:kind>/submit/",
            reports.report_mark_submitted,
            _owner(_owner_name),
            name=f"compliance-{_owner_name}-report-submit",
        ),
        path(
            f"compliance/{_prefix}/reports/<slug:kind>/export.<slug:export_format>",
            reports.report_export,
            _owner(_owner_name),
            name=f"compliance-{_owner_name}-report-export",
        ),
    ]
