"""The dashboard: risk now and over time among the products the user may see, the most severe
newest findings, how fresh the advisories are, and recent jobs."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from vulndesk.server.web.charts import line_chart
from vulndesk.server.web.selectors import CHART_SEVERITIES, dashboard_get


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    """Show the user's dashboard."""
    data = dashboard_get(user=request.user)
    context = {
        "data": data,
        "overview": data.overview,
        "chart": line_chart(data.history, CHART_SEVERITIES),
        "now": timezone.now(),
        # the SSVC outcomes, most urgent first, with their open findings
        "priority_tiles": [
            (priority, data.priority_counts.get(priority, 0))
            for priority in ("immediate", "out-of-cycle", "scheduled", "defer")
        ],
    }
    return render(request, "web/dashboard.html", context)
