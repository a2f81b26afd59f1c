"""The component search: "where is log4j-core 2.14 used?", among the releases the user may see."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from vulndesk.server.inventory.selectors import component_search
from vulndesk.server.web.forms.findings import ComponentSearchForm
from vulndesk.server.web.htmx import vary_on_htmx, wants_fragment
from vulndesk.server.web.paging import offset_page

RESULTS_PER_PAGE = 100


@login_required
@require_GET
def component_search_page(request: HttpRequest) -> HttpResponse:
    """Find the releases that use a component, by name or package purl and a version prefix.

    An htmx request (the search as it is typed, a page link) gets only the results.
    """
    form = ComponentSearchForm(request.GET)
    valid = form.is_valid()
    context: dict[str, Any] = {"form": form}
    name = (form.cleaned_data.get("name") or "").strip() if valid else ""
    if name:
        components = component_search(
            user=request.user, name=name, version=form.cleaned_data.get("version") or ""
        )
        offset = form.cleaned_data.get("offset") or 0
        context["page"] = offset_page(components, offset=offset, limit=RESULTS_PER_PAGE)
    template = "web/components/search.html"
    if wants_fragment(request):
        template += "#results"
    return vary_on_htmx(render(request, template, context, status=200 if valid else 400))
