"""``vulndesk feeds``: import files, sync sources online, show their state, and carry everything
into an air-gapped network as one bundle."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from vulndesk.cli.database import open_database
from vulndesk.cli.main import EXIT_INPUT, EXIT_OK
from vulndesk.core.errors import AdvisoryError


def run(args: argparse.Namespace) -> int:
    """Run a ``feeds`` action; return the exit code."""
    action = args.feeds_command
    if action == "import":
        return _import(args)
    open_database()
    if action == "sync":
        return _sync(args)
    if action == "status":
        return _status(args)
    if action in ("enable", "disable"):
        return _configure(args, enabled=action == "enable")
    if action == "export-bundle":
        return _export_bundle(args)
    if action == "import-bundle":
        return _import_bundle(args)
    raise AssertionError(f"unknown feeds action {action}")  # argparse allows no other


# --- import --------------------------------------------------------------------------------------


def _import(args: argparse.Namespace) -> int:
    """Run ``feeds import``; return the exit code."""
    paths = [Path(p) for p in args.paths]
    for path in paths:
        if not path.exists():
            raise AdvisoryError("no such file or directory", source=str(path))
    open_database()
    from django.db import transaction

    from vulndesk.server.advisories.services import feeds_import

    class _Refused(Exception):
        pass

    try:
        with transaction.atomic():
            outcome = feeds_import(paths=paths, format=args.format, actor_label="cli")
            if args.strict and outcome.problems:
                _print_problems(outcome.problems)
                raise _Refused
            _keep_snapshots(paths, args.format)
    except _Refused:
        print(
            f"vulndesk: error: {len(outcome.problems)} record(s) refused; --strict stored nothing",
            file=sys.stderr,
        )
        return EXIT_INPUT
    for note in outcome.notes:
        print(f"note: passed over {note.location}: {note.message}", file=sys.stderr)
    if not args.strict:
        _print_problems(outcome.problems)
    if not args.quiet:
        for kev in outcome.kev:
            print(f"KEV: {_describe(kev)}")
        for epss in outcome.epss:
            print(f"EPSS: {_describe(epss)}")
        if outcome.read or not (outcome.kev or outcome.epss):
            print(
                f"read {outcome.read} records: {outcome.created} new, {outcome.updated} updated, "
                f"{outcome.unchanged} unchanged, {outcome.skipped} skipped"
            )
        _print_rematch(outcome)
    if outcome.skipped and not args.strict:
        print(
            f"vulndesk: warning: {outcome.skipped} record(s) skipped (see above); "
            "the rest imported",
            file=sys.stderr,
        )
    return EXIT_OK


def _keep_snapshots(paths: list[Path], format: str | None) -> None:
    """Keep the KEV and EPSS files just imported, for ``export-bundle``."""
    from vulndesk.core.scoring.kev import read_kev
    from vulndesk.server.advisories.services import detect_format
    from vulndesk.server.feeds.storing import epss_rows, snapshot_store

    for path in paths:
        kind = format or (detect_format(path) if path.is_file() else None)
        if kind == "kev":
            records = len(read_kev(path).entries)
        elif kind == "epss":
            records = epss_rows(path)
        else:
            continue
        snapshot_store(kind, path.name, path.read_bytes(), records=records)


def _describe(outcome: Any) -> str:
    fields = [
        f"{name} {getattr(outcome, name)}"
        for name in ("read", "created", "updated", "removed", "unchanged", "scores", "skipped")
        if isinstance(getattr(outcome, name, None), int)
    ]
    return ", ".join(fields) or "imported"


def _print_rematch(outcome: Any) -> None:
    if getattr(outcome, "rematch_job_id", None) is not None:
        print(
            f"findings: re-match of {outcome.rematch_identities} component(s) in use queued "
            f"as job {outcome.rematch_job_id} (a running `vulndesk worker` or `vulndesk serve` "
            "does it)"
        )


def _print_problems(problems: list[Any]) -> None:
    for problem in problems:
        print(f"skipped {problem.location}: {problem.message}", file=sys.stderr)


# --- sync ----------------------------------------------------------------------------------------


def _sync(args: argparse.Namespace) -> int:
    """Run ``feeds sync``: each named (or, with --all, each enabled) source; several at once
    (``--jobs``; by default up to 4 on PostgreSQL, one at a time on SQLite, whose writers
    queue for one lock)."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection, connections
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    from vulndesk.server.feeds.models import FeedSource
    from vulndesk.server.feeds.services import (
        FeedSyncError,
        feed_source_get,
        feed_sync,
        stop_on_interrupt,
    )

    if args.all:
        names = list(FeedSource.objects.filter(enabled=True).values_list("name", flat=True))
        if not names:
            print("no source is enabled (vulndesk feeds enable SOURCE)", file=sys.stderr)
            return EXIT_OK
    elif args.sources:
        names = list(dict.fromkeys(args.sources))
    else:
        print("vulndesk: error: name a SOURCE, or --all for every enabled one", file=sys.stderr)
        return EXIT_INPUT
    sources = [feed_source_get(name=name) for name in names]
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[note]}"),
    )
    jobs = args.jobs or (1 if connection.vendor == "sqlite" else min(4, len(sources)))
    with (
        stop_on_interrupt() as should_stop,
        Progress(*columns, disable=args.quiet, transient=False) as bar,
    ):

        def sync_one(source: Any) -> str:
            """Sync one source; return ok, failed or stopped."""
            task = bar.add_task(source.name, total=None, note="")

            def progress(done: int, total: int | None, message: str) -> None:
                bar.update(task, completed=done, total=total, note=message[:60])

            try:
                outcome = feed_sync(
                    source=source,
                    actor_label="cli",
                    progress=progress,
                    base_url=args.base_url,
                    should_stop=should_stop,
                )
            except FeedSyncError as e:
                bar.update(task, note="failed")
                bar.console.print(f"[red]{source.name}: failed[/red]")
                print(f"vulndesk: error: {e}", file=sys.stderr)
                _summary(bar.console, source.name, e.outcome)
                return "failed"
            finally:
                if jobs > 1:
                    connections.close_all()  # this thread's own connection
            bar.update(task, note="stopped" if outcome.stopped else "done")
            _summary(bar.console, source.name, outcome)
            if outcome.stopped:
                print(
                    f"{source.name}: stopped after batch {outcome.batches}; the next sync "
                    "continues from there",
                    file=sys.stderr,
                )
                return "stopped"
            return "ok"

        if jobs > 1:
            # Sources are independent (each has its own client, rate limit and cursor), so
            # several sync at once; each keeps to its own source's published rate.
            with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="feed-sync") as pool:
                results = list(pool.map(sync_one, sources))
        else:
            results = []
            for source in sources:
                results.append(sync_one(source))
                if results[-1] == "stopped" or should_stop():
                    break
    if "stopped" in results:
        return 130
    failed = results.count("failed")
    return EXIT_INPUT if failed else EXIT_OK


