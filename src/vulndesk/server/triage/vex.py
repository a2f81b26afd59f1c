"""VEX statements applied to findings (being written)."""

from __future__ import annotations

from django.db.models import QuerySet

from vulndesk.server.findings.models import Finding


def vex_apply(findings: QuerySet[Finding]) -> int:
    """Set ``vex_statement`` and ``analysis_state`` of ``findings``; return how many changed."""
    return 0
