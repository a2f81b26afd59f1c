"""Test set-up shared by the whole suite.

The database under test is whatever ``VULNDESK_DATABASE_URL`` names (scripts/test runs the suite
on SQLite, then the ``db`` tests again on PostgreSQL). Tests that touch a database are marked
``db`` automatically. Command-line tests run the real ``vulndesk`` in a subprocess against a
fresh database of the same backend (``cli`` fixture).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from support import SHARED_DATA, shared_data  # noqa: F401 - re-exported for tests

_DB_FIXTURES = {
    "db", "transactional_db", "django_db_setup", "cli", "cli_database_url", "cli_empty",
}  # fmt: skip


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if item.get_closest_marker("django_db") or fixtures & _DB_FIXTURES:
            item.add_marker(pytest.mark.db)


def _is_postgres(url: str) -> bool:
    return url.startswith(("postgres://", "postgresql://", "pgsql://"))


@contextmanager
def _database(template: str | None = None) -> Iterator[str]:
    """Yield the URL of a new PostgreSQL database (a copy of ``template`` when given) on the
    server under test; drop it afterwards."""
    import psycopg

    base = os.environ["VULNDESK_DATABASE_URL"]
    admin = base.rsplit("/", 1)[0] + "/postgres"
    name = f"vulndesk_cli_{secrets.token_hex(6)}"
    copy = f' TEMPLATE "{template}"' if template else ""
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"{copy}')
    try:
        yield base.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def cli_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Yield the URL of a database migrated once per test process, which each ``cli`` database
    starts as a copy of: migrating a new database for each command-line test took ~3 s apiece,
    a minute and a half of the suite on each backend."""
    folder = tmp_path_factory.mktemp("cli-template")
    with contextlib.ExitStack() as stack:
        if _is_postgres(os.environ.get("VULNDESK_DATABASE_URL", "")):
            url = stack.enter_context(_database())
        else:
            url = f"sqlite:///{folder / 'template.sqlite3'}"
        Cli(url, folder)("migrate").check()
        yield url


@pytest.fixture
def cli_database_url(tmp_path: Path, cli_template: str) -> Iterator[str]:
    """Yield the URL of a new database of the backend under test with the current schema (a
    copy of ``cli_template``); drop it afterwards."""
    if not _is_postgres(cli_template):
        copy = tmp_path / "cli.sqlite3"
        shutil.copyfile(cli_template.removeprefix("sqlite:///"), copy)
        yield f"sqlite:///{copy}"
        return
    with _database(template=cli_template.rsplit("/", 1)[1]) as url:
        yield url


@pytest.fixture
def cli_empty_database_url(tmp_path: Path) -> Iterator[str]:
    """Yield the URL of a new, empty database (no schema) of the backend under test."""
    if not _is_postgres(os.environ.get("VULNDESK_DATABASE_URL", "")):
        yield f"sqlite:///{tmp_path / 'cli.sqlite3'}"
        return
    with _database() as url:
        yield url


@dataclass
class CliResult:
    returncode: int
    stdout: str
    stderr: str

    def check(self) -> None:
        """Raise if the command failed, with what it printed."""
        if self.returncode != 0:
            raise AssertionError(f"exit {self.returncode}: {self.stderr or self.stdout}")


@dataclass
class Cli:
    """Runs the real ``vulndesk`` command in a subprocess against one test database."""

    database_url: str
    home: Path

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("VULNDESK_")}
        env.update(VULNDESK_DATABASE_URL=self.database_url, VULNDESK_HOME=str(self.home))
        # tables are as wide as the terminal says (COLUMNS); one width, whoever runs the tests
        env["COLUMNS"] = "160"
        return env

    def __call__(self, *args: str | Path, timeout: float = 300) -> CliResult:
        proc = subprocess.run(
            [sys.executable, "-m", "vulndesk", *map(str, args)],
            capture_output=True,
            text=True,
            env=self.env(),
            timeout=timeout,
            check=False,
        )
        return CliResult(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def cli(cli_database_url: str, tmp_path: Path) -> Cli:
    """Return a runner for the ``vulndesk`` command on a fresh database with the schema."""
    home = tmp_path / "home"
    home.mkdir()
    return Cli(cli_database_url, home)


@pytest.fixture
def cli_empty(cli_empty_database_url: str, tmp_path: Path) -> Cli:
    """Return a runner for the ``vulndesk`` command on a new database without any schema (the
    first use creates it)."""
    home = tmp_path / "home"
    home.mkdir()
    return Cli(cli_empty_database_url, home)


# Property tests run the same examples on every machine, so CI never flakes on a lucky draw;
# HYPOTHESIS_PROFILE=explore draws new examples locally.
from hypothesis import settings as _hypothesis_settings  # noqa: E402

_hypothesis_settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
_hypothesis_settings.register_profile("explore", deadline=None)
_hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
