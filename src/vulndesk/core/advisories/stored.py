"""The stored form of an advisory: what vulndesk keeps of a parsed record so that matching can
read it back without the source format's codec.

OSV records are stored in their own format (``osv.matching_subset``), because that is already
the model. Every other source (NVD, CVE 5, CSAF, JVN, EUVD) is parsed once at import by its
codec, and the resulting :class:`~vulndesk.core.advisories.model.Advisory` is written in this
form: plain JSON whose keys are the dataclass fields, nested dataclasses as objects, tuples as
arrays, datetimes as ISO 8601 strings. Reading back what :func:`advisory_to_stored` wrote gives
the same advisory for every advisory (tests/core/advisories/test_stored.py), so nothing the codec
read is lost, and a change of the model shows up as a failing round trip rather than silently
dropped data.

Only vulndesk writes this form; :func:`advisory_from_stored` checks the shape it needs and raises
AdvisoryError naming the JSON path when a document is not one it wrote.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from datetime import datetime
from functools import cache
from typing import Any

import orjson

from vulndesk.core.advisories import model
from vulndesk.core.advisories.model import Advisory
from vulndesk.core.errors import AdvisoryError

__all__ = ["STORED_FORMAT_VERSION", "advisory_from_stored", "advisory_to_stored"]

#: written into every stored document, so that a later model can read older rows
STORED_FORMAT_VERSION = 1


def advisory_to_stored(advisory: Advisory) -> str:
    """Return ``advisory`` in the stored form, as JSON text (every field, defaults too).

    orjson encodes the dataclasses itself: encoding field by field in Python was a sixth of an
    NVD import of 250,000 records.
    """
    body = orjson.dumps(advisory)
    return f'{{"_stored":{STORED_FORMAT_VERSION},' + body[1:].decode()


def advisory_from_stored(obj: object, *, source: str = "stored advisory") -> Advisory:
    """Return the Advisory that :func:`advisory_to_stored` wrote as ``obj``."""
    if not isinstance(obj, dict) or obj.get("_stored") != STORED_FORMAT_VERSION:
        raise AdvisoryError(
            f"not a stored advisory of format {STORED_FORMAT_VERSION}", source=source, location="$"
        )
    body = {k: v for k, v in obj.items() if k != "_stored"}
    decoded = _decode(Advisory, body, "$", source)
    assert isinstance(decoded, Advisory)
    return decoded


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls, vars(model))


def _decode(hint: Any, value: object, path: str, source: str) -> object:
    origin = typing.get_origin(hint)
    if hint is Any or hint is object:
        return value
    if origin in (types.UnionType, typing.Union):
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        if value is None:
            return None
        return _decode(options[0], value, path, source) if len(options) == 1 else value
    if origin is typing.Literal:
        return value
    if origin is tuple:
        if not isinstance(value, list):
            raise AdvisoryError("expected an array", source=source, location=path)
        args = typing.get_args(hint)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_decode(args[0], v, f"{path}[{i}]", source) for i, v in enumerate(value))
        return tuple(
            _decode(a, v, f"{path}[{i}]", source)
            for i, (a, v) in enumerate(zip(args, value, strict=False))
        )
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        if not isinstance(value, dict):
            raise AdvisoryError("expected an object", source=source, location=path)
        hints = _hints(hint)
        known = {f.name for f in dataclasses.fields(hint)}
        unknown = set(value) - known
        if unknown:
            raise AdvisoryError(
                f"unknown field {sorted(unknown)[0]!r} of {hint.__name__}",
                source=source,
                location=path,
            )
        try:
            return hint(
                **{k: _decode(hints[k], v, f"{path}.{k}", source) for k, v in value.items()}
            )
        except TypeError as exc:  # a required field is missing
            raise AdvisoryError(str(exc), source=source, location=path) from exc
    if hint is datetime:
        if not isinstance(value, str):
            raise AdvisoryError("expected an ISO 8601 time", source=source, location=path)
        return datetime.fromisoformat(value)
    if hint in (str, int, float, bool) and not isinstance(value, hint):
        raise AdvisoryError(f"expected {hint.__name__}", source=source, location=path)
    return value
