"""Fixtures of the worker tests: worker processes on the ``cli`` database."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).parent
# the sample tasks are imported as the top-level module ``jobs_sample_tasks``, here and in the
# worker subprocesses, so their task paths agree
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from worker_support import env_of  # noqa: E402 - found through the line above


@pytest.fixture
def workers(cli: Any, tmp_path: Path) -> Iterator[Callable[..., subprocess.Popen[str]]]:
    """Start ``vulndesk worker`` processes on ``cli``'s database; stop what is left at the end."""
    started: list[subprocess.Popen[str]] = []

    def start(*options: str, name: str = "worker") -> subprocess.Popen[str]:
        log = (tmp_path / f"{name}-{len(started)}.log").open("w")
        process = subprocess.Popen(
            [sys.executable, "-m", "vulndesk", "worker", "--interval", "0.05", *options],
            env=env_of(cli),
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait()
