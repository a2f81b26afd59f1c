"""What runs whenever findings may have changed: VEX statements first, then priorities.

Matching calls :func:`findings_triage` for the findings of each chunk it writes, and a new VEX
statement for the findings of its vulnerability. What cannot change a VEX statement's reach (the
KEV and EPSS imports, an SSVC override, an SLA or a product's asset context) calls
``triage.prioritisation.priorities_refresh`` alone. Both steps are set-based (a few statements
per call, whatever the number of findings), so a full re-match or a daily EPSS import stays
within its budget.
"""

from __future__ import annotations

from django.db.models import QuerySet

from vulndesk.server.findings.models import Finding


def findings_triage(findings: QuerySet[Finding]) -> None:
    """Apply the VEX statements that cover ``findings``, then recompute their priorities (a
    finding stated not affected or fixed has none)."""
    from vulndesk.server.triage.prioritisation import priorities_refresh
    from vulndesk.server.triage.vex import vex_apply

    vex_apply(findings)
    priorities_refresh(findings)
