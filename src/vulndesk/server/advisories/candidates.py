"""Finding the advisories a scan must evaluate, with plain SQL on any DB-API connection.

Used by the command line's scan without Django (``rawdb``) and by the server through Django's
connection, so both read the same rows the same way. Table names are those of the Django models
in ``models.py`` (app label ``advisories``).
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Iterator
from typing import Any

import orjson

from vulndesk.core.advisories.model import Advisory
from vulndesk.core.advisories.osv import parse_stored_osv
from vulndesk.core.advisories.stored import advisory_from_stored
from vulndesk.core.ids.aliases import AliasGroups
from vulndesk.server.rawdb import RawDatabase

# Far below SQLite's 32,766 bound parameters and PostgreSQL's 65,535.
_CHUNK = 900

# Withdrawn (and rejected) records are skipped in Python, not with ``WHERE withdrawn IS NULL``:
# without table statistics SQLite then plans the query on the ``withdrawn`` index (it guesses
# ``IS NULL`` is selective; nearly every row matches) and reads the whole table instead of looking
# up each id by primary key: 11-16 ms per chunk of 900 ids instead of 0.3-3 ms.


def fetch_candidates(
    db: RawDatabase, keys: Iterable[tuple[str, str]]
) -> tuple[list[Advisory], AliasGroups]:
    """Return the live (neither withdrawn nor rejected) advisories of any source filed under any
    lookup key in ``keys``, parsed from their stored form, and the whole stored alias groups they
    belong to (every record sharing a candidate's ``group_key``, so ids known only through other
    sources are included). Groups are over record ids: NVD's and the CVE List's CVE-X are one
    id."""
    records, groups = fetch_stored_candidates(db, keys)
    return list(records.values()), groups


def fetch_stored_candidates(
    db: RawDatabase, keys: Iterable[tuple[str, str]]
) -> tuple[dict[str, Advisory], AliasGroups]:
    """Return what ``fetch_candidates`` returns, the advisories by storage key."""
    wanted = set(keys)
    rows = _select_in(
        db,
        "SELECT ecosystem, name, advisory_id FROM advisories_affectedpackage",
        "name",
        {name for _, name in wanted},
    )
    ids = {advisory_id for eco, name, advisory_id in rows if (eco, name) in wanted}
    records: dict[str, Advisory] = {}
    group_keys: set[str] = set()
    rows = _select_in(db, f"SELECT id, group_key, {_RECORD} FROM advisories_advisory", "id", ids)
    for key, group_key, *record in rows:
        advisory = _parse(*record)
        if advisory is not None:
            records[key] = advisory
            group_keys.add(group_key)
    groups = AliasGroups()
    rows = _select_in(
        db, "SELECT record_id, aliases FROM advisories_advisory", "group_key", group_keys
    )
    for record_id, aliases in rows:
        groups.add(record_id, _json_list(aliases))
    return records, groups


def fetch_records(
    db: RawDatabase, ids: Iterable[str], *, known: Container[str] = frozenset()
) -> list[Advisory]:
    """Return the stored, live records of every source whose record id is in ``ids``, parsed
    from their stored form, leaving out those whose storage key is in ``known`` (read already)."""
    # The index on (record_id, id) answers the first query alone; only records not read yet
    # are fetched and parsed.
    wanted = [
        key
        for (key,) in _select_in(db, "SELECT id FROM advisories_advisory", "record_id", ids)
        if key not in known
    ]
    rows = _select_in(db, f"SELECT {_RECORD} FROM advisories_advisory", "id", wanted)
    return [a for a in (_parse(*row) for row in rows) if a is not None]


# what _parse reads of a row
_RECORD = "match, source, withdrawn, format, rejected"


def _parse(
    match: str, source: str, withdrawn: object, format: str, rejected: object
) -> Advisory | None:
    """Return the advisory of a stored row, or None when it is withdrawn or rejected."""
    if withdrawn is not None or rejected:
        return None
    if format == "osv":
        return parse_stored_osv(orjson.loads(match), source=source)
    return advisory_from_stored(orjson.loads(match), source=source)


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