def _summary(console: Any, name: str, outcome: Any) -> None:
    counts = outcome.counts
    console.print(
        f"{name}: {outcome.batches} batch(es), {counts.read} read: {counts.created} new, "
        f"{counts.updated} updated, {counts.unchanged} unchanged, {len(counts.problems)} "
        "skipped",
        highlight=False,
    )
    for problem in counts.problems[:20]:
        print(f"skipped {problem}", file=sys.stderr)


# --- status --------------------------------------------------------------------------------------


def _age(delta: timedelta | None) -> str:
    if delta is None:
        return "never"
    seconds = int(delta.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit} ago"
    return f"{seconds} s ago"


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value is not None else "-"


def _status(args: argparse.Namespace) -> int:
    """Run ``feeds status``: every source's freshness, counts and last error."""
    from vulndesk.server.feeds.selectors import feed_statuses

    statuses = feed_statuses()
    if args.format == "json":
        print(orjson.dumps([s.as_dict() for s in statuses], option=orjson.OPT_INDENT_2).decode())
        return EXIT_OK
    from rich.console import Console
    from rich.table import Table

    table = Table(box=None, pad_edge=False)
    for column in ("source", "enabled", "records", "last success", "next run", "last error"):
        table.add_column(column, overflow="fold")
    for status in statuses:
        source = status.source
        table.add_row(
            source.name,
            "yes" if source.enabled else "no",
            str(status.records),
            _age(status.age) + (" (running)" if status.running else ""),
            _when(status.next_run_at) if source.enabled else "-",
            (source.last_error[:120] or "-"),
        )
    Console(soft_wrap=False).print(table)
    return EXIT_OK


# --- enable / disable ----------------------------------------------------------------------------


def _configure(args: argparse.Namespace, *, enabled: bool) -> int:
    """Run ``feeds enable`` or ``feeds disable``."""
    from vulndesk.server.feeds.services import feed_source_configure

    settings: dict[str, Any] = {}
    if enabled:
        if args.url:
            settings["url"] = args.url
        if args.trusted_key:
            settings["trusted_keys"] = [str(Path(k).resolve()) for k in args.trusted_key]
        if args.signature_policy:
            settings["signature_policy"] = args.signature_policy
        if args.api_key_env:
            settings["api_key_env"] = args.api_key_env
        if args.jvn_details:
            settings["details"] = args.jvn_details
    interval = None
    if enabled and args.interval:
        interval = timedelta(minutes=args.interval)
    source = feed_source_configure(
        name=args.source,
        enabled=enabled,
        settings=settings or None,
        interval=interval,
        actor_label="cli",
    )
    state = "enabled" if source.enabled else "disabled"
    every = int(source.interval.total_seconds() // 60)
    print(f"{source.name}: {state} (synced every {every} min by a running worker)")
    return EXIT_OK


# --- bundles -------------------------------------------------------------------------------------


def _export_bundle(args: argparse.Namespace) -> int:
    """Run ``feeds export-bundle``."""
    from vulndesk.server.feeds.bundles import bundle_export

    result = bundle_export(path=Path(args.file), sign_key=args.sign_key, actor_label="cli")
    for member in result.members:
        print(f"{member['name']}: {member['records']} record(s), {member['size']} bytes")
    print(f"wrote {result.path}" + (" (signed)" if result.signed else ""))
    return EXIT_OK


def _import_bundle(args: argparse.Namespace) -> int:
    """Run ``feeds import-bundle``."""
    from vulndesk.server.feeds.bundles import bundle_import

    path = Path(args.file)
    if not path.is_file():
        raise AdvisoryError("no such file", source=str(path))
    keys = [Path(k) for k in args.trusted_key or []]
    result = bundle_import(path=path, trusted_keys=keys, actor_label="cli")
    if result.signature == "verified":
        print(f"signature: verified (key {result.signer})")
    elif result.signature == "unchecked":
        print(
            "signature: present but not checked (no trusted key: --trusted-key or "
            "VULNDESK_BUNDLE_TRUSTED_KEYS)",
            file=sys.stderr,
        )
    for name, counts in result.counts.items():
        print(
            f"{name}: {counts.read} read: {counts.created} new, {counts.updated} updated, "
            f"{counts.unchanged} unchanged, {len(counts.problems)} skipped"
        )
    return EXIT_OK
