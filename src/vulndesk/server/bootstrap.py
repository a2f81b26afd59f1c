"""Starting Django from the command line, and creating or migrating the schema on first use.

Checking for unapplied migrations the Django way loads every migration module (tens of
milliseconds); a scan must start in far less. So the schema carries a stamp: a fingerprint of the
Django version and the migration files on disk. Only when it differs do we run ``migrate``.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
from functools import cache
from pathlib import Path

from vulndesk.server.config import INSTALLED_APPS, database_url
from vulndesk.server.rawdb import RawDatabase, connect

STAMP_TABLE = "vulndesk_schema_stamp"
# An arbitrary constant: PostgreSQL advisory lock id so that two processes never migrate at once.
_PG_MIGRATE_LOCK = 0x76756C6E


def setup() -> None:
    """Configure Django with vulndesk's settings (idempotent)."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vulndesk.server.settings")
    django.setup()


@cache  # the migration files do not change while a process runs
def schema_fingerprint() -> str:
    """Return a digest of the Django version and every installed app's migration file names.

    Nothing is imported, not even Django (importing it costs a scan ~4 ms, for its subprocess
    and git helpers): its version is ``django/__init__.py`` itself, whose ``VERSION`` line every
    release changes, and each app's folder is found from its top-level package
    (:func:`_package_folder`).
    """
    django_folder = _package_folder("django")
    if django_folder is None:
        raise ImportError("Django is not installed", name="django")
    digest = hashlib.sha256((django_folder / "__init__.py").read_bytes())
    for app in sorted(INSTALLED_APPS):
        app_folder = _package_folder(app)
        if app_folder is None:
            continue
        folder = app_folder / "migrations"
        try:
            names = sorted(p.name for p in os.scandir(folder) if p.name.endswith(".py"))
        except FileNotFoundError:
            continue
        digest.update(app.encode())
        digest.update("\0".join(names).encode())
    return digest.hexdigest()


def _package_folder(name: str) -> Path | None:
    """Return the folder of package ``name`` (dotted), or None when its top level is not found.

    ``importlib.util.find_spec("django.contrib.auth")`` would import ``django`` and
    ``django.contrib`` to search them; only the top-level name is looked up here, and the rest
    of the name is a path below it (apps are regular packages).
    """
    top, _, rest = name.partition(".")
    spec = importlib.util.find_spec(top)
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations)))
    return folder.joinpath(*rest.split(".")) if rest else folder


def stamp_of(db: RawDatabase) -> str | None:
    """Return the schema stamp stored in ``db``, or None when there is none (a new database)."""
    try:
        rows = db.query(f"SELECT fingerprint FROM {STAMP_TABLE}")
    except Exception:  # noqa: BLE001 - any driver's "no such table" means: not migrated yet
        if db.vendor == "postgresql":
            db.connection.rollback()
        return None
    return rows[0][0] if rows else None


def schema_is_current() -> bool:
    """Return whether the database has the schema this code expects (without Django set-up)."""
    db = connect(database_url())
    try:
        return stamp_of(db) == schema_fingerprint()
    finally:
        db.close()


def _read_stamp() -> str | None:
    from django.db import connection

    placeholder = "?" if connection.vendor == "sqlite" else "%s"
    return stamp_of(RawDatabase(connection.connection, placeholder, connection.vendor))


def ensure_schema(*, verbosity: int = 0) -> bool:
    """Create or migrate the database schema when needed; return whether migrations ran."""
    from django.core.management import call_command
    from django.db import connection, transaction

    wanted = schema_fingerprint()
    connection.ensure_connection()
    if _read_stamp() == wanted:
        return False
    postgres = connection.vendor == "postgresql"
    if postgres:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [_PG_MIGRATE_LOCK])
    try:
        call_command("migrate", interactive=False, verbosity=verbosity)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {STAMP_TABLE} (fingerprint varchar(64) NOT NULL)"
            )
            cursor.execute(f"DELETE FROM {STAMP_TABLE}")
            cursor.execute(f"INSERT INTO {STAMP_TABLE} (fingerprint) VALUES (%s)", [wanted])
    finally:
        if postgres:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [_PG_MIGRATE_LOCK])
    return True
