"""The ``vulndesk worker`` process: django-tasks-db's worker loop, plus heartbeats and recovery.

django-tasks-db claims each task in a transaction (``SELECT ... FOR UPDATE SKIP LOCKED`` on
PostgreSQL, an exclusive transaction on SQLite), so any number of workers share one queue and a
task runs once; a task that raises is marked FAILED with its traceback. What it does not do is
notice a worker that died mid-task: its task would stay RUNNING for ever. So a thread of each
worker writes the worker's heartbeat every few seconds and runs ``jobs.services.jobs_recover``,
which puts such tasks back in the queue (or fails them, after MAX_RUNS tries).

Stopping: the first SIGINT or SIGTERM lets the task at hand finish (or stops at once when idle);
a second one ends the process at once, and its task goes back to the queue by recovery, like a
crashed worker's, rather than being marked failed as the library would.
"""

from __future__ import annotations

import logging
import os
import secrets
import signal
import socket
import sys
import threading
from datetime import datetime, timedelta
from types import FrameType

from django.db import connections
from django.tasks import DEFAULT_TASK_BACKEND_ALIAS
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker

from vulndesk.server.jobs.services import (
    STALE_AFTER,
    jobs_recover,
    worker_heartbeat,
    worker_heartbeat_remove,
)

logger = logging.getLogger("vulndesk.worker")

#: how often a worker says it is alive (and looks for orphaned tasks)
HEARTBEAT_EVERY = timedelta(seconds=5)
#: how often a worker queues the feed syncs that are due (feeds.services.feeds_schedule)
SCHEDULE_FEEDS_EVERY = timedelta(seconds=60)
#: how often a worker queues the periodic disclosure work (disclosure.tasks.disclosure_periodic)
SCHEDULE_DISCLOSURE_EVERY = timedelta(minutes=5)
#: how often a worker queues the compliance reminders (compliance.tasks.compliance_periodic)
SCHEDULE_COMPLIANCE_EVERY = timedelta(minutes=5)


def worker_id_new() -> str:
    """Return a new worker id: host, process id and a random suffix (at most 64 characters)."""
    return f"{socket.gethostname()[:40]}-{os.getpid()}-{secrets.token_hex(4)}"


