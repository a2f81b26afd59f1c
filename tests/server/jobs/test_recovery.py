"""Recovering the tasks of dead workers, and what the job selectors show of a task's state."""

from __future__ import annotations

import os
import socket
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.http import Http404
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from jobs_sample_tasks import fail

from vulndesk.server.accounts.models import Organisation
from vulndesk.server.audit.models import AuditEvent
from vulndesk.server.inventory.models import Product
from vulndesk.server.jobs.models import JobKind, WorkerHeartbeat
from vulndesk.server.jobs.selectors import job_error, job_visible_get, jobs_visible
from vulndesk.server.jobs.services import (
    MAX_RUNS,
    WORKER_DIED,
    job_enqueue,
    jobs_recover,
    worker_heartbeat,
)

STALE = timedelta(seconds=30)


def _running(workers: list[str], started_ago: timedelta) -> DBTaskResult:
    """Enqueue a job and make its task RUNNING, claimed by ``workers`` (the last one now)."""
    job = job_enqueue(task=fail, kind=JobKind.REMATCH, label="sample")
    DBTaskResult.objects.filter(pk=job.task_id).update(
        status="RUNNING", worker_ids=workers, started_at=timezone.now() - started_ago
    )
    return DBTaskResult.objects.get(pk=job.task_id)


def _beat(worker_id: str, ago: timedelta, *, host: str = "elsewhere", pid: int = 1) -> None:
    now = timezone.now()
    WorkerHeartbeat.objects.create(
        worker_id=worker_id, host=host, pid=pid, started_at=now - ago, last_seen=now - ago
    )


def test_the_task_of_a_dead_worker_goes_back_to_the_queue(db: None) -> None:
    task = _running(["w1"], started_ago=timedelta(minutes=2))
    _beat("w1", ago=timedelta(minutes=1))
    recovery = jobs_recover(stale_after=STALE)
    assert recovery.requeued == [str(task.pk)] and recovery.failed == []
    task.refresh_from_db()
    assert task.status == "READY"
    event = AuditEvent.objects.get(action="job.requeue")
    assert event.object_id == str(task.pk) and event.data["workers"] == ["w1"]


def test_a_task_that_kills_its_workers_fails_with_a_clear_error(db: None) -> None:
    workers = [f"w{n}" for n in range(MAX_RUNS)]
    task = _running(workers, started_ago=timedelta(minutes=2))
    recovery = jobs_recover(stale_after=STALE)
    assert recovery.failed == [str(task.pk)]
    task.refresh_from_db()
    assert task.status == "FAILED"
    assert WORKER_DIED in task.traceback
    job = jobs_visible(user=get_user_model()(is_superuser=True, is_active=True)).get()
    assert job.task_status == "FAILED"
    assert job_error(job).startswith(f"WorkerDied: {WORKER_DIED} ({MAX_RUNS} runs")


def test_live_workers_keep_their_tasks(db: None) -> None:
    alive = _running(["w1"], started_ago=timedelta(minutes=2))
    _beat("w1", ago=timedelta(seconds=3))
    # claimed a moment ago by a worker that never sent a heartbeat: given time
    fresh = _running(["w2"], started_ago=timedelta(seconds=3))
    assert jobs_recover(stale_after=STALE).requeued == []
    assert {t.status for t in DBTaskResult.objects.filter(pk__in=[alive.pk, fresh.pk])} == {
        "RUNNING"
    }


def test_a_silent_worker_whose_process_lives_on_this_host_is_given_longer(db: None) -> None:
    # on SQLite a worker's heartbeat waits while its own task holds the write lock
    task = _running(["w1"], started_ago=timedelta(minutes=10))
    _beat("w1", ago=3 * STALE, host=socket.gethostname(), pid=os.getpid())
    assert jobs_recover(stale_after=STALE).requeued == []
    WorkerHeartbeat.objects.filter(worker_id="w1").update(last_seen=timezone.now() - 11 * STALE)
    assert jobs_recover(stale_after=STALE).requeued == [str(task.pk)]


def test_heartbeats_are_written_and_old_ones_pruned(db: None) -> None:
    started = timezone.now()
    worker_heartbeat(worker_id="me", started_at=started)
    worker_heartbeat(worker_id="me", started_at=started)
    beat = WorkerHeartbeat.objects.get()
    assert (beat.pid, beat.host) == (os.getpid(), socket.gethostname())
    _beat("gone", ago=timedelta(days=2))
    jobs_recover()
    assert list(WorkerHeartbeat.objects.values_list("worker_id", flat=True)) == ["me"]


def test_jobs_are_visible_to_those_who_may_see_their_product(db: None) -> None:
    users = get_user_model().objects
    owner, stranger = users.create_user("owner"), users.create_user("stranger")
    product = Product.objects.create(
        organisation=Organisation.objects.create(name="Acme", slug="acme"), name="Shop"
    )
    job = job_enqueue(
        task=fail, kind=JobKind.REMATCH, label="x", product=product, acting_user=owner
    )
    assert [j.pk for j in jobs_visible(user=owner)] == [job.pk]  # they started it
    assert list(jobs_visible(user=stranger)) == []
    with pytest.raises(Http404):
        job_visible_get(user=stranger, job_id=job.pk)
    shown = job_visible_get(user=owner, job_id=job.pk)
    assert (shown.task_status, job_error(shown)) == ("READY", "")
