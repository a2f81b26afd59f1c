"""Web pages of triage (priority) (being written)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from vulndesk.server.findings.models import Finding


def finding_context(request: HttpRequest, finding: Finding) -> dict[str, Any]:
    """Return what the finding page's priority section shows (web/triage/_priority.html)."""
    return {}
