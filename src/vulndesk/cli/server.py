"""``vulndesk migrate``, ``serve``, ``worker`` and ``createuser``: running the server side.

Each creates or upgrades the schema first, so they work on a fresh machine.

``serve`` runs the web application under gunicorn (``gthread`` workers) in this process, and
one ``vulndesk worker`` subprocess beside it (restarted should it die). The worker
runs in a session of its own, so a Ctrl-C in the terminal reaches gunicorn only, and serve then
stops the worker with exactly one SIGTERM: it finishes the job at hand (for up to
``WORKER_GRACE`` seconds; after that its job goes back to the queue for the next worker).
"""

from __future__ import annotations

import argparse
import getpass
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from typing import Any

from vulndesk.cli.main import EXIT_OK
from vulndesk.core.errors import InputError

#: seconds a stopping worker is given to finish its job before it is told to stop at once
WORKER_GRACE = 10.0
#: a worker that dies sooner than this after its start is restarted after a pause
_RESTART_PAUSE = 5.0


def run(args: argparse.Namespace) -> int:
    """Run one of the server commands; return the exit code."""
    from vulndesk.server.bootstrap import ensure_schema, setup

    setup()
    ran = ensure_schema(verbosity=1 if getattr(args, "verbose", False) else 0)
    if args.command == "migrate":
        print("schema migrated" if ran else "schema already up to date")
        return EXIT_OK
    if args.command == "serve":
        return serve(args)
    if args.command == "createuser":
        return createuser(args)
    from vulndesk.server.jobs.worker import worker_run

    worker_run(
        interval=args.interval,
        once=args.once,
        heartbeat_every=timedelta(seconds=args.heartbeat),
        stale_after=timedelta(seconds=args.stale_after),
        parent_pid=os.getppid() if args.exit_with_parent else None,
    )
    return EXIT_OK


# --- serve ------------------------------------------------------------------------------------


class BackgroundWorker:
    """A ``vulndesk worker`` subprocess that is kept running until :meth:`stop`."""

    def __init__(self) -> None:
        self.command = [sys.executable, "-m", "vulndesk", "worker", "--exit-with-parent"]
        self.process: subprocess.Popen[bytes] | None = None
        self.started = 0.0
        self.stopping = False

    def start(self) -> None:
        """Start the worker process."""
        self.started = time.monotonic()
        # its own session: a Ctrl-C in the terminal must not reach it (see the module)
        self.process = subprocess.Popen(self.command, start_new_session=True)

    def keep_running(self) -> None:
        """Start the worker again if it died (not sooner than _RESTART_PAUSE after its start)."""
        if self.stopping or self.process is None or self.process.poll() is None:
            return
        if time.monotonic() - self.started < _RESTART_PAUSE:
            return
        print(
            f"vulndesk serve: the background worker stopped (exit {self.process.returncode});"
            " starting it again",
            file=sys.stderr,
        )
        self.start()

    def stop(self) -> None:
        """Stop the worker: one SIGTERM, a second after WORKER_GRACE, SIGKILL as the last word."""
        self.stopping = True
        process = self.process
        if process is None:
            return
        for sig, wait in ((signal.SIGTERM, WORKER_GRACE), (signal.SIGTERM, 5.0)):
            if process.poll() is not None:
                return
            process.send_signal(sig)
            try:
                process.wait(timeout=wait)
                return
            except subprocess.TimeoutExpired:
                continue
        process.kill()
        process.wait()


