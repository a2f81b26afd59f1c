"""Paths and helpers shared by tests (importable as ``support``: tests/ is on pythonpath)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
FIXTURES = ROOT / "tests" / "fixtures"


def shared_data(relative: str) -> Path:
    """Return a path under ../shared/data, skipping the test when it is not there."""
    path = SHARED_DATA / relative
    if not path.exists():
        pytest.skip(
            f"../shared/data/{relative} is absent (the shared real-data folder is not here)"
        )
    return path
