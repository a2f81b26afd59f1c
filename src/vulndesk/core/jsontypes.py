"""Naming JSON values in error messages, shared by every reader of JSON documents."""

from __future__ import annotations


def json_type(value: object) -> str:
    """Return the JSON name of a parsed value's type (object, array, string, number...)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__
