"""The portfolio benchmark's database and the processes it starts and stops."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

from portfolio_common import POSTGRES, PYTHON

# --------------------------------------------------------------------------------------------
# Database and processes


def database_create(name: str) -> str:
    """Create database ``name`` (dropping a leftover of the same name); return its URL."""
    import psycopg

    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        c.execute(f'CREATE DATABASE "{name}"')
    return f"{POSTGRES}/{name}"


def database_drop(name: str) -> None:
    """Drop database ``name``."""
    import psycopg

    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Started:
    """A process this bench started (in its own process group), and where its output goes."""

    name: str
    proc: subprocess.Popen[bytes]
    log: Path
    command: str = ""

    def tail(self, lines: int = 20) -> str:
        """Return the last lines the process wrote."""
        with contextlib.suppress(OSError):
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def stop(self) -> None:
        """Stop the process group: SIGTERM, then SIGKILL after 10 s."""
        if self.proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)


def start(name: str, args: list[str], env: dict[str, str], folder: Path) -> Started:
    """Start ``args`` in a new session (so that it and its children stop together)."""
    path = folder / f"{name}.log"
    with path.open("wb") as out:
        proc = subprocess.Popen(
            args, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    return Started(name, proc, path)


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def help_text(*command: str, env: dict[str, str]) -> str:
    """Return ``vulndesk <command> --help`` (to see which options this version has)."""
    done = subprocess.run(
        [PYTHON, "-m", "vulndesk", *command, "--help"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return done.stdout
