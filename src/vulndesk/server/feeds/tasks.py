"""Background tasks of the feeds app (run by ``vulndesk worker``)."""

from __future__ import annotations

from typing import Any

from django.tasks import task


@task()
def sync_feed(*, source_name: str, job_id: int | None = None) -> dict[str, Any]:
    """Sync one feed source, reporting progress on its job; return the counts.

    A failed sync fails the task with the source's error (the jobs page shows it); what was
    stored before the failure stays stored and the next run continues from there.
    """
    from vulndesk.server.feeds.models import FeedSource
    from vulndesk.server.feeds.services import feed_sync
    from vulndesk.server.jobs.services import job_progress

    def progress(done: int, total: int | None, message: str) -> None:
        job_progress(job_id, done=done, total=total or 0, message=message[:500])

    try:
        outcome = feed_sync(source=source_name, actor_label="worker", progress=progress)
    finally:
        if job_id is not None:
            FeedSource.objects.filter(name=source_name, pending_job_id=job_id).update(
                pending_job=None
            )
    return {"source": outcome.source, "batches": outcome.batches, **outcome.counts.as_dict()}
