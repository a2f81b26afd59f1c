"""Helpers of the worker tests: Python run against the ``cli`` database, and waiting."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent


def env_of(cli: Any) -> dict[str, str]:
    """Return the environment of a worker subprocess on ``cli``'s database."""
    env = cli.env()
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HERE), env.get("PYTHONPATH")]))
    return env


def python(cli: Any, code: str) -> Any:
    """Run ``code`` with Django set up on ``cli``'s database; return the JSON it prints last."""
    setup = (
        "from vulndesk.server.bootstrap import ensure_schema, setup\n"
        "setup(); ensure_schema()\n"
        "import json\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", setup + code],
        env=env_of(cli),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


TASKS = """
from django_tasks_db.models import DBTaskResult
print(json.dumps([
    {"id": str(t.id), "status": t.status, "workers": t.worker_ids, "path": t.task_path,
     "traceback": t.traceback}
    for t in DBTaskResult.objects.order_by("enqueued_at")
]))
"""


def wait_for(condition: Callable[[], Any], timeout: float = 60, what: str = "") -> Any:
    """Return the first true value of ``condition()``, polling until ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what or condition}")
