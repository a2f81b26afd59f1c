"""Advisory pages and the SBOM scan. The scan is a read too: it matches the upload against the
stored advisories and stores nothing."""

from __future__ import annotations

from urllib.parse import quote_plus

import orjson
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods

from vulndesk.core.matching.report import report_to_json
from vulndesk.server.advisories import selectors
from vulndesk.server.findings.scanning import scan_sbom
from vulndesk.server.web.display import advisory_view
from vulndesk.server.web.forms.advisories import AdvisorySearchForm
from vulndesk.server.web.forms.sboms import SbomUploadForm
from vulndesk.server.web.htmx import vary_on_htmx, wants_fragment
from vulndesk.server.web.uploads import UploadSizeLimit, upload_limited

ADVISORIES_PER_PAGE = 50


@login_required
@require_GET
def advisory_list(request: HttpRequest) -> HttpResponse:
    """List advisories, filtered by a search and an ecosystem, a page at a time.

    An htmx request (live search, page links) gets only the results fragment.
    """
    form = AdvisorySearchForm(request.GET)
    valid = form.is_valid()
    query = form.cleaned_data.get("q", "") if valid else ""
    ecosystem = form.cleaned_data.get("ecosystem", "") if valid else ""
    advisories = selectors.advisory_search(query=query, ecosystem=ecosystem)
    if not valid:
        advisories = advisories.none()  # the errors are shown instead
    page = Paginator(advisories, ADVISORIES_PER_PAGE).get_page(request.GET.get("page"))
    headlines = selectors.advisory_headlines(advisories=page.object_list)
    context = {
        "form": form,
        "page": page,
        "rows": [(advisory, headlines[advisory.id]) for advisory in page.object_list],
        "query": query,
        "ecosystem": ecosystem,
        # the filters as a query string prefix for the page links
        "filters": "".join(
            f"{name}={quote_plus(value)}&"
            for name, value in [("q", query), ("ecosystem", ecosystem)]
            if value
        ),
    }
    if wants_fragment(request):
        template = "web/advisories/list.html#results"
    else:
        template = "web/advisories/list.html"
        context["ecosystems"] = selectors.advisory_ecosystems()
    return vary_on_htmx(render(request, template, context, status=200 if valid else 400))


@login_required
@require_GET
def advisory_detail(request: HttpRequest, advisory_id: str) -> HttpResponse:
    """Show one advisory: severity, affected ranges, its alias group, the original record."""
    detail = selectors.advisory_detail(advisory_id=advisory_id)
    if detail is None:
        raise Http404(advisory_id)
    return render(
        request, "web/advisories/detail.html", {"detail": detail, "view": advisory_view(detail)}
    )


@login_required
@require_http_methods(["GET", "POST"])
@upload_limited
def scan(request: HttpRequest, limit: UploadSizeLimit) -> HttpResponse:
    """Show the SBOM upload form; on POST, scan the uploaded SBOM and show the findings."""
    max_bytes = settings.SBOM_UPLOAD_MAX_BYTES
    if request.method != "POST":
        form = SbomUploadForm(max_bytes=max_bytes)
        return render(request, "web/scan.html", {"form": form, "max_bytes": max_bytes})
    form = SbomUploadForm(request.POST, request.FILES, max_bytes=max_bytes, stopped=limit.exceeded)
    if not form.is_valid():
        status = 413 if form.has_error("sbom", "too_large") else 400
        return render(
            request, "web/scan.html", {"form": form, "max_bytes": max_bytes}, status=status
        )
    sbom = form.cleaned_data["sbom"]
    report = report_to_json(scan_sbom(sbom=sbom, db=selectors.django_raw_database()))
    context = {
        "form": SbomUploadForm(max_bytes=max_bytes),
        "max_bytes": max_bytes,
        "file_name": request.FILES["sbom"].name,
        "sbom": sbom,
        "report": report,
        "report_json": orjson.dumps(report, option=orjson.OPT_INDENT_2).decode(),
    }
    return render(request, "web/scan.html", context)
