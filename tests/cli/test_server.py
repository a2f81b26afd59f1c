"""``vulndesk serve`` (gunicorn and a background worker) and ``vulndesk createuser``, run for
real on a fresh database of the backend under test."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import signal
import socket
import subprocess
import sys
import termios
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from support import ROOT

PASSWORD = "a-long-test-password-7"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _python(cli, code: str) -> object:
    """Run ``code`` with Django set up on ``cli``'s database; return the JSON it prints last."""
    setup = "from vulndesk.server.bootstrap import setup\nsetup()\nimport json\n"
    result = subprocess.run(
        [sys.executable, "-c", setup + code],
        env=cli.env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def _createuser(cli, *args: str, password: str | None = PASSWORD):
    return subprocess.run(
        [sys.executable, "-m", "vulndesk", "createuser", *args],
        input=None if password is None else password + "\n",
        env=cli.env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def serve(cli, tmp_path: Path) -> Iterator:
    """Start ``vulndesk serve`` on a free loopback port; yield (base URL, process)."""
    processes: list[subprocess.Popen[str]] = []

    def start(*options: str) -> tuple[str, subprocess.Popen[str]]:
        port = _free_port()
        log = (tmp_path / f"serve-{len(processes)}.log").open("w")
        process = subprocess.Popen(
            [sys.executable, "-m", "vulndesk", "serve", "--port", str(port), "--workers", "1",
             *options],
            env=cli.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )  # fmt: skip
        processes.append(process)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert process.poll() is None, (tmp_path / log.name).read_text()
            try:
                httpx.get(f"{url}/login/", timeout=2)
                return url, process
            except httpx.TransportError:
                time.sleep(0.2)
        raise AssertionError("vulndesk serve did not answer")

    yield start
    for process in processes:
        if process.poll() is None:
            process.kill()
        process.wait()


def test_createuser_then_log_in_over_http(cli, serve) -> None:
    result = _createuser(cli, "alice", "--email", "alice@example.org", "--password-stdin")
    assert result.returncode == 0, result.stderr
    assert "created user 'alice'" in result.stdout

    url, _ = serve("--no-worker")
    with httpx.Client(base_url=url, timeout=10) as browser:
        page = browser.get("/login/")
        assert page.status_code == 200
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        response = browser.post(
            "/login/",
            data={"username": "alice", "password": PASSWORD, "csrfmiddlewaretoken": token},
            headers={"Referer": f"{url}/login/"},
        )
        assert response.status_code == 302
        assert response.headers["location"] == "/"
        assert browser.get("/").status_code == 200  # the session works


def test_createuser_superuser(cli) -> None:
    assert _createuser(cli, "root", "--superuser", "--password-stdin").returncode == 0
    shown = _python(
        cli,
        "from django.contrib.auth import get_user_model\n"
        "from vulndesk.server.audit.models import AuditEvent\n"
        "user = get_user_model().objects.get(username='root')\n"
        f"print(json.dumps([user.is_superuser, user.is_staff, user.check_password({PASSWORD!r}),"
        " AuditEvent.objects.filter(action='user.create').count()]))",
    )
    assert shown == [True, True, True, 1]


def test_createuser_refuses_an_existing_user(cli) -> None:
    assert _createuser(cli, "alice", "--password-stdin").returncode == 0
    again = _createuser(cli, "alice", "--password-stdin")
    assert again.returncode == 2
    assert "a user named 'alice' already exists" in again.stderr


def test_createuser_needs_a_password(cli) -> None:
    result = _createuser(cli, "alice", password=None)  # stdin is not a terminal
    assert result.returncode == 2
    assert "--password-stdin" in result.stderr
    empty = _createuser(cli, "alice", "--password-stdin", password="")
    assert empty.returncode == 2 and "no password" in empty.stderr


def _createuser_at_a_terminal(cli, answers: list[str]) -> tuple[int, str]:
    """Run ``vulndesk createuser alice`` on a pseudo-terminal (its controlling terminal, as
    getpass wants), typing each of ``answers`` after the next prompt; return the exit code and
    everything the terminal showed."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: exec at once, never return into pytest
        os.execve(sys.executable, [sys.executable, "-m", "vulndesk", "createuser", "alice"],
                  cli.env())  # fmt: skip
    shown = b""
    pending = list(answers)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 1)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 1024)
        except OSError:  # the child closed the terminal: it exited
            break
        if not chunk:
            break
        shown += chunk
        if pending and shown.rstrip().endswith(b":"):
            # type only once getpass has turned echo off: it discards what came before
            while termios.tcgetattr(fd)[3] & termios.ECHO and time.monotonic() < deadline:
                time.sleep(0.01)
            os.write(fd, pending.pop(0).encode() + b"\n")
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), shown.decode(errors="replace")


def test_createuser_asks_for_the_password_twice_at_a_terminal(cli) -> None:
    code, shown = _createuser_at_a_terminal(cli, [PASSWORD, PASSWORD + "x"])
    assert code == 2 and "the passwords differ" in shown
    code, shown = _createuser_at_a_terminal(cli, [PASSWORD, PASSWORD])
    assert code == 0, shown
    assert shown.count("Password") == 2 and PASSWORD not in shown  # never echoed
    assert "created user 'alice'" in shown
    checked = _python(
        cli,
        "from django.contrib.auth import get_user_model\n"
        f"print(json.dumps(get_user_model().objects.get(username='alice')"
        f".check_password({PASSWORD!r})))",
    )
    assert checked is True


def test_serve_runs_jobs_and_stops_cleanly(cli, serve) -> None:
    url, process = serve()
    sbom = ROOT / "src/vulndesk/demo/data/sboms/shop-web.cdx.json"
    task_id = _python(
        cli,
        "from pathlib import Path\n"
        "from vulndesk.server.inventory.services import product_create, release_create, "
        "sbom_upload\n"
        "product = product_create(name='Shop', acting_user=None)\n"
        "release = release_create(product=product, version='1.0', acting_user=None)\n"
        f"content = Path({str(sbom)!r}).read_bytes()\n"
        "sbom_upload(release=release, file_name='shop.cdx.json', content=content, "
        "acting_user=None)\n"
        "from vulndesk.server.jobs.models import Job\n"
        "print(json.dumps(str(Job.objects.get().task_id)))",
    )
    state = (
        "from django_tasks_db.models import DBTaskResult\n"
        "from vulndesk.server.inventory.models import SbomDocument\n"
        f"print(json.dumps([DBTaskResult.objects.get(id={task_id!r}).status,"
        " SbomDocument.objects.get().status]))"
    )
    deadline = time.monotonic() + 90
    while (shown := _python(cli, state)) != ["SUCCESSFUL", "analysed"]:
        assert time.monotonic() < deadline, shown
        time.sleep(0.5)
    assert httpx.get(f"{url}/login/", timeout=10).status_code == 200

    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
    # the worker stopped with it, and took its heartbeat along
    beats = "from vulndesk.server.jobs.models import WorkerHeartbeat\n"
    assert _python(cli, beats + "print(WorkerHeartbeat.objects.count())") == 0