def _web_server(options: dict[str, Any], background: BackgroundWorker | None) -> Any:
    """Return the gunicorn application serving vulndesk with ``options`` (gunicorn settings)."""
    from gunicorn.app.base import BaseApplication
    from gunicorn.arbiter import Arbiter

    class VulndeskArbiter(Arbiter):  # type: ignore[misc]
        """gunicorn's master process, which also looks after the background worker."""

        def start(self) -> None:
            super().start()  # the socket is bound: a port in use stops us before the worker
            if background is not None:
                background.start()

        def manage_workers(self) -> None:
            super().manage_workers()
            if background is not None:
                background.keep_running()

    class VulndeskWebServer(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            for key, value in options.items():
                if key in self.cfg.settings:  # older gunicorns lack some settings
                    self.cfg.set(key, value)

        def load(self) -> Any:
            from vulndesk.server.wsgi import application

            return application

        def run(self) -> None:
            try:
                VulndeskArbiter(self).run()
            except RuntimeError as exc:  # what gunicorn's own run() does
                print(f"\nError: {exc}\n", file=sys.stderr)
                sys.exit(1)

    return VulndeskWebServer()


def default_web_workers() -> int:
    """Return how many web processes ``serve`` starts when not told: twice the CPUs plus one
    (gunicorn's advice), at most 9.

    Answering an API request is mostly Python, which holds the GIL: processes, not threads,
    use the CPUs. On 2 CPUs, 5 processes of 2 threads served the findings list at 20
    concurrent clients with a p99 of 118 ms where 3 processes of 4 threads took 210 ms
    (bench/README.md). The two threads let a process answer while another request waits on
    the database or a slow client.
    """
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return min(2 * (cpus or 1) + 1, 9)


def serve(args: argparse.Namespace) -> int:
    """Serve the web application with gunicorn and a background worker until stopped."""
    from django.db import connections

    # gunicorn forks its workers from this process: none may inherit a database connection
    connections.close_all()
    host = f"[{args.host}]" if ":" in args.host and not args.host.startswith("[") else args.host
    workers = args.workers or default_web_workers()
    options = {
        "bind": f"{host}:{args.port}",
        "workers": workers,
        "worker_class": "gthread",
        "threads": args.threads,
        # A process takes a connection only when it has a thread free for it, and closes it
        # after the response: a busy process never holds requests an idle one could answer.
        # With keep-alive, gunicorn's gthread workers accept connections greedily and keep
        # them, and the requests pinned to a busy process made the slowest tenth of findings
        # pages wait 2-3x the median (p99 207 ms vs 121 ms at 20 clients; bench/README.md).
        "worker_connections": args.threads,
        "keepalive": 0,
        # an SBOM upload is read while the request waits: give large ones time
        "timeout": 120,
        "graceful_timeout": 10,
        "accesslog": "-",
        "proc_name": "vulndesk",
        # gunicorn's control socket would be a file in the current directory; nothing uses it
        "control_socket_disable": True,
    }
    background = None if args.no_worker else BackgroundWorker()
    print(
        f"vulndesk serve: http://{host}:{args.port}/ with {workers} web processes"
        f" of {args.threads} threads"
        + ("" if background is None else " and a background worker")
        + " (Ctrl-C stops)",
        flush=True,
    )
    master = os.getpid()
    try:
        _web_server(options, background).run()
    finally:
        # gunicorn's workers are forks of this process and leave through here too
        if background is not None and os.getpid() == master:
            background.stop()
    return EXIT_OK


# --- createuser -------------------------------------------------------------------------------


def createuser(args: argparse.Namespace) -> int:
    """Create the user ``args.username``; raise InputError when that is not possible."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    user_model = get_user_model()
    username = args.username.strip()
    try:
        user_model.username_validator(username)
        if args.email:
            validate_email(args.email)
    except ValidationError as exc:
        raise InputError(f"{username!r}: {' '.join(exc.messages)}") from exc
    if user_model.objects.filter(username=username).exists():
        raise InputError(f"a user named {username!r} already exists")
    password = _password(args)
    try:
        validate_password(password, user_model(username=username, email=args.email))
    except ValidationError as exc:
        raise InputError(f"password refused: {' '.join(exc.messages)}") from exc
    from vulndesk.server.accounts.services import user_create

    user_create(username=username, email=args.email, password=password, superuser=args.superuser)
    print(f"created {'superuser' if args.superuser else 'user'} {username!r}")
    return EXIT_OK


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise InputError("no password on standard input (--password-stdin reads one line)")
        return password
    if not sys.stdin.isatty():
        raise InputError(
            "standard input is not a terminal: give the password with --password-stdin"
        )
    password = getpass.getpass("Password: ")
    if not password:
        raise InputError("the password must not be empty")
    if getpass.getpass("Password (again): ") != password:
        raise InputError("the passwords differ")
    return password
