"""Web pages of triage (vex) (being written)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from vulndesk.server.findings.models import Finding


def finding_context(request: HttpRequest, finding: Finding) -> dict[str, Any]:
    """Return what the finding page's vex section shows (web/triage/_vex.html)."""
    return {}
