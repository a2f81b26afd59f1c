"""Real ``vulndesk worker`` processes sharing one queue, dying, and failing tasks."""

from __future__ import annotations

import signal
from collections import Counter
from pathlib import Path

from worker_support import TASKS, python, wait_for

N = 40


def test_two_workers_run_each_task_exactly_once(cli, workers, tmp_path: Path) -> None:
    assert cli("migrate").returncode == 0
    first, second = workers(name="a"), workers(name="b")
    # both are polling before the tasks arrive, so both take some
    wait_for(
        lambda: (
            python(
                cli,
                "from vulndesk.server.jobs.models import WorkerHeartbeat\n"
                "print(WorkerHeartbeat.objects.count())",
            )
            == 2
        ),
        what="two heartbeats",
    )
    log = tmp_path / "runs.log"
    python(
        cli,
        "from jobs_sample_tasks import record\n"
        f"for n in range({N}): record.enqueue(log={str(log)!r}, n=n)\n"
        "print(1)",
    )
    done = wait_for(
        lambda: (
            (tasks := python(cli, TASKS))
            and all(t["status"] == "SUCCESSFUL" for t in tasks)
            and tasks
        ),
        what="all tasks done",
    )
    for process in (first, second):
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0

    runs = Counter(int(line.split()[0]) for line in log.read_text().splitlines())
    assert runs == Counter(range(N))  # every task ran, none twice
    assert all(len(t["workers"]) == 1 for t in done)
    assert len({t["workers"][0] for t in done}) == 2  # both workers took a share
    pids = {line.split()[1] for line in log.read_text().splitlines()}
    assert pids == {str(first.pid), str(second.pid)}
    # a worker that stops cleanly takes its heartbeat with it
    count = "from vulndesk.server.jobs.models import WorkerHeartbeat\n"
    assert python(cli, count + "print(WorkerHeartbeat.objects.count())") == 0


def test_a_killed_workers_task_is_taken_up_by_another(cli, workers, tmp_path: Path) -> None:
    assert cli("migrate").returncode == 0
    python(
        cli,
        "from jobs_sample_tasks import block\n"
        "from vulndesk.server.jobs.models import JobKind\n"
        "from vulndesk.server.jobs.services import job_enqueue\n"
        f"job_enqueue(task=block, kind=JobKind.REMATCH, label='blocks', folder={str(tmp_path)!r})\n"
        "print(1)",
    )
    fast = ("--heartbeat", "0.3", "--stale-after", "2")
    doomed = workers(*fast, name="doomed")
    wait_for(lambda: (tmp_path / "started").exists(), what="the task to start")
    doomed.kill()  # SIGKILL: no chance to clean up
    doomed.wait()
    (task,) = python(cli, TASKS)
    assert task["status"] == "RUNNING"

    workers(*fast, name="rescuer")
    (task,) = wait_for(
        lambda: (tasks := python(cli, TASKS))[0]["status"] == "SUCCESSFUL" and tasks,
        what="the task to be run again",
    )
    assert len(task["workers"]) == 2
    assert task["workers"][0].split("-")[-2] == str(doomed.pid)
    audit = python(
        cli,
        "from vulndesk.server.audit.models import AuditEvent\n"
        "print(json.dumps(list(AuditEvent.objects.filter(object_type='task')"
        ".values_list('action', 'object_id'))))",
    )
    assert audit == [["job.requeue", task["id"]]]
    job = python(
        cli,
        "from vulndesk.server.jobs.selectors import jobs_with_state\n"
        "print(json.dumps(jobs_with_state().values_list('task_status', flat=True).get()))",
    )
    assert job == "SUCCESSFUL"


def test_a_failing_task_shows_failed_with_its_error(cli, workers) -> None:
    assert cli("migrate").returncode == 0
    python(
        cli,
        "from jobs_sample_tasks import fail\n"
        "from vulndesk.server.jobs.models import JobKind\n"
        "from vulndesk.server.jobs.services import job_enqueue\n"
        "job_enqueue(task=fail, kind=JobKind.REMATCH, label='fails')\n"
        "print(1)",
    )
    worker = workers("--once")
    assert worker.wait(timeout=60) == 0  # the worker goes on; only the task failed
    shown = python(
        cli,
        "from vulndesk.server.jobs.selectors import job_error, jobs_with_state\n"
        "job = jobs_with_state().get()\n"
        "print(json.dumps([job.task_status, job_error(job)]))",
    )
    assert shown == ["FAILED", "ValueError: the sample task fails on purpose"]


def test_worker_once_exits_on_an_empty_queue(cli) -> None:
    result = cli("worker", "--once", timeout=60)
    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout
