"""Reading an untrusted, already parsed CSAF document: lenient getters, JSON paths, dates.

The mandatory tests run on documents that may also fail the schema (that is the point of
reporting every problem at once), so none of them may assume a type: a ``product_ids`` that is a
string, a ``vulnerabilities`` that is an object, a ``date`` that is a number must make a test
skip that value, never raise. These getters return an empty value of the expected type instead;
the schema check (:mod:`.schema`) is what reports the wrong type.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

# RFC 3339 section 5.6 ``date-time`` (the JSON schema ``format``); ``T``/``Z`` in either case.
_DATE_TIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))"
)


def child(path: str, key: str | int) -> str:
    """Return the JSON path of ``key`` below ``path`` (``$.a.b[1]``, ``$['x-y']``)."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    if _IDENTIFIER.fullmatch(key):
        return f"{path}.{key}"
    return f"{path}[{key!r}]"


def obj(value: Any) -> dict[str, Any]:
    """Return ``value`` if it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}


def arr(value: Any) -> list[Any]:
    """Return ``value`` if it is a JSON array, else an empty one."""
    return value if isinstance(value, list) else []


def text(value: Any) -> str | None:
    """Return ``value`` if it is a string, else None."""
    return value if isinstance(value, str) else None


def strings(value: Any) -> list[str]:
    """Return the string items of ``value`` if it is an array (a ``products_t``, say)."""
    return [item for item in arr(value) if isinstance(item, str)]


def indexed(value: Any, path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield ``(path, item)`` for each object item of the array ``value`` found at ``path``."""
    for i, item in enumerate(arr(value)):
        if isinstance(item, dict):
            yield child(path, i), item


def vulnerabilities(doc: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield ``(path, vulnerability)`` for each object in ``/vulnerabilities``."""
    return indexed(doc.get("vulnerabilities"), "$.vulnerabilities")


def category(doc: dict[str, Any]) -> str | None:
    """Return ``/document/category`` when it is a string."""
    return text(obj(doc.get("document")).get("category"))


def parse_date_time(value: Any) -> datetime | None:
    """Return the RFC 3339 ``date-time`` ``value`` as an aware datetime, or None if it is not one.

    Written by hand rather than with ``datetime.fromisoformat``, which also takes forms RFC 3339
    does not allow (a date alone, a space for ``T``, no offset). A leap second (``:60``) is valid
    RFC 3339 and is read as the last second of its minute.
    """
    if not isinstance(value, str):
        return None
    m = _DATE_TIME.fullmatch(value)
    if m is None:
        return None
    year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
    fraction, zulu, sign, off_h, off_m = (
        m.group(7),
        m.group(8),
        m.group(9),
        m.group(10),
        m.group(11),
    )
    if second == 60:
        second = 59
    if zulu:
        tz: timezone = UTC
    else:
        hours, minutes = int(off_h), int(off_m)
        if hours > 23 or minutes > 59:
            return None
        delta = timedelta(hours=hours, minutes=minutes)
        tz = timezone(-delta if sign == "-" else delta)
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    try:
        return datetime(year, month, day, hour, minute, second, micro, tzinfo=tz)
    except ValueError:
        return None
