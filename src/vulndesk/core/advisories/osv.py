"""The OSV codec: OSV JSON records to :class:`~vulndesk.core.advisories.model.Advisory` and back.

Reading validates the *structure* the OSV schema defines (types of every known field, one kind per
event) and reports the first violation with its JSON path (``$.affected[2].ranges[0].events[1]``).
It is deliberately lenient about everything the evaluation algorithm does not need:

- unknown fields are ignored (schema §schema_version: newer minor versions only add fields);
- ``summary``, ``details``, ``published`` and every list may be missing; a JSON ``null`` in an
  optional field is read as "missing";
- events are kept in file order (they may be unsorted), several introduced/fixed pairs, ``limit``
  and ``last_affected`` are kept as they are: ordering them is the matcher's job;
- a range without an ``introduced`` event or a GIT range without ``repo`` still loads: the matcher
  reports such a range as not evaluable instead of the importer dropping the whole record;
- ``modified`` is required and must be RFC 3339; the zero time ``0001-01-01T00:00:00Z`` (used by
  the Go database's bulk export) is a valid timestamp and loads.

``affected[].package`` may be absent for records that are described by GIT ranges only; such an
entry gets an empty ecosystem and name, so it is kept but can never be looked up by package.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Final

from vulndesk.core.advisories.jsonfields import fail, optional_str
from vulndesk.core.advisories.model import (
    Advisory,
    Affected,
    Event,
    EventKind,
    Range,
    Reference,
    Severity,
)
from vulndesk.core.errors import AdvisoryError

__all__ = [
    "dump_osv",
    "format_timestamp",
    "lookup_name",
    "parse_osv",
    "parse_stored_osv",
    "parse_timestamp",
]

_EVENT_KINDS: Final[tuple[EventKind, ...]] = ("introduced", "fixed", "last_affected", "limit")
_EVENT_KIND_SET: Final[frozenset[str]] = frozenset(_EVENT_KINDS)

# RFC 3339 §5.6 date-time; the offset is mandatory. ``datetime.fromisoformat`` alone would also
# accept dates without a time and times without an offset, which RFC 3339 does not.
_RFC3339 = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})",
    re.ASCII,
)

_PEP503_SEPARATORS = re.compile(r"[-_.]+")
_URL_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)
_LOWER_CASE_ECOSYSTEMS: Final = frozenset(
    {"npm", "NuGet", "Packagist", "Hex", "Pub", "GitHub Actions"}
)


# --- package names --------------------------------------------------------------------------------


def lookup_name(ecosystem: str, name: str) -> str:
    """Return the key under which package ``name`` of ``ecosystem`` is stored and looked up.

    Only the part of ``ecosystem`` before the first ``:`` matters (``AlmaLinux:8``, ``Maven:<repo
    url>``). The choices follow each ecosystem's own identity rules, so that the name written in an
    advisory and the name in a canonical purl meet on the same key:

    - ``PyPI``: PEP 503 normalisation (lower case, runs of ``-_.`` become ``-``); pip treats the
      spellings as one project.
    - ``npm``: lower case, scope kept (``@scope/name``). New npm names must be lower case, but
      legacy packages such as ``JSONStream`` are not, while canonical purls are (packageurl-python
      lower-cases npm names), so both sides are lower-cased. npm refuses names that differ from an
      existing one only in case, so this cannot merge two real packages.
    - ``NuGet``: lower case; NuGet package ids are case-insensitive.
    - ``Packagist``: lower case; Composer names are case-insensitive (purl ``composer`` type).
    - ``Hex``, ``Pub``: lower case; both registries only allow lower-case names and the purl types
      lower-case them.
    - ``GitHub Actions``: lower case; ``owner/repo`` is case-insensitive on GitHub.
    - ``SwiftURL``: the repository URL without scheme and ``.git``, lower case
      (``https://github.com/Apple/swift-nio.git`` -> ``github.com/apple/swift-nio``): advisories
      write both spellings, purls the short one, and Git hosts ignore case in these paths.
    - ``Go``: the module path as written (module paths are case-sensitive).
    - ``Maven``: ``groupId:artifactId`` as written (case-sensitive).
    - ``crates.io``, ``RubyGems``, ``Bitnami`` and distribution packages (Debian,
      Ubuntu, Alpine, AlmaLinux, Rocky Linux, Red Hat, SUSE...): as written.
    - anything else: as written (never guessed).
    """
    base = ecosystem.split(":", 1)[0]
    if base == "PyPI":
        return _PEP503_SEPARATORS.sub("-", name).lower()
    if base in _LOWER_CASE_ECOSYSTEMS:
        return name.lower()
    if base == "SwiftURL":
        short = _URL_SCHEME.sub("", name.strip()).rstrip("/").lower()
        return short.removesuffix(".git")
    return name


# --- timestamps -----------------------------------------------------------------------------------


def parse_timestamp(value: str) -> datetime:
    """Return the timezone-aware datetime of an RFC 3339 timestamp; raise ValueError otherwise."""
    if _RFC3339.fullmatch(value) is None:
        raise ValueError("not an RFC 3339 date-time (YYYY-MM-DDTHH:MM:SS[.fff](Z|+hh:mm))")
    # fromisoformat (3.11+) takes "Z", any number of fractional digits and a space separator.
    return datetime.fromisoformat(value.upper())


def format_timestamp(value: datetime) -> str:
    """Return ``value`` as RFC 3339, with ``Z`` for UTC and no trailing zeros in the fraction."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    text = value.isoformat()
    if text.endswith("+00:00"):
        text = text[:-6] + "Z"
    if value.microsecond:
        head, _, tail = text.partition(".")
        digits = tail[:6].rstrip("0")
        text = f"{head}.{digits}{tail[6:]}"
    return text


# --- reading --------------------------------------------------------------------------------------


def _str_list(obj: dict[str, Any], key: str, source: str, path: str) -> tuple[str, ...]:
    value = obj.get(key)
    if value is None:
        return ()
    if type(value) is not list:
        raise fail(source, f"{path}.{key}", "an array of strings", value)
    for i, item in enumerate(value):
        if type(item) is not str:
            raise fail(source, f"{path}.{key}[{i}]", "a string", item)
    return tuple(value)


def _obj_list(obj: dict[str, Any], key: str, source: str, path: str) -> list[Any]:
    value = obj.get(key)
    if value is None:
        return []
    if type(value) is not list:
        raise fail(source, f"{path}.{key}", "an array", value)
    return value


def _timestamp(obj: dict[str, Any], key: str, source: str, *, required: bool) -> datetime | None:
    value = obj.get(key)
    if value is None:
        if required:
            raise AdvisoryError(
                f"missing required field {key!r} (an RFC 3339 timestamp)",
                source=source,
                location=f"$.{key}",
            )
        return None
    if type(value) is not str:
        raise fail(source, f"$.{key}", "an RFC 3339 timestamp string", value)
    try:
        return parse_timestamp(value)
    except ValueError as e:
        raise AdvisoryError(
            f"expected an RFC 3339 timestamp, got {value!r}: {e}",
            source=source,
            location=f"$.{key}",
        ) from e


def _severities(obj: dict[str, Any], source: str, path: str) -> tuple[Severity, ...]:
    items = _obj_list(obj, "severity", source, path)
    out: list[Severity] = []
    for i, item in enumerate(items):
        where = f"{path}.severity[{i}]"
        if type(item) is not dict:
            raise fail(source, where, "an object with type and score", item)
        kind, score = item.get("type"), item.get("score")
        if type(kind) is not str:
            raise fail(source, f"{where}.type", "a string", kind)
        if type(score) is not str:
            raise fail(source, f"{where}.score", "a string", score)
        out.append(Severity(kind, score))
    return tuple(out)


def _references(obj: dict[str, Any], source: str) -> tuple[Reference, ...]:
    items = _obj_list(obj, "references", source, "$")
    out: list[Reference] = []
    for i, item in enumerate(items):
        where = f"$.references[{i}]"
        if type(item) is not dict:
            raise fail(source, where, "an object with type and url", item)
        kind, url = item.get("type"), item.get("url")
        if type(kind) is not str:
            raise fail(source, f"{where}.type", "a string", kind)
        if type(url) is not str:
            raise fail(source, f"{where}.url", "a string", url)
        out.append(Reference(kind, url))
    return tuple(out)


@lru_cache(maxsize=200_000)
def _event(kind: EventKind, version: str) -> Event:
    # Events are immutable and repeat a lot ("introduced": "0", the same fix in every package of
    # a distribution erratum), so equal events share one object.
    return Event(kind, version)


def _events(items: list[Any], source: str, path: str) -> tuple[Event, ...]:
    out: list[Event] = []
    for i, item in enumerate(items):
        if type(item) is dict and len(item) == 1:
            # fast path: the usual single-key event object
            ((kind, value),) = item.items()
            if kind in _EVENT_KIND_SET and type(value) is str:
                out.append(_event(kind, value))
                continue
        out.append(_event_slow(item, source, f"{path}[{i}]"))
    return tuple(out)


def _event_slow(item: object, source: str, path: str) -> Event:
    if type(item) is not dict:
        raise fail(source, path, "an event object", item)
    found: Event | None = None
    # schema §affected[].ranges[].events: exactly one of the four kinds per event object; other
    # keys are tolerated like any unknown field.
    for kind in _EVENT_KINDS:
        if kind not in item:
            continue
        value = item[kind]
        if type(value) is not str:
            raise fail(source, f"{path}.{kind}", "a version string", value)
        if found is not None:
            raise AdvisoryError(
                "expected exactly one of introduced, fixed, last_affected, limit; got "
                + ", ".join(k for k in _EVENT_KINDS if k in item),
                source=source,
                location=path,
            )
        found = _event(kind, value)
    if found is None:
        raise AdvisoryError(
            "expected one of introduced, fixed, last_affected, limit; got "
            + (", ".join(map(str, item)) or "an empty object"),
            source=source,
            location=path,
        )
    return found


def _ranges(items: object, source: str, path: str) -> tuple[Range, ...]:
    if items is None:
        return ()
    if type(items) is not list:
        raise fail(source, path, "an array of ranges", items)
    out: list[Range] = []
    for i, item in enumerate(items):
        if type(item) is not dict:
            raise fail(source, f"{path}[{i}]", "a range object", item)
        kind = item.get("type")
        if type(kind) is not str:
            raise fail(source, f"{path}[{i}].type", "a string (SEMVER, ECOSYSTEM or GIT)", kind)
        repo = item.get("repo")
        if repo is not None and type(repo) is not str:
            raise fail(source, f"{path}[{i}].repo", "a string", repo)
        events = item.get("events")
        if type(events) is not list:
            raise fail(source, f"{path}[{i}].events", "an array of events", events)
        out.append(Range(kind, _events(events, source, f"{path}[{i}].events"), repo))
    return tuple(out)


def _affected(items: list[Any], source: str) -> tuple[Affected, ...]:
    out: list[Affected] = []
    for i, item in enumerate(items):
        where = f"$.affected[{i}]"
        if type(item) is not dict:
            raise fail(source, where, "an object", item)
        get = item.get
        package = get("package")
        purl: str | None = None
        ecosystem: Any = ""
        name: Any = ""
        if type(package) is dict:
            ecosystem, name = package.get("ecosystem"), package.get("name")
            if type(ecosystem) is not str:
                raise fail(source, f"{where}.package.ecosystem", "a string", ecosystem)
            if type(name) is not str:
                raise fail(source, f"{where}.package.name", "a string", name)
            purl = package.get("purl")
            if purl is not None and type(purl) is not str:
                raise fail(source, f"{where}.package.purl", "a string", purl)
        elif package is not None:
            raise fail(source, f"{where}.package", "an object with ecosystem and name", package)
        out.append(
            Affected(
                ecosystem,
                name,
                _lookup_name_cached(ecosystem, name),
                purl,
                _ranges(get("ranges"), source, f"{where}.ranges"),
                _str_list(item, "versions", source, where) if "versions" in item else (),
                _severities(item, source, where) if "severity" in item else (),
                get("ecosystem_specific"),
                get("database_specific"),
            )
        )
    return tuple(out)


_lookup_name_cached = lru_cache(maxsize=100_000)(lookup_name)


def parse_osv(obj: object, *, source: str) -> Advisory:
    """Return the Advisory an OSV record (already decoded from JSON) describes.

    Raise :class:`~vulndesk.core.errors.AdvisoryError` naming ``source`` (the document's location)
    and the JSON path of the first structural problem, saying what was expected there.
    """
    if type(obj) is not dict:
        raise fail(source, "$", "an OSV record (a JSON object)", obj)
    ident = obj.get("id")
    if type(ident) is not str or not ident.strip():
        if ident is None:
            raise AdvisoryError("missing required field 'id'", source=source, location="$.id")
        raise fail(source, "$.id", "a non-empty string", ident)
    modified = _timestamp(obj, "modified", source, required=True)
    assert modified is not None
    return Advisory(
        id=ident,
        modified=modified,
        published=_timestamp(obj, "published", source, required=False),
        withdrawn=_timestamp(obj, "withdrawn", source, required=False),
        aliases=_str_list(obj, "aliases", source, "$"),
        related=_str_list(obj, "related", source, "$"),
        upstream=_str_list(obj, "upstream", source, "$"),
        summary=optional_str(obj, "summary", source, "$"),
        details=optional_str(obj, "details", source, "$"),
        severity=_severities(obj, source, "$"),
        affected=_affected(_obj_list(obj, "affected", source, "$"), source),
        references=_references(obj, source),
        database_specific=obj.get("database_specific"),
        schema_version=optional_str(obj, "schema_version", source, "$"),
    )


def parse_stored_osv(obj: dict[str, Any], *, source: str) -> Advisory:
    """Return the Advisory of an OSV record that :func:`parse_osv` accepted before.

    For documents vulndesk stored itself after parsing them at import (the ``match`` column):
    their structure is known to be valid, so it is not checked again, which makes reading the
    candidates of a scan a quarter faster. For every record parse_osv accepts, the result equals
    parse_osv's (tests/core/advisories/test_osv_codec.py). A document that turns out not to have
    that shape (a store written by other means) is handed to parse_osv, whose AdvisoryError says
    what is wrong and where; never give this function input from outside.
    """
    try:
        get = obj.get
        return Advisory(
            id=obj["id"],
            modified=datetime.fromisoformat(obj["modified"].upper()),
            published=_stored_timestamp(get("published")),
            withdrawn=_stored_timestamp(get("withdrawn")),
            aliases=tuple(get("aliases") or ()),
            related=tuple(get("related") or ()),
            upstream=tuple(get("upstream") or ()),
            summary=get("summary"),
            details=get("details"),
            severity=tuple(Severity(s["type"], s["score"]) for s in get("severity") or ()),
            affected=tuple(_stored_affected(item) for item in get("affected") or ()),
            references=tuple(Reference(r["type"], r["url"]) for r in get("references") or ()),
            database_specific=get("database_specific"),
            schema_version=get("schema_version"),
        )
    except (AttributeError, KeyError, TypeError, ValueError):
        return parse_osv(obj, source=source)


def _stored_timestamp(value: str | None) -> datetime | None:
    # parse_timestamp without the RFC 3339 check, which the record passed at import (the
    # required ``modified`` is read the same way, inline)
    return None if value is None else datetime.fromisoformat(value.upper())


def _stored_affected(item: dict[str, Any]) -> Affected:
    get = item.get
    package = get("package")
    ecosystem, name = ("", "") if package is None else (package["ecosystem"], package["name"])
    return Affected(
        ecosystem,
        name,
        _lookup_name_cached(ecosystem, name),
        None if package is None else package.get("purl"),
        tuple(
            Range(r["type"], _stored_events(r["events"]), r.get("repo"))
            for r in get("ranges") or ()
        ),
        tuple(get("versions") or ()),
        tuple(Severity(s["type"], s["score"]) for s in get("severity") or ()),
        get("ecosystem_specific"),
        get("database_specific"),
    )


def _stored_events(items: list[dict[str, str]]) -> tuple[Event, ...]:
    out: list[Event] = []
    for item in items:
        if len(item) == 1:
            ((kind, value),) = item.items()
            out.append(_event(kind, value))  # a kind parse_osv checked
        else:  # unknown keys beside the kind, tolerated at import: pick the kind out again
            out.append(_event_slow(item, "", "$"))
    return tuple(out)


_MATCHING_KEYS = ("id", "modified", "published", "withdrawn", "aliases", "summary", "severity")
_MATCHING_AFFECTED_KEYS = ("package", "ranges", "versions", "severity")


def matching_subset(obj: dict[str, Any]) -> dict[str, Any]:
    """Return the part of a valid OSV record that matching and rating read.

    Drops ``references``, ``credits`` and ``ecosystem_specific`` (Go's symbol lists), keeps only
    the ``severity`` word of ``database_specific``, and of ``details`` only its first non-blank
    line, and only when the record has no summary: that line is what a finding shows instead
    (``matching.engine``), and PYSEC records often have no summary. Stored next to the full text,
    it makes a scan read and parse about half as much.
    """
    out = {key: obj[key] for key in _MATCHING_KEYS if key in obj}
    summary, details = obj.get("summary"), obj.get("details")
    if not (isinstance(summary, str) and summary.strip()) and isinstance(details, str):
        first = next((line.strip() for line in details.splitlines() if line.strip()), None)
        if first is not None:
            out["details"] = first
    word = _severity_word(obj.get("database_specific"))
    if word is not None:
        out["database_specific"] = {"severity": word}
    affected = []
    for item in obj.get("affected") or ():
        entry = {key: item[key] for key in _MATCHING_AFFECTED_KEYS if key in item}
        word = _severity_word(item.get("database_specific"))
        if word is not None:
            entry["database_specific"] = {"severity": word}
        affected.append(entry)
    if affected:
        out["affected"] = affected
    return out


def _severity_word(database_specific: object) -> object:
    return database_specific.get("severity") if isinstance(database_specific, dict) else None


# --- writing --------------------------------------------------------------------------------------


def dump_osv(advisory: Advisory) -> dict[str, Any]:
    """Return ``advisory`` as an OSV JSON object (the inverse of :func:`parse_osv`).

    Fields the model does not keep (``credits``, ranges' ``database_specific``) are not written;
    empty lists and missing values are left out.
    """
    out: dict[str, Any] = {}
    if advisory.schema_version is not None:
        out["schema_version"] = advisory.schema_version
    out["id"] = advisory.id
    out["modified"] = format_timestamp(advisory.modified)
    if advisory.published is not None:
        out["published"] = format_timestamp(advisory.published)
    if advisory.withdrawn is not None:
        out["withdrawn"] = format_timestamp(advisory.withdrawn)
    for key in ("aliases", "related", "upstream"):
        values = getattr(advisory, key)
        if values:
            out[key] = list(values)
    if advisory.summary is not None:
        out["summary"] = advisory.summary
    if advisory.details is not None:
        out["details"] = advisory.details
    if advisory.severity:
        out["severity"] = [{"type": s.type, "score": s.score} for s in advisory.severity]
    if advisory.affected:
        out["affected"] = [_dump_affected(a) for a in advisory.affected]
    if advisory.references:
        out["references"] = [{"type": r.type, "url": r.url} for r in advisory.references]
    if advisory.database_specific is not None:
        out["database_specific"] = advisory.database_specific
    return out


def _dump_affected(affected: Affected) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if affected.ecosystem or affected.name:
        package: dict[str, Any] = {"ecosystem": affected.ecosystem, "name": affected.name}
        if affected.purl is not None:
            package["purl"] = affected.purl
        out["package"] = package
    if affected.severity:
        out["severity"] = [{"type": s.type, "score": s.score} for s in affected.severity]
    if affected.ranges:
        ranges: list[dict[str, Any]] = []
        for r in affected.ranges:
            item: dict[str, Any] = {"type": r.type}
            if r.repo is not None:
                item["repo"] = r.repo
            item["events"] = [{e.kind: e.version} for e in r.events]
            ranges.append(item)
        out["ranges"] = ranges
    if affected.versions:
        out["versions"] = list(affected.versions)
    if affected.ecosystem_specific is not None:
        out["ecosystem_specific"] = affected.ecosystem_specific
    if affected.database_specific is not None:
        out["database_specific"] = affected.database_specific
    return out
