"""A DB-API connection to vulndesk's database without Django, for the command line's fast paths.

Only reads go through here (the scan's candidate lookup); every write goes through Django
services. See docs/architecture.md, "The scan fast path", for the measurements behind it.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from vulndesk.core.errors import VulndeskError


class DatabaseUrlError(VulndeskError):
    """``VULNDESK_DATABASE_URL`` names no database we can open."""


@dataclass
class RawDatabase:
    """An open connection and the parameter placeholder its driver uses."""

    connection: Any
    placeholder: str
    vendor: str  # "sqlite" | "postgresql"

    def query(self, sql: str, params: list[Any] | tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Run a read-only query written with ``%s`` placeholders and return all rows."""
        cursor = self.connection.cursor()
        try:
            cursor.execute(sql.replace("%s", self.placeholder), params)
            return list(cursor.fetchall())
        finally:
            cursor.close()

    def close(self) -> None:
        """Close the connection."""
        self.connection.close()


def connect(url: str) -> RawDatabase:
    """Open ``url`` (``sqlite:///path`` or ``postgres://...``) for reading."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme in {"sqlite", "sqlite3"}:
        # sqlite:////abs/path -> /abs/path; sqlite:///rel -> rel (as dj-database-url reads it)
        path = unquote(url.split("://", 1)[1])
        path = path[1:] if path.startswith("/") else path
        if not path or path == ":memory:":
            raise DatabaseUrlError(f"no database file in {url!r}")
        try:
            conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
        except sqlite3.OperationalError:
            # Not created yet: the caller migrates through Django, which creates it.
            conn = sqlite3.connect(":memory:")
        return RawDatabase(conn, "?", "sqlite")
    if scheme in {"postgres", "postgresql", "pgsql"}:
        import psycopg

        try:
            conn = psycopg.connect(url.replace("pgsql://", "postgresql://", 1), autocommit=True)
        except psycopg.Error as exc:
            raise DatabaseUrlError(f"cannot connect to {parts.hostname}: {exc}") from exc
        return RawDatabase(conn, "%s", "postgresql")
    raise DatabaseUrlError(
        f"unsupported database URL scheme {scheme!r} in VULNDESK_DATABASE_URL "
        "(expected sqlite:/// or postgres://)"
    )
