"""Tasks the worker tests enqueue (imported by name by the worker subprocesses, so this folder
is on their PYTHONPATH and on the test process's sys.path: tests/server/jobs/conftest.py)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from django.tasks import task


@task()
def record(*, log: str, n: int) -> int:
    """Append ``n`` and this process's id to ``log``; return ``n``."""
    with Path(log).open("a") as f:
        f.write(f"{n} {os.getpid()}\n")
    time.sleep(0.05)
    return n


@task()
def block(*, folder: str, job_id: int | None = None) -> str:
    """On the first run, say so in ``folder``/started and wait to be killed; later runs finish."""
    started = Path(folder) / "started"
    if not started.exists():
        started.write_text(str(os.getpid()))
        time.sleep(120)
    return "done"


@task()
def fail(*, job_id: int | None = None) -> None:
    """Fail on purpose."""
    raise ValueError("the sample task fails on purpose")
