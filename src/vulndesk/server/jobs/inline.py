"""Running queued jobs in the current process, for the demo loader and tests.

It claims tasks exactly as a worker does (django-tasks-db's ``get_locked`` and ``claim``) and
runs each with the worker's own ``run_task``, so results, errors and signals are recorded the
same way; only the loop differs: it stops when the queue is empty and never closes the database
connection (``Worker.run`` does between tasks, which would end a caller's transaction).
"""

from __future__ import annotations

from django.db import transaction


def jobs_run_pending(*, worker_id: str = "inline") -> int:
    """Run every queued task (and those they enqueue) in this process; return how many ran."""
    from django_tasks_db.management.commands.db_worker import Worker
    from django_tasks_db.models import DBTaskResult

    worker = Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=worker_id,
        excluded_queue_names=[],
    )
    ran = 0
    while True:
        with transaction.atomic():
            result = DBTaskResult.objects.ready().get_locked()
            if result is None:
                return ran
            result.claim(worker.worker_id)
        worker.run_task(result)
        ran += 1
