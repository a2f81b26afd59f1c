"""Reading jobs with their state, which is their task result's (``DBTaskResult``).

Every queryset here is annotated with the task's state, joined in SQL:

- ``task_status``: ``READY``, ``RUNNING``, ``SUCCESSFUL`` or ``FAILED`` (None: the task row is
  gone, or the job was never enqueued);
- ``task_started_at``, ``task_finished_at``, ``task_run_after``, ``task_worker_ids``;
- ``task_exception`` and ``task_traceback`` of a failed task (:func:`job_error` makes the line a
  person reads of them).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_tasks_db.models import DBTaskResult

from vulndesk.server.accounts.permissions import visible_product_ids
from vulndesk.server.jobs.models import Job, WorkerHeartbeat
from vulndesk.server.jobs.services import STALE_AFTER

#: what each task status is called on screen
STATUS_LABELS = {
    "READY": _("queued"),
    "RUNNING": _("running"),
    "SUCCESSFUL": _("done"),
    "FAILED": _("failed"),
    None: _("unknown"),
}


def jobs_with_state(jobs: QuerySet[Job] | None = None) -> QuerySet[Job]:
    """Return ``jobs`` (default: all) annotated with their task's state (see the module)."""
    jobs = Job.objects.all() if jobs is None else jobs
    task = DBTaskResult.objects.filter(id=OuterRef("task_id"))
    return jobs.annotate(
        task_status=Subquery(task.values("status")[:1]),
        task_started_at=Subquery(task.values("started_at")[:1]),
        task_finished_at=Subquery(task.values("finished_at")[:1]),
        task_run_after=Subquery(task.values("run_after")[:1]),
        task_worker_ids=Subquery(task.values("worker_ids")[:1]),
        task_exception=Subquery(task.values("exception_class_path")[:1]),
        task_traceback=Subquery(task.values("traceback")[:1]),
    )


def jobs_visible(*, user: Any) -> QuerySet[Job]:
    """Return the jobs ``user`` may see, newest first, with their task's state.

    That is the jobs of products they may see and the jobs they started; superusers see all,
    the product-less ones (feed syncs, notifications) included.
    """
    if not user.is_authenticated:
        return jobs_with_state(Job.objects.none())
    ids = visible_product_ids(user)
    jobs = Job.objects.select_related("product", "created_by")
    if ids is not None:
        jobs = jobs.filter(Q(product_id__in=ids) | Q(created_by=user))
    return jobs_with_state(jobs)


def job_visible_get(*, user: Any, job_id: int) -> Job:
    """Return job ``job_id`` with its task's state; 404 when ``user`` may not see it."""
    job = jobs_visible(user=user).filter(pk=job_id).first()
    if job is None:
        raise Http404("no such job")
    return job


def job_error(job: Job) -> str:
    """Return why an annotated job's task failed, as a person reads it (the exception line at the
    end of its traceback), or "" when it did not fail."""
    if getattr(job, "task_status", None) != "FAILED":
        return ""
    lines = [line for line in (getattr(job, "task_traceback", "") or "").splitlines() if line]
    if lines:
        return lines[-1].strip()
    return str(getattr(job, "task_exception", "") or "failed")


def workers_alive(*, stale_after: timedelta = STALE_AFTER) -> QuerySet[WorkerHeartbeat]:
    """Return the workers that sent a heartbeat within ``stale_after`` (none: jobs wait)."""
    return WorkerHeartbeat.objects.filter(last_seen__gte=timezone.now() - stale_after)
