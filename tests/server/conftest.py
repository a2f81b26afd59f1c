"""Fixtures shared by the server tests: running the jobs a test enqueued, as a worker would."""

from __future__ import annotations

from collections.abc import Callable

import pytest


def run_queued_tasks() -> int:
    """Run every queued task with django-tasks-db's own claim and run steps; return how many
    ran. Tasks a task enqueues run too.

    Not ``Worker.run``: its loop closes the database connection between tasks, which would end
    the test's transaction.
    """
    from django.db import transaction
    from django_tasks_db.management.commands.db_worker import Worker
    from django_tasks_db.models import DBTaskResult

    worker = Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
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


@pytest.fixture
def run_jobs(db: None) -> Callable[[], int]:
    """Return a function that runs the queued tasks in this process and says how many ran."""
    return run_queued_tasks
