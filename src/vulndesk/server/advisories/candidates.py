"""Finding the advisories a scan must evaluate, with plain SQL on any DB-API connection.

Used by the command line's scan without Django (``rawdb``) and by the server through Django's
connection, so both read the same rows the same way. Table names are those of the Django models
in ``models.py`` (app label ``advisories``).
"""

from __future__ import annotations

from collections.abc import Iterable

import orjson

from vulndesk.core.advisories.model import Advisory
from vulndesk.core.advisories.osv import parse_osv
from vulndesk.server.rawdb import RawDatabase

# Far below SQLite's 32,766 bound parameters and PostgreSQL's 65,535.
_CHUNK = 900


def fetch_candidates(
    db: RawDatabase, keys: Iterable[tuple[str, str]]
) -> tuple[list[Advisory], dict[str, str]]:
    """Return the live (not withdrawn) advisories naming any (ecosystem, lookup name) in ``keys``,
    parsed from their stored text, and a map of advisory id to alias group key."""
    wanted = set(keys)
    names = sorted({name for _, name in wanted})
    ids: set[str] = set()
    for start in range(0, len(names), _CHUNK):
        chunk = names[start : start + _CHUNK]
        rows = db.query(
            "SELECT ecosystem, name, advisory_id FROM advisories_affectedpackage"
            f" WHERE name IN ({', '.join(['%s'] * len(chunk))})",  # noqa: S608 - placeholders only
            chunk,
        )
        ids.update(advisory_id for eco, name, advisory_id in rows if (eco, name) in wanted)
    records: list[Advisory] = []
    groups: dict[str, str] = {}
    ordered = sorted(ids)
    for start in range(0, len(ordered), _CHUNK):
        chunk = ordered[start : start + _CHUNK]
        rows = db.query(
            "SELECT id, raw, group_key, source FROM advisories_advisory"
            f" WHERE withdrawn IS NULL AND id IN ({', '.join(['%s'] * len(chunk))})",  # noqa: S608
            chunk,
        )
        for advisory_id, raw, group_key, source in rows:
            records.append(parse_osv(orjson.loads(raw), source=source))
            groups[advisory_id] = group_key
    return records, groups
