"""Shared by the portfolio benchmark's modules: paths, targets and the progress log."""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
PYPI_ZIP = SHARED / "osv/PyPI/all.zip"
POSTGRES = "postgresql://postgres@127.0.0.1:5432"
PYTHON = str(ROOT / ".venv/bin/python") if (ROOT / ".venv/bin/python").exists() else sys.executable

TARGET_LIST_P95_MS = 150.0
TARGET_ADVISORY_S = 2.0
TARGET_REMATCH_S = 120.0
# DependencyTrack issue #6057: 2,000 projects x 200 components analysed in 22 hours
DT_COMPONENTS = 2_000 * 200
DT_SECONDS = 22 * 3600


def log(message: str) -> None:
    """Print a progress line (stderr, with the elapsed time) so a long run shows where it is."""
    print(f"[{time.perf_counter() - _STARTED:7.1f}s] {message}", file=sys.stderr, flush=True)


_STARTED = time.perf_counter()


def verdict(ok: bool | None) -> str:
    """Return the table's word for a target: PASS, FAIL, or n/a when it was not measured."""
    return "n/a" if ok is None else ("PASS" if ok else "FAIL")
