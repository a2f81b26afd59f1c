"""Typed access to parsed JSON with errors that name the JSON path of the offending value.

Readers call these instead of indexing dicts so that a wrong type becomes
``expected a string for 'name', got number`` at ``$.components[12].name`` rather than a
``TypeError`` deep inside a reader. :class:`FieldError` carries no source; each reader's entry
point turns it into an :class:`~vulndesk.core.errors.SbomError` naming the file.
"""

from __future__ import annotations

import re
from typing import Any

from vulndesk.core.jsontypes import json_type

_PLAIN_KEY = re.compile(r"[A-Za-z_$@][A-Za-z0-9_$@]*")


class FieldError(Exception):
    """A value in a parsed JSON document has the wrong type or is missing."""

    def __init__(self, message: str, location: str):
        super().__init__(message)
        self.message = message
        self.location = location


def child_path(path: str, key: str) -> str:
    """Return the JSON path of ``key`` inside the object at ``path``."""
    if _PLAIN_KEY.fullmatch(key):
        return f"{path}.{key}"
    return f"{path}[{key!r}]"


def opt_str(obj: dict[str, Any], key: str, path: str) -> str | None:
    """Return ``obj[key]`` if it is a string, None if absent or null; raise FieldError otherwise."""
    value = obj.get(key)
    if value is None or type(value) is str:
        return value
    raise FieldError(
        f"expected a string for {key!r}, got {json_type(value)}", child_path(path, key)
    )


def req_str(obj: dict[str, Any], key: str, path: str) -> str:
    """Return ``obj[key]``, which must be a string; raise FieldError when missing or not one."""
    value = opt_str(obj, key, path)
    if value is None:
        raise FieldError(f"missing required string {key!r}", path)
    return value


def opt_list(obj: dict[str, Any], key: str, path: str) -> list[Any]:
    """Return ``obj[key]`` if it is an array, [] if absent or null; raise FieldError otherwise."""
    value = obj.get(key)
    if value is None:
        return []
    if type(value) is list:
        return value
    raise FieldError(
        f"expected an array for {key!r}, got {json_type(value)}", child_path(path, key)
    )


def opt_obj(obj: dict[str, Any], key: str, path: str) -> dict[str, Any] | None:
    """Return ``obj[key]`` if it is an object, None if absent or null; else raise FieldError."""
    value = obj.get(key)
    if value is None or type(value) is dict:
        return value
    raise FieldError(
        f"expected an object for {key!r}, got {json_type(value)}", child_path(path, key)
    )


def as_obj(value: object, path: str, what: str) -> dict[str, Any]:
    """Return ``value`` if it is an object (``what`` names it in the error); raise FieldError."""
    if type(value) is dict:
        return value
    raise FieldError(f"expected an object for {what}, got {json_type(value)}", path)


def as_str(value: object, path: str, what: str) -> str:
    """Return ``value`` if it is a string (``what`` names it in the error); raise FieldError."""
    if type(value) is str:
        return value
    raise FieldError(f"expected a string for {what}, got {json_type(value)}", path)


def str_list(obj: dict[str, Any], key: str, path: str) -> list[str]:
    """Return ``obj[key]`` as a list of strings; a single string counts as a list of one.

    JSON-LD compaction writes one-element arrays as the bare value, so SPDX 3 needs this.
    """
    value = obj.get(key)
    if value is None:
        return []
    if type(value) is str:
        return [value]
    items = opt_list(obj, key, path)
    item_path = child_path(path, key)
    return [
        as_str(item, f"{item_path}[{i}]", f"an item of {key!r}") for i, item in enumerate(items)
    ]
