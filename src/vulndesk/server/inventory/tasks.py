"""Background tasks of the inventory (run by ``vulndesk worker``)."""

from __future__ import annotations

from typing import Any

from django.tasks import task

from vulndesk.server.jobs.models import MATCHING_PRIORITY


@task(priority=MATCHING_PRIORITY)
def analyse_sbom(*, sbom_id: int, job_id: int | None = None) -> dict[str, Any]:
    """Analyse an uploaded SBOM (inventory.services.sbom_analyse) and return what it did."""
    from vulndesk.server.findings.services import snapshot_take
    from vulndesk.server.inventory.services import sbom_analyse

    outcome = sbom_analyse(sbom_id=sbom_id, job_id=job_id)
    if outcome.error:
        # the SBOM is marked failed with the message; the job fails with it too
        raise RuntimeError(outcome.error)
    snapshot_take()
    return {
        "components": outcome.components,
        "new_findings": outcome.new_findings,
        "resolved_findings": outcome.resolved_findings,
    }
