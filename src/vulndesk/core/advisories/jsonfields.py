"""Reading typed fields out of an advisory's JSON, with the JSON path in every error.

Shared by the JSON codecs (OSV, NVD, CVE 5, CSAF, EUVD): each refuses a value of the wrong type
with ``expected <what>, got <value or type>`` at ``<source>:<path>``.
"""

from __future__ import annotations

from typing import Any

from vulndesk.core.errors import AdvisoryError
from vulndesk.core.jsontypes import json_type

__all__ = ["array", "fail", "json_object", "optional_str"]


def fail(source: str, path: str, expected: str, value: object) -> AdvisoryError:
    """Return the error for ``value`` at ``path`` that is not ``expected`` (short values shown,
    long ones cut, others named by their JSON type)."""
    scalar = isinstance(value, str | int | float) and not isinstance(value, bool)
    shown = repr(value) if scalar else json_type(value)
    if len(shown) > 80:
        shown = shown[:77] + "..."
    return AdvisoryError(f"expected {expected}, got {shown}", source=source, location=path)


def json_object(value: object, source: str, path: str, what: str = "an object") -> dict[str, Any]:
    """Return ``value`` if it is a JSON object; raise AdvisoryError otherwise."""
    if type(value) is not dict:
        raise fail(source, path, what, value)
    return value


def array(obj: dict[str, Any], key: str, source: str, path: str) -> list[Any]:
    """Return ``obj[key]`` if it is an array, [] when absent; raise AdvisoryError otherwise."""
    value = obj.get(key)
    if value is None:
        return []
    if type(value) is not list:
        raise fail(source, f"{path}.{key}", "an array", value)
    return value


def optional_str(obj: dict[str, Any], key: str, source: str, path: str) -> str | None:
    """Return ``obj[key]`` if it is a string, None when absent; raise AdvisoryError otherwise."""
    value = obj.get(key)
    if value is None or type(value) is str:
        return value
    raise fail(source, f"{path}.{key}", "a string", value)
