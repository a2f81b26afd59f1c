"""``vulndesk migrate``, ``serve`` and ``worker``: running the server side."""

from __future__ import annotations

import argparse

from vulndesk.cli.main import EXIT_OK


def run(args: argparse.Namespace) -> int:
    """Run one of the server commands; return the exit code."""
    from vulndesk.server.bootstrap import ensure_schema, setup

    setup()
    ran = ensure_schema(verbosity=1 if getattr(args, "verbose", False) else 0)
    if args.command == "migrate":
        print("schema migrated" if ran else "schema already up to date")
        return EXIT_OK

    from django.core.management import call_command

    if args.command == "serve":
        call_command("runserver", f"{args.host}:{args.port}", use_reloader=False)
        return EXIT_OK
    # django-tasks-db's worker claims jobs with SELECT ... FOR UPDATE SKIP LOCKED on PostgreSQL.
    options = {"batch": True} if args.once else {}
    call_command("db_worker", **options)
    return EXIT_OK
