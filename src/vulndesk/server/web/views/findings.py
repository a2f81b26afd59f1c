"""Finding pages: the filtered list (htmx updates, pages without a COUNT), a finding's page, the
CSV export of a filtered list, and actions on selected findings.

Every list is the findings selector's, so the permission filter runs inside its SQL: a finding of
a product the user may not see is in no page, export or action.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from vulndesk.server.accounts.permissions import has_role
from vulndesk.server.advisories.selectors import advisory_get
from vulndesk.server.findings.selectors import finding_get, finding_list
from vulndesk.server.findings.tasks import rematch_identities
from vulndesk.server.inventory.models import Role
from vulndesk.server.jobs.models import JobKind
from vulndesk.server.jobs.services import job_enqueue
from vulndesk.server.web import selectors
from vulndesk.server.web.exports import finding_csv_lines
from vulndesk.server.web.forms.findings import (
    FINDINGS_PER_PAGE,
    FindingFilterForm,
    FindingSelectionForm,
)
from vulndesk.server.web.htmx import vary_on_htmx, wants_fragment
from vulndesk.server.web.paging import offset_page
from vulndesk.server.web.views import triage_priority, triage_vex


def _filter_form(request: HttpRequest) -> FindingFilterForm:
    return FindingFilterForm(request.GET, products=selectors.product_choices(user=request.user))


@login_required
@require_GET
def finding_list_page(request: HttpRequest) -> HttpResponse:
    """List the findings the user may see, filtered and sorted, a page at a time.

    Pages go by offset and fetch one row more than they show, so no page counts the whole list.
    An htmx request (a filter changed, a page link) gets only the results fragment.
    """
    form = _filter_form(request)
    valid = form.is_valid()
    context: dict[str, Any] = {"form": form}
    if valid:
        findings = finding_list(user=request.user, filters=form.filters(), sort=form.sort_order())
        context["page"] = offset_page(findings, offset=form.page_offset(), limit=FINDINGS_PER_PAGE)
        query = request.GET.copy()
        query.pop("offset", None)
        context["export_query"] = query.urlencode()
    template = "web/findings/list.html"
    if wants_fragment(request):
        template += "#results"
    return vary_on_htmx(render(request, template, context, status=200 if valid else 400))


def _csv_response(lines: Any, name: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _export_name(now: datetime) -> str:
    return f"vulndesk-findings-{now:%Y%m%d-%H%M%S}.csv"


@login_required
@require_GET
def finding_export(request: HttpRequest) -> HttpResponse:
    """Return the filtered list (every page, in its order) as CSV."""
    form = _filter_form(request)
    if not form.is_valid():
        return HttpResponse(form.errors.as_text(), status=400, content_type="text/plain")
    findings = finding_list(user=request.user, filters=form.filters(), sort=form.sort_order())
    return _csv_response(
        finding_csv_lines(findings.iterator(chunk_size=2000)), _export_name(timezone.now())
    )


@login_required
@require_POST
def finding_bulk(request: HttpRequest) -> HttpResponse:
    """Act on the selected findings: export them as CSV, re-match their components against
    the advisories now stored (a job per product), or record a VEX statement for them (both
    need the editor role on the product)."""
    form = FindingSelectionForm(request.POST)
    back = request.POST.get("next") or ""
    if not back.startswith("/findings/"):
        back = "/findings/"
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect(back)
    findings = selectors.findings_selected(user=request.user, ids=form.cleaned_data["ids"])
    if form.cleaned_data["action"] == FindingSelectionForm.EXPORT:
        return _csv_response(finding_csv_lines(findings), _export_name(timezone.now()))
    if form.cleaned_data["action"] == FindingSelectionForm.VEX:
        return triage_vex.bulk_record(request, list(findings), form.cleaned_data, back)
    return _rematch(request, list(findings), back)


def _rematch(request: HttpRequest, findings: list[Any], back: str) -> HttpResponse:
    by_product: dict[Any, set[int]] = {}
    for finding in findings:
        by_product.setdefault(finding.product, set()).add(finding.identity_id)
    allowed = {p: ids for p, ids in by_product.items() if has_role(request.user, p, Role.EDITOR)}
    for product, identity_ids in allowed.items():
        job_enqueue(
            task=rematch_identities,
            kind=JobKind.REMATCH,
            label=f"re-match {len(identity_ids)} components of {product.name} (selected findings)",
            product=product,
            acting_user=request.user,
            identity_ids=sorted(identity_ids),
        )
    refused = Counter(f.product_id for f in findings if f.product not in allowed)
    if allowed:
        messages.success(
            request,
            ngettext(
                "Re-matching started for %(count)s product.",
                "Re-matching started for %(count)s products.",
                len(allowed),
            )
            % {"count": len(allowed)},
        )
    if refused:
        messages.error(
            request,
            ngettext(
                "%(count)s finding was left out: re-matching needs the editor role.",
                "%(count)s findings were left out: re-matching needs the editor role.",
                refused.total(),
            )
            % {"count": refused.total()},
        )
    return redirect("web:job-list" if allowed else back)


@login_required
@require_GET
def finding_detail(request: HttpRequest, finding_id: int) -> HttpResponse:
    """Show one finding: the vulnerability, the component, the ranges, the dates."""
    finding = finding_get(user=request.user, finding_id=finding_id)
    if finding is None:
        raise Http404("no such finding")
    advisories = [
        (advisory_id, advisory_get(advisory_id=advisory_id) is not None)
        for advisory_id in finding.advisory_ids
    ]
    context: dict[str, Any] = {"finding": finding, "advisories": advisories}
    context.update(triage_priority.finding_context(request, finding))
    context.update(triage_vex.finding_context(request, finding))
    return render(request, "web/findings/detail.html", context)
