"""``vulndesk csaf validate FILE...``: check CSAF 2.0 documents (schema and mandatory tests).

Exit 0 when every file is valid, 1 when one is not, 2 when one cannot be read at all (missing,
not JSON, over the size limit): a file that is not even JSON has no CSAF validity to report, and
a script must be able to tell "fix the document" from "wrong file". Nothing here imports Django:
validation is :mod:`vulndesk.core.csafdoc` only.
"""

from __future__ import annotations

import argparse
import os
import stat
import sys
from pathlib import Path
from typing import Any

import orjson

from vulndesk.core.csafdoc import IMPLEMENTED_TESTS, ValidationResult, validate_document

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_INPUT = 2

#: documents larger than this are refused unread: a real CSAF advisory is well under 5 MB
MAX_BYTES = 50 * 1024 * 1024


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``csaf`` command to ``commands``."""
    csaf = commands.add_parser("csaf", help="CSAF 2.0 documents: validate them").add_subparsers(
        dest="csaf_command", metavar="ACTION", required=True
    )
    validate = csaf.add_parser(
        "validate",
        help="check CSAF 2.0 documents against the schema and the mandatory tests",
        description="Check each FILE against the CSAF 2.0 JSON schema and the standard's "
        f"mandatory tests (implemented: {', '.join(IMPLEMENTED_TESTS)}). Each failure is "
        "reported with its test id and JSON path. Exit 0: all valid; 1: one is invalid; 2: one "
        f"cannot be read (missing, not JSON, over {MAX_BYTES // (1024 * 1024)} MB).",
    )
    validate.add_argument("files", nargs="+", metavar="FILE")
    validate.add_argument("--format", "-f", choices=["text", "json"], default="text")


def run(args: argparse.Namespace) -> int:
    """Run the ``csaf`` command; return the exit code."""
    reports = [_validate_file(Path(name)) for name in args.files]
    if args.format == "json":
        _print_json(reports)
    else:
        _print_text(reports)
    if any("error" in r for r in reports):
        return EXIT_INPUT
    if any(r["failures"] for r in reports):
        return EXIT_INVALID
    return EXIT_OK


def _validate_file(path: Path) -> dict[str, Any]:
    """Return the report of one file: its failures, or the reason it could not be read."""
    too_large = {
        "file": str(path),
        "error": f"larger than {MAX_BYTES // (1024 * 1024)} MB, not read (a CSAF document "
        "this large is not a real advisory)",
    }
    try:
        with path.open("rb") as f:
            info = os.fstat(f.fileno())
            if stat.S_ISREG(info.st_mode) and info.st_size > MAX_BYTES:
                return too_large
            # A pipe or a device has no size to trust: read one byte more than allowed to tell
            # "at the limit" from "over it".
            data = f.read(MAX_BYTES + 1)
    except OSError as e:
        return {"file": str(path), "error": f"cannot read: {e.strerror or e}"}
    if len(data) > MAX_BYTES:
        return too_large
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as e:
        reason = e.msg
        if "depth limit" in reason:
            reason = "nested deeper than 1024 levels, which no CSAF document needs"
        return {
            "file": str(path),
            "error": f"not valid JSON at line {e.lineno}, column {e.colno}: {reason}",
        }
    result = validate_document(doc)
    return _report(path, result)


def _report(path: Path, result: ValidationResult) -> dict[str, Any]:
    return {
        "file": str(path),
        "valid": result.valid,
        "tests_run": list(result.tests_run),
        "tests_skipped": list(result.tests_skipped),
        "failures": [
            {"test_id": f.test_id, "path": f.path, "message": f.message} for f in result.failures
        ],
    }


def _print_json(reports: list[dict[str, Any]]) -> None:
    sys.stdout.buffer.write(
        orjson.dumps({"files": reports, "summary": _summary(reports)}, option=orjson.OPT_INDENT_2)
        + b"\n"
    )
    sys.stdout.flush()


def _print_text(reports: list[dict[str, Any]]) -> None:
    for report in reports:
        name = report["file"]
        if "error" in report:
            print(f"{name}: error: {report['error']}", file=sys.stderr)
            continue
        for failure in report["failures"]:
            print(f"{name}: {failure['test_id']} {failure['path']}: {failure['message']}")
        if report["valid"]:
            print(f"{name}: valid ({len(report['tests_run'])} tests)")
    summary = _summary(reports)
    print(
        f"{summary['files']} file(s): {summary['valid']} valid, {summary['invalid']} invalid "
        f"({summary['failures']} failure(s)), {summary['unreadable']} unreadable"
    )


def _summary(reports: list[dict[str, Any]]) -> dict[str, int]:
    read = [r for r in reports if "error" not in r]
    return {
        "files": len(reports),
        "valid": sum(1 for r in read if r["valid"]),
        "invalid": sum(1 for r in read if not r["valid"]),
        "failures": sum(len(r["failures"]) for r in read),
        "unreadable": len(reports) - len(read),
    }
