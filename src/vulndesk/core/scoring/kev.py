"""The CISA Known Exploited Vulnerabilities catalog, from its JSON feed or its CSV form.

Both forms (reference/feeds.md, "CISA KEV") give the same :class:`KevEntry` values, field by
field (tests/core/scoring/test_kev.py proves it on a real copy): the CSV writes ``cwes`` as one
cell (``CWE-59, CWE-436``) and lacks the catalog's version and release time, which are None then.

``knownRansomwareCampaignUse`` is ``Known`` (True) or ``Unknown`` (None, not False: CISA "lacks
confirmation", which is not a denial). Presence in KEV is evidence of active exploitation:
:func:`kev_evidence` states it as an :class:`ExploitEvidence` of kind ``kev``.

Every field the schema (``known_exploited_vulnerabilities_schema.json``) requires is checked, and
a problem is reported with its JSON path (``$.vulnerabilities[12].dateAdded``) or CSV line.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Final

import orjson

from vulndesk.core.advisories.model import ExploitEvidence
from vulndesk.core.errors import InputError
from vulndesk.core.jsontypes import json_type

__all__ = [
    "KEV_SOURCE",
    "KevCatalog",
    "KevEntry",
    "kev_evidence",
    "parse_kev_csv",
    "parse_kev_json",
    "read_kev",
]

#: ``ExploitEvidence.source`` of KEV's statements
KEV_SOURCE: Final = "CISA KEV"

_MAX_FILE: Final = 256 << 20
_CVE: Final = re.compile(r"CVE-\d{4}-\d{4,19}")
_CWE: Final = re.compile(r"CWE-\d+")
_RANSOMWARE: Final[Mapping[str, bool | None]] = {"Known": True, "Unknown": None}
# (JSON field, KevEntry field), in the catalog's column order
_FIELDS: Final = (
    ("cveID", "cve_id"),
    ("vendorProject", "vendor_project"),
    ("product", "product"),
    ("vulnerabilityName", "name"),
    ("dateAdded", "date_added"),
    ("shortDescription", "short_description"),
    ("requiredAction", "required_action"),
    ("dueDate", "due_date"),
    ("knownRansomwareCampaignUse", "ransomware_known"),
    ("notes", "notes"),
    ("cwes", "cwes"),
)
_REQUIRED: Final = frozenset(
    {
        "cveID",
        "vendorProject",
        "product",
        "vulnerabilityName",
        "dateAdded",
        "shortDescription",
        "requiredAction",
        "dueDate",
    }
)


@dataclass(frozen=True, slots=True)
class KevEntry:
    """One catalog entry: a CVE CISA knows to be exploited, and what agencies must do by when."""

    cve_id: str
    vendor_project: str
    product: str
    name: str
    date_added: date
    short_description: str
    required_action: str
    due_date: date
    ransomware_known: bool | None = None
    notes: str = ""
    cwes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class KevCatalog:
    """The catalog: its version (``2025.08.25``) and release time (None from the CSV), entries
    in file order."""

    version: str | None
    released: datetime | None
    entries: tuple[KevEntry, ...]


def kev_evidence(entry: KevEntry) -> ExploitEvidence:
    """Return the ExploitEvidence (kind ``kev``) that ``entry`` being in the catalog states.

    Dates are midnight UTC of the catalog's calendar dates.
    """
    return ExploitEvidence(
        kind="kev",
        source=KEV_SOURCE,
        date=datetime(*entry.date_added.timetuple()[:3], tzinfo=UTC),
        detail=entry.name,
        due_date=datetime(*entry.due_date.timetuple()[:3], tzinfo=UTC),
        ransomware=entry.ransomware_known,
    )


class _Problem(Exception):
    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message


def _shown(value: object) -> str:
    shown = repr(value) if isinstance(value, str) else json_type(value)
    return shown if len(shown) <= 80 else shown[:77] + "..."


def _entry(raw: Mapping[str, Any]) -> KevEntry:
    """Return the entry of one JSON object or CSV row (CSV ``cwes`` already split)."""
    for key in _REQUIRED:
        if raw.get(key) is None:
            raise _Problem(key, "missing required field")
    values: dict[str, Any] = {}
    for key, name in _FIELDS:
        value = raw.get(key)
        if key == "cwes":
            if value is None:
                value = []
            if type(value) is not list:
                raise _Problem(key, f"expected an array of CWE ids, got {_shown(value)}")
            for cwe in value:
                if type(cwe) is not str or _CWE.fullmatch(cwe) is None:
                    raise _Problem(key, f"expected a CWE id (CWE-79), got {_shown(cwe)}")
            values[name] = tuple(value)
            continue
        if value is not None and type(value) is not str:
            raise _Problem(key, f"expected a string, got {_shown(value)}")
        if key in ("dateAdded", "dueDate"):
            try:
                values[name] = date.fromisoformat(value)  # type: ignore[arg-type]
            except ValueError:
                raise _Problem(key, f"expected a date (YYYY-MM-DD), got {value!r}") from None
        elif key == "knownRansomwareCampaignUse":
            if value is not None and value not in _RANSOMWARE:
                raise _Problem(key, f"expected Known or Unknown, got {value!r}")
            values[name] = None if value is None else _RANSOMWARE[value]
        elif key == "cveID":
            if _CVE.fullmatch(value or "") is None:
                raise _Problem(key, f"expected a CVE id (CVE-YYYY-NNNN), got {value!r}")
            values[name] = value
        else:
            values[name] = value or ""
    return KevEntry(**values)


def parse_kev_json(obj: object, *, source: str) -> KevCatalog:
    """Return the catalog of a decoded KEV JSON feed; raise InputError with the JSON path."""
    if type(obj) is not dict:
        raise InputError(f"expected the KEV catalog object, got {_shown(obj)}", source=source)
    version, released, count = obj.get("catalogVersion"), obj.get("dateReleased"), obj.get("count")
    if type(version) is not str:
        raise InputError(
            f"expected a string, got {_shown(version)}", source=source, location="$.catalogVersion"
        )
    try:
        released_at = datetime.fromisoformat(released)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InputError(
            f"expected a date-time, got {_shown(released)}",
            source=source,
            location="$.dateReleased",
        ) from None
    if released_at.tzinfo is None:
        released_at = released_at.replace(tzinfo=UTC)
    items = obj.get("vulnerabilities")
    if type(items) is not list:
        raise InputError(
            f"expected an array, got {_shown(items)}", source=source, location="$.vulnerabilities"
        )
    entries: list[KevEntry] = []
    for i, item in enumerate(items):
        where = f"$.vulnerabilities[{i}]"
        if type(item) is not dict:
            raise InputError(
                f"expected an object, got {_shown(item)}", source=source, location=where
            )
        try:
            entries.append(_entry(item))
        except _Problem as e:
            raise InputError(e.message, source=source, location=f"{where}.{e.field}") from None
    if count is not None and count != len(entries):
        raise InputError(
            f"the catalog says it has {count!r} entries but lists {len(entries)}: refusing a "
            "partial catalog",
            source=source,
            location="$.count",
        )
    return KevCatalog(version, released_at, tuple(entries))


def parse_kev_csv(lines: Iterable[str], *, source: str) -> KevCatalog:
    """Return the catalog of the KEV CSV (header row first); raise InputError naming the line."""
    reader = csv.DictReader(iter(lines))
    header = reader.fieldnames or []
    missing = sorted(_REQUIRED - set(header))
    if missing:
        raise InputError(
            f"not the KEV CSV: the header lacks {', '.join(missing)}",
            source=source,
            location="line 1",
        )
    entries: list[KevEntry] = []
    line = reader.line_num + 1
    for row in reader:
        if None in row:
            raise InputError(
                "more cells than the header has columns", source=source, location=f"line {line}"
            )
        raw: dict[str, Any] = dict(row)
        cwes = raw.get("cwes")
        raw["cwes"] = [c.strip() for c in cwes.split(",") if c.strip()] if cwes else []
        for key in ("notes", "knownRansomwareCampaignUse"):
            if raw.get(key) == "":
                raw[key] = None
        try:
            entries.append(_entry(raw))
        except _Problem as e:
            raise InputError(e.message, source=source, location=f"line {line}, {e.field}") from None
        line = reader.line_num + 1
    return KevCatalog(None, None, tuple(entries))


def read_kev(path: Path, *, display: str | None = None) -> KevCatalog:
    """Return the catalog in the file at ``path``: the JSON feed, or the CSV form.

    The form is told from the content (JSON starts with ``{``). Raise InputError when the file
    cannot be read or is not a valid catalog.
    """
    shown = str(path) if display is None else display
    try:
        with path.open("rb") as f:
            data = f.read(_MAX_FILE + 1)
    except OSError as e:
        raise InputError(f"cannot read: {e.strerror or e}", source=shown) from e
    if len(data) > _MAX_FILE:
        raise InputError(f"larger than the {_MAX_FILE} byte limit", source=shown)
    if data.lstrip()[:1] == b"{":
        try:
            obj = orjson.loads(data)
        except orjson.JSONDecodeError as e:
            raise InputError(f"not valid JSON: {e}", source=shown) from e
        return parse_kev_json(obj, source=shown)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InputError(f"not UTF-8 text: {e}", source=shown) from e
    return parse_kev_csv(io.StringIO(text, newline=""), source=shown)
