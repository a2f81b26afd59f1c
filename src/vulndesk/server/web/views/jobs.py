"""Job pages: the jobs the user may see, and one job's state, which a page polls with htmx until
the job ends."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from vulndesk.server.web import selectors
from vulndesk.server.web.htmx import vary_on_htmx, wants_fragment

JOBS_PER_PAGE = 50


def _offset(request: HttpRequest) -> int:
    raw = request.GET.get("offset") or "0"
    if not raw.isdigit():
        raise BadRequest("offset must be a whole number")
    return int(raw)


@login_required
@require_GET
def job_list(request: HttpRequest) -> HttpResponse:
    """List the jobs the user may see, newest first, with their state and progress.

    While a job on the page is unfinished the list refreshes itself (htmx polling); an htmx
    request gets only the list.
    """
    page = selectors.job_page(user=request.user, offset=_offset(request), limit=JOBS_PER_PAGE)
    context = {
        "page": page,
        "now": timezone.now(),
        "polling": any(not state.finished for state in page.items),
    }
    template = "web/jobs/list.html#results" if wants_fragment(request) else "web/jobs/list.html"
    return vary_on_htmx(render(request, template, context))


@login_required
@require_GET
def job_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    """Show one job; an htmx request gets only its state (the fragment polls while unfinished).

    When a job ends, the fragment's response says so in an ``HX-Trigger`` event
    (``vulndesk-job-finished``), so a page showing the job's results can reload them.
    """
    state = selectors.job_get(user=request.user, job_id=job_id)
    if state is None:
        raise Http404("no such job")
    context = {"state": state, "now": timezone.now()}
    if wants_fragment(request):
        response = render(request, "web/jobs/_state.html", context)
        if state.finished:
            response.headers["HX-Trigger"] = "vulndesk-job-finished"
        return vary_on_htmx(response)
    return vary_on_htmx(render(request, "web/jobs/detail.html", context))
