"""What runs whenever findings may have changed: VEX statements first, then priorities.

Matching calls :func:`findings_triage` for the findings of each chunk it writes; the KEV and EPSS
imports, a new VEX statement, an SSVC override and a change of a product's asset context call it
for the findings they touch. Both steps are set-based (a few statements per call, whatever the
number of findings), so a full re-match or a daily EPSS import stays within its budget.
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
