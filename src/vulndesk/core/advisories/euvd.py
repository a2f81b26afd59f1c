"""The EUVD codec: ENISA European Vulnerability Database JSON to :class:`Advisory`.

The EUVD API (reference/feeds.md, "EUVD") answers items in three shapes, all read here: one item
(``enisaid?id=...``), a ``search`` page ``{"items": [...], "total": N}``, and a bare array (the
``lastvulnerabilities``, ``exploitedvulnerabilities`` and ``criticalvulnerabilities`` lists).
An item becomes an Advisory with ``source="euvd"``:

- ``id`` (EUVD-YYYY-N) is the id; ``aliases`` (CVE, GHSA... ids) and ``references`` (URLs) are
  newline-separated strings in the API; an array of strings is accepted too.
- ``description`` is an English description and ``details``.
- ``dateUpdated`` is ``modified`` (else ``datePublished``, which is ``published``). The API writes
  ``Feb 11, 2025, 7:55:32 PM`` (no zone: read as UTC); ISO 8601 is accepted too.
- ``baseScoreVector`` with ``baseScoreVersion`` is a :class:`Severity` rated by ``assigner``
  (``ENISA`` when absent); a v3/v4 vector without its ``CVSS:3.1/`` prefix gets it from the
  version. ``baseScore``, ``epss`` (kept as the API gives it: its scale is not documented, so it
  is not made into an EPSS probability here) and ``assigner`` stay in ``database_specific``.
- ``enisaIdProduct[]`` (``product.name``, ``product.vendor.name``, ``product_version``) are
  :class:`ProductStatement` values; a product without its own vendor gets the item's only
  ``enisaIdVendor`` when there is exactly one, else an empty vendor (EUVD does not link them).
  ``product_version`` is free text (``<1.2.3``, ``1.0 <2.0``), kept as a VersionEntry with
  ``version_type="euvd-text"``.
- ``exploitedSince`` (or a boolean ``exploited``, or the caller saying the items come from
  ``exploitedvulnerabilities``) is an :class:`ExploitEvidence` of kind ``euvd``.

The field names come from client code, not from a schema (the reference marks them secondary):
unknown fields are ignored, and a known field of another shape is refused with its JSON path.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import orjson

from vulndesk.core.advisories.jsonfields import array, fail, optional_str
from vulndesk.core.advisories.model import (
    Advisory,
    ExploitEvidence,
    LocalizedText,
    ProductStatement,
    Reference,
    Severity,
    VersionEntry,
)
from vulndesk.core.advisories.sources import RecordProblem, read_file
from vulndesk.core.errors import AdvisoryError

__all__ = ["parse_euvd", "parse_euvd_item", "parse_euvd_timestamp", "read_euvd"]

_MAX_DOCUMENT: Final = 64 << 20
_SEVERITY_TYPES: Final = {"2": "CVSS_V2", "3": "CVSS_V3", "4": "CVSS_V4"}
_EUVD_DATE: Final = "%b %d, %Y, %I:%M:%S %p"


def _lines(obj: dict[str, Any], key: str, source: str, path: str) -> tuple[str, ...]:
    value = obj.get(key)
    if value is None:
        return ()
    if type(value) is str:
        items = value.splitlines()
    elif type(value) is list and all(type(v) is str for v in value):
        items = value
    else:
        raise fail(source, f"{path}.{key}", "a newline-separated string", value)
    out: list[str] = []
    for item in items:
        item = item.strip()
        if item and item not in out:
            out.append(item)
    return tuple(out)


def _number(obj: dict[str, Any], key: str, source: str, path: str) -> float | None:
    value = obj.get(key)
    if value is None or value == "":
        return None
    if type(value) in (int, float):
        return float(value)
    if type(value) is str:
        try:
            return float(value)
        except ValueError:
            pass
    raise fail(source, f"{path}.{key}", "a number", value)


def parse_euvd_timestamp(text: str) -> datetime:
    """Return the UTC datetime of an EUVD date (``Feb 11, 2025, 7:55:32 PM`` or ISO 8601).

    Raise ValueError for anything else.
    """
    # Java's newer locale data puts a narrow no-break space before AM/PM
    cleaned = text.replace("\u202f", " ").replace("\xa0", " ").strip()
    try:
        parsed = datetime.strptime(cleaned, _EUVD_DATE)  # no zone: set below
    except ValueError:
        parsed = datetime.fromisoformat(cleaned)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _timestamp(obj: dict[str, Any], key: str, source: str, path: str) -> datetime | None:
    value = optional_str(obj, key, source, path)
    if not value:
        return None
    try:
        return parse_euvd_timestamp(value)
    except ValueError as e:
        raise fail(
            source, f"{path}.{key}", "a date (Feb 11, 2025, 7:55:32 PM or ISO 8601)", value
        ) from e


def _name(obj: object, key: str, source: str, path: str) -> str | None:
    """Return ``obj[key].name`` (EUVD wraps names: ``{"vendor": {"name": "Acme"}}``)."""
    if type(obj) is not dict:
        raise fail(source, path, "an object", obj)
    inner = obj.get(key)
    if inner is None:
        return None
    if type(inner) is not dict:
        raise fail(source, f"{path}.{key}", "an object with a name", inner)
    return optional_str(inner, "name", source, f"{path}.{key}")


def _products(item: dict[str, Any], source: str, path: str) -> tuple[ProductStatement, ...]:
    vendors: list[str] = []
    for i, entry in enumerate(array(item, "enisaIdVendor", source, path)):
        name = _name(entry, "vendor", source, f"{path}.enisaIdVendor[{i}]")
        if name and name not in vendors:
            vendors.append(name)
    only_vendor = vendors[0] if len(vendors) == 1 else ""
    out: list[ProductStatement] = []
    for i, entry in enumerate(array(item, "enisaIdProduct", source, path)):
        where = f"{path}.enisaIdProduct[{i}]"
        name = _name(entry, "product", source, where)
        if not name:
            raise AdvisoryError("missing product.name", source=source, location=where)
        vendor = _name(entry["product"], "vendor", source, f"{where}.product") or only_vendor
        version = optional_str(entry, "product_version", source, where)
        ident = entry.get("id")
        out.append(
            ProductStatement(
                vendor=vendor,
                product=name,
                versions=(
                    (VersionEntry(version.strip(), "affected", version_type="euvd-text"),)
                    if version and version.strip()
                    else ()
                ),
                product_id=str(ident) if ident is not None else None,
            )
        )
    return tuple(out)


def _severity(item: dict[str, Any], assigner: str, source: str, path: str) -> tuple[Severity, ...]:
    vector = optional_str(item, "baseScoreVector", source, path)
    if not vector:
        return ()
    version = item.get("baseScoreVersion")
    if isinstance(version, int | float) and not isinstance(version, bool):
        version = str(version)
    if version is not None and type(version) is not str:
        raise fail(source, f"{path}.baseScoreVersion", "a CVSS version (3.1)", version)
    if version is None and vector.startswith("CVSS:"):
        version = vector[5:].split("/", 1)[0]
    kind = _SEVERITY_TYPES.get((version or "2").split(".", 1)[0])
    if kind is None:
        raise fail(source, f"{path}.baseScoreVersion", "2.0, 3.0, 3.1 or 4.0", version)
    if kind != "CVSS_V2" and not vector.startswith("CVSS:"):
        vector = f"CVSS:{version}/{vector}"
    return (Severity(kind, vector, assigner),)


def parse_euvd_item(
    obj: object, *, source: str, path: str = "$", exploited: bool | None = None
) -> Advisory:
    """Return the Advisory (source ``euvd``) of one EUVD item, already decoded from JSON.

    ``exploited=True`` says the item came from the ``exploitedvulnerabilities`` list, so it is
    exploited even without ``exploitedSince``. Raise AdvisoryError naming ``source`` and the JSON
    path (``path`` is the item's own, e.g. ``$.items[3]``) of the first problem.
    """
    if type(obj) is not dict:
        raise fail(source, path, "an EUVD item (a JSON object)", obj)
    ident = obj.get("id")
    if type(ident) is not str or not ident.startswith("EUVD-"):
        raise fail(source, f"{path}.id", "an EUVD id (EUVD-YYYY-N)", ident)
    published = _timestamp(obj, "datePublished", source, path)
    modified = _timestamp(obj, "dateUpdated", source, path) or published
    if modified is None:
        raise AdvisoryError(
            "missing dateUpdated and datePublished", source=source, location=f"{path}.dateUpdated"
        )
    assigner = optional_str(obj, "assigner", source, path)
    description = optional_str(obj, "description", source, path)
    specific: dict[str, Any] = {}
    for key in ("baseScore", "epss"):
        number = _number(obj, key, source, path)
        if number is not None:
            specific[key] = number
    if assigner:
        specific["assigner"] = assigner
    exploitation: tuple[ExploitEvidence, ...] = ()
    since = _timestamp(obj, "exploitedSince", source, path)
    flag = obj.get("exploited")
    if flag is not None and type(flag) is not bool:
        raise fail(source, f"{path}.exploited", "true or false", flag)
    if since is not None or flag is True or exploited:
        exploitation = (ExploitEvidence(kind="euvd", source="ENISA EUVD", date=since),)
    return Advisory(
        id=ident,
        modified=modified,
        published=published,
        aliases=tuple(a for a in _lines(obj, "aliases", source, path) if a != ident),
        details=description,
        severity=_severity(obj, assigner or "ENISA", source, path),
        references=tuple(Reference("WEB", url) for url in _lines(obj, "references", source, path)),
        database_specific=specific or None,
        source="euvd",
        products=_products(obj, source, path),
        descriptions=(LocalizedText("en", description),) if description else (),
        exploitation=exploitation,
    )


def parse_euvd(
    obj: object, *, source: str, exploited: bool | None = None
) -> list[Advisory | RecordProblem]:
    """Return the Advisory of each item of an EUVD answer, or a RecordProblem for a bad item.

    ``obj`` is one item, a ``search`` page (``{"items": [...], "total": N}``) or an array of
    items (the list endpoints). A bad item's RecordProblem names ``source`` with the item's index
    and the JSON path. Raise AdvisoryError when ``obj`` is none of these shapes.
    """
    if type(obj) is dict and "items" in obj and "id" not in obj:
        items = obj["items"]
        if type(items) is not list:
            raise fail(source, "$.items", "an array of items", items)
        base = "$.items"
    elif type(obj) is list:
        items, base = obj, "$"
    elif type(obj) is dict:
        return [_one(obj, source, "$", exploited)]
    else:
        raise fail(source, "$", "an EUVD item, a search page or an array of items", obj)
    return [_one(item, source, f"{base}[{i}]", exploited) for i, item in enumerate(items)]


def _one(obj: object, source: str, path: str, exploited: bool | None) -> Advisory | RecordProblem:
    try:
        return parse_euvd_item(obj, source=source, path=path, exploited=exploited)
    except AdvisoryError as e:
        return RecordProblem(f"{source}:{path}", f"{e.location}: {e.message}")


def read_euvd(
    path: Path, *, exploited: bool | None = None, display: str | None = None
) -> list[Advisory | RecordProblem]:
    """Return the records of the EUVD answer saved at ``path`` (see :func:`parse_euvd`).

    Raise AdvisoryError when the file cannot be read or is not JSON.
    """
    shown = str(path) if display is None else display
    data = read_file(path, shown, _MAX_DOCUMENT)
    try:
        obj = orjson.loads(data)
    except orjson.JSONDecodeError as e:
        raise AdvisoryError(f"not valid JSON: {e}", source=shown) from e
    return parse_euvd(obj, source=shown, exploited=exploited)
