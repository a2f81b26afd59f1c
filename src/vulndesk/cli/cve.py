"""``vulndesk cve lint FILE...``: check CVE JSON 5 records against the CNA rules before publishing.

Each FILE is a full CVE record, a publish request body (``{"cnaContainer": {...}}``) or a bare
CNA container; ``-`` reads standard input. Findings are printed per file as text (one line each:
severity, JSON path, message, rule) or as JSON (``--format json``). Exit codes: 0 when every file
is clean or has warnings only, 1 when any file has an error, 2 when a file cannot be read or is
not JSON (the message names the file, and the line and column of bad JSON); the other files are
still checked.

Nothing here needs a database: Django is never imported.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

EXIT_CLEAN = 0
EXIT_ERRORS = 1
EXIT_UNREADABLE = 2


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``cve`` command to ``commands``."""
    cve = commands.add_parser(
        "cve",
        help="CVE records: lint them before publishing",
        description="Work with CVE JSON 5 records as a CNA publishes them.",
    )
    actions = cve.add_subparsers(dest="cve_command", metavar="ACTION", required=True)
    lint = actions.add_parser(
        "lint",
        help="check CVE JSON 5 records against the CNA rules and the schema",
        description='Check each FILE (a CVE JSON 5 record, a {"cnaContainer": ...} publish '
        "body or a bare CNA container; - for standard input): an affected product, a problem "
        "type (CWE recommended), an English description without credits or placeholders, a "
        "public reference, well-formed ids, version ranges and CVSS vectors, and the schema's "
        "shape. Exit 0: clean or warnings only; 1: errors; 2: a file unreadable or not JSON.",
    )
    lint.add_argument("files", nargs="+", metavar="FILE")
    lint.add_argument("--format", "-f", choices=("text", "json"), default="text")


def run(args: argparse.Namespace) -> int:
    """Run the ``cve`` command; return the exit code."""
    return _lint(args.files, args.format)


def _read(name: str) -> object:
    """Return the JSON in file ``name`` (``-``: standard input); raise _Unreadable otherwise."""
    import orjson

    try:
        data = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
    except OSError as e:
        raise _Unreadable(f"{name}: cannot read: {e.strerror or e}") from e
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as e:
        raise _Unreadable(f"{name}:{e.lineno}:{e.colno}: not JSON: {e.msg}") from e


class _Unreadable(Exception):
    """A file that could not be read or parsed; the message says which and where."""


def _lint(names: list[str], output: str) -> int:
    import orjson

    from vulndesk.core.cve.lint import lint_document

    exit_code = EXIT_CLEAN
    reports: list[dict[str, Any]] = []
    for name in names:
        try:
            document = _read(name)
        except _Unreadable as e:
            print(f"vulndesk: error: {e}", file=sys.stderr)
            reports.append({"file": name, "error": str(e)})
            exit_code = EXIT_UNREADABLE
            continue
        findings = lint_document(document)
        errors = sum(1 for f in findings if f.severity == "error")
        if errors and exit_code == EXIT_CLEAN:
            exit_code = EXIT_ERRORS
        reports.append(
            {
                "file": name,
                "errors": errors,
                "warnings": len(findings) - errors,
                "findings": [asdict(f) for f in findings],
            }
        )
        if output == "text":
            print(_summary(name, errors, len(findings) - errors))
            for finding in findings:
                print(f"  {finding}")
    if output == "json":
        sys.stdout.write(orjson.dumps({"files": reports}, option=orjson.OPT_INDENT_2).decode())
        sys.stdout.write("\n")
    return exit_code


def _summary(name: str, errors: int, warnings: int) -> str:
    if not errors and not warnings:
        return f"{name}: clean"
    parts = [f"{errors} error{'s' if errors != 1 else ''}"] if errors else []
    if warnings:
        parts.append(f"{warnings} warning{'s' if warnings != 1 else ''}")
    return f"{name}: {', '.join(parts)}"
