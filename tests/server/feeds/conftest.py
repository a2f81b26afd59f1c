"""Fixtures of the feeds tests: a private VULNDESK_HOME (downloads go there) and loopback
servers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from core.feeds.loopback import RecordedServer


@pytest.fixture(autouse=True)
def feeds_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("VULNDESK_HOME", str(home))
    return home


@pytest.fixture
def server() -> Iterator[RecordedServer]:
    with RecordedServer() as recorded:
        yield recorded
