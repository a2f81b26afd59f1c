"""Starting background jobs and reporting their progress."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.tasks import Task

from vulndesk.server.jobs.models import Job, JobKind


@transaction.atomic
def job_enqueue(
    *,
    task: Task[Any, Any],
    kind: JobKind,
    label: str,
    product: Any = None,
    acting_user: Any = None,
    **kwargs: Any,
) -> Job:
    """Create a Job and enqueue ``task(job_id=..., **kwargs)`` for a worker; return the job.

    The task row is written in the caller's transaction (django-tasks-db keeps it in the same
    database), so a change and the job that follows it are committed together or not at all.
    """
    job = Job.objects.create(
        kind=kind,
        label=label[:300],
        product=product,
        created_by=acting_user
        if acting_user is not None and acting_user.is_authenticated
        else None,
    )
    result = task.enqueue(job_id=job.pk, **kwargs)
    job.task_id = result.id
    job.save(update_fields=["task_id"])
    return job


def job_progress(job_id: int | None, *, done: int, total: int, message: str = "") -> None:
    """Record how far job ``job_id`` has got (nothing when the work runs without a job)."""
    if job_id is None:
        return
    Job.objects.filter(pk=job_id).update(progress_done=done, progress_total=total, message=message)
