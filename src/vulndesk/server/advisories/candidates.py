"""Finding the advisories a scan must evaluate, with plain SQL on any DB-API connection.

Used by the command line's scan without Django (``rawdb``) and by the server through Django's
connection, so both read the same rows the same way. Table names are those of the Django models
in ``models.py`` (app label ``advisories``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import orjson

from vulndesk.core.advisories.model import Advisory
from vulndesk.core.advisories.osv import parse_stored_osv
from vulndesk.core.ids.aliases import AliasGroups
from vulndesk.server.rawdb import RawDatabase

# Far below SQLite's 32,766 bound parameters and PostgreSQL's 65,535.
_CHUNK = 900

# Withdrawn records are skipped in Python, not with ``WHERE withdrawn IS NULL``: without table
# statistics SQLite then plans the query on the ``withdrawn`` index (it guesses ``IS NULL`` is
# selective; nearly every row matches) and reads the whole table instead of looking up each id by
# primary key: 11-16 ms per chunk of 900 ids instead of 0.3-3 ms.


def fetch_candidates(
    db: RawDatabase, keys: Iterable[tuple[str, str]]
) -> tuple[list[Advisory], AliasGroups]:
    """Return the live (not withdrawn) advisories naming any (ecosystem, lookup name) in ``keys``,
    parsed from their stored text, and the whole stored alias groups they belong to (every record
    sharing a candidate's ``group_key``, so ids known only through other sources are included)."""
    wanted = set(keys)
    rows = _select_in(
        db,
        "SELECT ecosystem, name, advisory_id FROM advisories_affectedpackage",
        "name",
        {name for _, name in wanted},
    )
    ids = {advisory_id for eco, name, advisory_id in rows if (eco, name) in wanted}
    records: list[Advisory] = []
    group_keys: set[str] = set()
    rows = _select_in(
        db, "SELECT match, group_key, source, withdrawn FROM advisories_advisory", "id", ids
    )
    for raw, group_key, source, withdrawn in rows:
        if withdrawn is None:
            records.append(parse_stored_osv(orjson.loads(raw), source=source))
            group_keys.add(group_key)
    groups = AliasGroups()
    rows = _select_in(db, "SELECT id, aliases FROM advisories_advisory", "group_key", group_keys)
    for advisory_id, aliases in rows:
        groups.add(advisory_id, _json_list(aliases))
    return records, groups


def fetch_records(db: RawDatabase, ids: Iterable[str]) -> list[Advisory]:
    """Return the stored, live records whose id is in ``ids``, parsed from their text."""
    rows = _select_in(db, "SELECT match, source, withdrawn FROM advisories_advisory", "id", ids)
    return [
        parse_stored_osv(orjson.loads(raw), source=source)
        for raw, source, withdrawn in rows
        if withdrawn is None
    ]


def _select_in(
    db: RawDatabase, select: str, column: str, values: Iterable[str]
) -> Iterator[tuple[Any, ...]]:
    """Yield the rows of ``select WHERE column IN values``, in chunks of bound parameters."""
    ordered = sorted(set(values))
    for start in range(0, len(ordered), _CHUNK):
        chunk = ordered[start : start + _CHUNK]
        yield from db.query(f"{select} WHERE {column} IN ({', '.join(['%s'] * len(chunk))})", chunk)


def _json_list(value: object) -> list[str]:
    """Return a JSON column's list: text on SQLite, already decoded by psycopg on PostgreSQL."""
    if isinstance(value, str | bytes):
        value = orjson.loads(value)
    return [str(v) for v in value] if isinstance(value, list) else []
