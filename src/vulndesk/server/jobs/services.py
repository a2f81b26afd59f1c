"""Starting background jobs, reporting their progress, and keeping workers honest.

Workers (``jobs.worker``) send heartbeats; :func:`jobs_recover`, which every worker runs with
its heartbeat, puts back the tasks of a worker that died mid-task, so nothing stays RUNNING for
ever.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.tasks import Task, TaskResultStatus
from django.utils import timezone

from vulndesk.server.audit.services import audit_record
from vulndesk.server.jobs.models import Job, JobKind, WorkerHeartbeat


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


# --- workers: heartbeats and recovery ---------------------------------------------------------

#: a RUNNING task whose worker has been silent this long is taken to be orphaned
STALE_AFTER = timedelta(seconds=30)
#: runs a task gets (``len(worker_ids)``) before a worker dying under it fails it for good
MAX_RUNS = 3
WORKER_DIED = "worker died while running it"
#: heartbeats of workers gone this long are deleted
_HEARTBEAT_KEPT = timedelta(days=1)


class WorkerDied(Exception):
    """The error recorded on a task whose worker died under it too often."""


def worker_heartbeat(*, worker_id: str, started_at: datetime, now: datetime | None = None) -> None:
    """Record that worker ``worker_id`` (this process) is alive now."""
    now = now or timezone.now()
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={
            "host": socket.gethostname()[:255],
            "pid": os.getpid(),
            "started_at": started_at,
            "last_seen": now,
        },
    )


def worker_heartbeat_remove(*, worker_id: str) -> None:
    """Forget worker ``worker_id`` (it stops cleanly)."""
    WorkerHeartbeat.objects.filter(worker_id=worker_id).delete()


def worker_is_dead(beat: WorkerHeartbeat | None, stale_after: timedelta, now: datetime) -> bool:
    """Return whether the worker of heartbeat ``beat`` (None: it never sent one) is dead.

    Its heartbeat must be older than ``stale_after``. A worker on this host whose process still
    exists is given ten times longer: on SQLite its heartbeat waits while the task it runs holds
    the database's write lock, and running that task twice would be worse than waiting.
    """
    if beat is None:
        return True
    if beat.last_seen >= now - stale_after:
        return False
    if beat.last_seen >= now - 10 * stale_after and beat.host == socket.gethostname():
        return not _process_exists(beat.pid)
    return True


def _process_exists(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


@dataclass(frozen=True, slots=True)
class Recovery:
    """What :func:`jobs_recover` did: task ids put back in the queue, and failed."""

    requeued: list[str]
    failed: list[str]


def jobs_recover(*, stale_after: timedelta = STALE_AFTER, now: datetime | None = None) -> Recovery:
    """Put back the tasks whose worker died under them; return what was done.

    A RUNNING task claimed more than ``stale_after`` ago whose latest worker is dead
    (:func:`worker_is_dead`) goes back to READY when it has run fewer than MAX_RUNS times, and is
    marked FAILED with WORKER_DIED otherwise, so a task that kills its worker does not kill every
    worker in turn. Each change is audited. Heartbeats of workers gone a day are deleted.
    """
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    cutoff = now - stale_after
    beats = {beat.worker_id: beat for beat in WorkerHeartbeat.objects.all()}
    suspects = [
        task_id
        for task_id, worker_ids in DBTaskResult.objects.filter(
            status=TaskResultStatus.RUNNING, started_at__lt=cutoff
        ).values_list("id", "worker_ids")
        if not worker_ids or worker_is_dead(beats.get(worker_ids[-1]), stale_after, now)
    ]
    requeued: list[str] = []
    failed: list[str] = []
    for task_id in suspects:
        with transaction.atomic():
            # skip_locked: another worker recovering the same task at this moment has it
            task = (
                DBTaskResult.objects.select_for_update(skip_locked=True)
                .filter(pk=task_id, status=TaskResultStatus.RUNNING, started_at__lt=cutoff)
                .first()
            )
            if task is None:
                continue
            workers = list(task.worker_ids)
            # read again under the lock: on SQLite the heartbeat may have waited for it too
            beat = WorkerHeartbeat.objects.filter(worker_id=workers[-1] if workers else "").first()
            if workers and not worker_is_dead(beat, stale_after, now):
                continue
            if len(workers) < MAX_RUNS:
                task.status = TaskResultStatus.READY
                task.save(update_fields=["status"])
                requeued.append(str(task.pk))
                action = "job.requeue"
            else:
                task.status = TaskResultStatus.FAILED
                task.finished_at = now
                task.exception_class_path = f"{WorkerDied.__module__}.{WorkerDied.__qualname__}"
                task.traceback = (
                    f"{WorkerDied.__qualname__}: {WORKER_DIED} ({len(workers)} runs, "
                    f"on workers {', '.join(workers)})\n"
                )
                task.return_value = None
                task.save(
                    update_fields=[
                        "status", "finished_at", "exception_class_path", "traceback",
                        "return_value",
                    ]
                )  # fmt: skip
                failed.append(str(task.pk))
                action = "job.fail"
            audit_record(
                action=action,
                object_type="task",
                object_id=str(task.pk),
                data={"task": task.task_path, "workers": workers, "reason": WORKER_DIED},
                actor_label="worker",
            )
    WorkerHeartbeat.objects.filter(last_seen__lt=now - _HEARTBEAT_KEPT).delete()
    return Recovery(requeued, failed)
