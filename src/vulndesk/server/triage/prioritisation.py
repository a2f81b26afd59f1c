"""SSVC priorities of findings (being written)."""

from __future__ import annotations

from django.db.models import QuerySet

from vulndesk.server.findings.models import Finding


def priorities_refresh(findings: QuerySet[Finding]) -> int:
    """Recompute the SSVC points, priority and due date of ``findings``; return how many changed."""
    return 0
