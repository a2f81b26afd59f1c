"""Opening the database for a command: Django set-up plus the schema on first use."""

from __future__ import annotations


def open_database() -> None:
    """Set up Django and create or migrate the schema if this database is new or older."""
    from vulndesk.server.bootstrap import ensure_schema, setup

    setup()
    ensure_schema()