class VulndeskWorker(Worker):
    """django-tasks-db's ``Worker`` on every queue, with a heartbeat thread (see the module)."""

    def __init__(
        self,
        *,
        interval: float = 0.5,
        once: bool = False,
        worker_id: str | None = None,
        heartbeat_every: timedelta = HEARTBEAT_EVERY,
        stale_after: timedelta = STALE_AFTER,
        parent_pid: int | None = None,
    ) -> None:
        super().__init__(
            queue_names=["*"],
            interval=interval,
            batch=once,
            backend_name=DEFAULT_TASK_BACKEND_ALIAS,
            startup_delay=False,
            max_tasks=None,
            worker_id=worker_id or worker_id_new(),
            excluded_queue_names=[],
        )
        self.heartbeat_every = heartbeat_every
        self.stale_after = stale_after
        self.parent_pid = parent_pid
        self.started_at = timezone.now()
        self._stopping = threading.Event()
        # the heartbeat row is written and removed under this lock, and never written once
        # removed: a beat still running when the worker stops cannot bring the row back
        self._heartbeat_lock = threading.Lock()
        self._heartbeat_removed = False
        self._feeds_scheduled_at: datetime | None = None
        self._disclosure_scheduled_at: datetime | None = None
        self._compliance_scheduled_at: datetime | None = None

    def run(self) -> None:
        """Work until stopped (or, with ``once``, until the queue is empty)."""
        self.beat()  # before the first claim: other workers must see this one alive
        thread = threading.Thread(target=self._heartbeats, name="vulndesk-heartbeat", daemon=True)
        thread.start()
        try:
            super().run()
        finally:
            self._stopping.set()
            thread.join(timeout=self.heartbeat_every.total_seconds() + 5)
            with self._heartbeat_lock:
                self._heartbeat_removed = True
                try:
                    # the stop signal may have landed in the middle of a query (claiming a task)
                    # and left this thread's connection unusable: remove on a fresh one
                    connections.close_all()
                    worker_heartbeat_remove(worker_id=self.worker_id)
                except Exception:  # noqa: BLE001 - the row only goes stale; recovery copes
                    logger.warning("could not remove the heartbeat of %s", self.worker_id)

    def beat(self) -> None:
        """Record this worker's heartbeat and recover the tasks of dead workers."""
        with self._heartbeat_lock:
            if self._heartbeat_removed:  # the worker is stopping; its row is gone for good
                return
            worker_heartbeat(worker_id=self.worker_id, started_at=self.started_at)
        recovery = jobs_recover(stale_after=self.stale_after)
        for task_id in recovery.requeued:
            logger.warning("task %s: its worker died; back in the queue", task_id)
        for task_id in recovery.failed:
            logger.error("task %s: its workers died under it too often; failed", task_id)
        self.schedule_feeds()
        self.schedule_disclosure()
        self.schedule_compliance()

    def schedule_feeds(self) -> None:
        """Queue the feed syncs that are due, at most once per SCHEDULE_FEEDS_EVERY."""
        from vulndesk.server.feeds.services import feeds_schedule

        now = timezone.now()
        last = self._feeds_scheduled_at
        if last is not None and now - last < SCHEDULE_FEEDS_EVERY:
            return
        self._feeds_scheduled_at = now
        for job in feeds_schedule(now=now):
            logger.info("feed sync of %s queued as job %d", job.label, job.pk)

    def schedule_disclosure(self) -> None:
        """Queue the periodic disclosure work (embargoes that ended, reminders, case notices)
        at most once per SCHEDULE_DISCLOSURE_EVERY, when there is any to do."""
        from vulndesk.server.disclosure.tasks import disclosure_schedule

        now = timezone.now()
        last = self._disclosure_scheduled_at
        if last is not None and now - last < SCHEDULE_DISCLOSURE_EVERY:
            return
        self._disclosure_scheduled_at = now
        if disclosure_schedule():
            logger.info("periodic disclosure work queued")

    def schedule_compliance(self) -> None:
        """Queue the compliance reminders and escalations at most once per
        SCHEDULE_COMPLIANCE_EVERY, when a report's clock runs or a notice waits."""
        from vulndesk.server.compliance.tasks import compliance_schedule

        now = timezone.now()
        last = self._compliance_scheduled_at
        if last is not None and now - last < SCHEDULE_COMPLIANCE_EVERY:
            return
        self._compliance_scheduled_at = now
        if compliance_schedule():
            logger.info("compliance reminders queued")

    def _heartbeats(self) -> None:
        try:
            while not self._stopping.wait(self.heartbeat_every.total_seconds()):
                if self.parent_pid is not None and os.getppid() != self.parent_pid:
                    logger.warning("the process that started this worker is gone; stopping")
                    self.parent_pid = None
                    os.kill(os.getpid(), signal.SIGTERM)  # the first signal: a clean stop
                try:
                    self.beat()
                except Exception:  # a missed beat must not end the heartbeats
                    logger.exception("heartbeat of %s failed", self.worker_id)
        finally:
            connections.close_all()  # this thread's connections

    def shutdown(self, signum: int, frame: FrameType | None) -> None:
        """Stop after the task at hand on the first signal, at once on the second."""
        if self.running:
            super().shutdown(signum, frame)
            return
        logger.warning(
            "Received %s again - stopping now; the task goes back to the queue",
            signal.strsignal(signum),
        )
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(1)


def worker_run(
    *,
    interval: float = 0.5,
    once: bool = False,
    heartbeat_every: timedelta = HEARTBEAT_EVERY,
    stale_after: timedelta = STALE_AFTER,
    worker_id: str | None = None,
    parent_pid: int | None = None,
) -> None:
    """Run a worker in this process until it is stopped (``once``: until the queue is empty),
    logging what it does to standard output; with ``parent_pid``, it also stops soon after that
    process (which started it) is gone."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    for name in ("django_tasks_db", "django.tasks", "vulndesk"):
        log = logging.getLogger(name)
        log.setLevel(logging.INFO)
        if not log.handlers:
            log.addHandler(handler)
    worker = VulndeskWorker(
        interval=interval,
        once=once,
        worker_id=worker_id,
        heartbeat_every=heartbeat_every,
        stale_after=stale_after,
        parent_pid=parent_pid,
    )
    worker.configure_signals()
    logger.info("worker %s started (pid %d)", worker.worker_id, os.getpid())
    worker.run()
