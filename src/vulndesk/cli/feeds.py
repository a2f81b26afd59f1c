"""``vulndesk feeds``: importing vulnerability records."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from vulndesk.cli.database import open_database
from vulndesk.cli.main import EXIT_INPUT, EXIT_OK
from vulndesk.core.errors import AdvisoryError


def run(args: argparse.Namespace) -> int:
    """Run ``feeds import``; return the exit code."""
    paths = [Path(p) for p in args.paths]
    for path in paths:
        if not path.exists():
            raise AdvisoryError("no such file or directory", source=str(path))
    open_database()
    from vulndesk.server.advisories.services import feeds_import

    if args.strict:
        return _strict_import(paths)
    outcome = feeds_import(paths=paths, actor_label="cli")
    for note in outcome.notes:
        print(f"note: passed over {note.location}: {note.message}", file=sys.stderr)
    _print_problems(outcome.problems)
    if not args.quiet:
        print(
            f"read {outcome.read} records: {outcome.created} new, {outcome.updated} updated, "
            f"{outcome.unchanged} unchanged, {outcome.skipped} skipped"
        )
        _print_rematch(outcome)
    if outcome.skipped:
        print(
            f"vulndesk: warning: {outcome.skipped} record(s) skipped (see above); "
            "the rest imported",
            file=sys.stderr,
        )
    return EXIT_OK


def _strict_import(paths: list[Path]) -> int:
    from django.db import transaction

    from vulndesk.server.advisories.services import feeds_import

    class _Refused(Exception):
        pass

    try:
        with transaction.atomic():
            outcome = feeds_import(paths=paths, actor_label="cli")
            if outcome.problems:
                _print_problems(outcome.problems)
                raise _Refused
    except _Refused:
        print(
            f"vulndesk: error: {len(outcome.problems)} record(s) refused; --strict stored nothing",
            file=sys.stderr,
        )
        return EXIT_INPUT
    print(
        f"read {outcome.read} records: {outcome.created} new, {outcome.updated} updated, "
        f"{outcome.unchanged} unchanged"
    )
    _print_rematch(outcome)
    return EXIT_OK


def _print_rematch(outcome) -> None:  # type: ignore[no-untyped-def]
    if outcome.rematch_job_id is not None:
        print(
            f"findings: re-match of {outcome.rematch_identities} component(s) in use queued "
            f"as job {outcome.rematch_job_id} (a running `vulndesk worker` or `vulndesk serve` "
            "does it)"
        )


def _print_problems(problems: list) -> None:  # type: ignore[type-arg]
    for problem in problems:
        print(f"skipped {problem.location}: {problem.message}", file=sys.stderr)
