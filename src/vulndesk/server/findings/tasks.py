"""Background tasks that re-match findings (run by ``vulndesk worker``)."""

from __future__ import annotations

from django.tasks import task

from vulndesk.server.jobs.models import MATCHING_PRIORITY


@task(priority=MATCHING_PRIORITY)
def rematch_identities(*, identity_ids: list[int], job_id: int | None = None) -> dict[str, int]:
    """Re-match the given component identities (after a feed import changed their advisories)."""
    from vulndesk.server.findings.services import findings_match, snapshot_take

    run = findings_match(identity_ids=identity_ids, job_id=job_id)
    snapshot_take()
    return run.as_dict()


@task(priority=MATCHING_PRIORITY)
def rematch_all(*, job_id: int | None = None) -> dict[str, int]:
    """Re-match every identity in the portfolio."""
    from vulndesk.server.findings.services import findings_rematch_all, snapshot_take

    run = findings_rematch_all(job_id=job_id)
    snapshot_take()
    return run.as_dict()
