"""The CVE JSON 5 codec: CVE Record Format 5.x records to :class:`Advisory`, and the CVE List.

A record (reference/feeds.md, "CVE JSON 5") becomes an Advisory with ``source="cve5"``. The CNA
container comes first, then every ADP container (CISA Vulnrichment, the "CVE Program Container"),
each fact keeping who stated it:

- ``cveMetadata.cveId`` is the id; ``state`` REJECTED sets ``rejected``, and the CNA's
  ``rejectedReasons`` become the descriptions and ``details``. ``dateUpdated`` is ``modified``
  (falling back to ``datePublished``, ``dateRejected``, ``dateReserved``); ``datePublished`` is
  ``published``.
- ``title`` of each container is a title in English (CVE 5 titles carry no language); the CNA's
  is ``summary``. ``descriptions[]`` keep their ``lang``; the first English one of the CNA is
  ``details``.
- ``problemTypes[].descriptions[].cweId`` become ``cwes`` (a ``CWE-n`` at the start of
  ``description`` when ``cweId`` is absent: older records).
- ``metrics[]`` ``cvssV4_0``/``cvssV3_1``/``cvssV3_0``/``cvssV2_0`` become :class:`Severity`
  values rated by the container's ``providerMetadata.shortName``.
- ``metrics[].other`` of type ``ssvc`` (CISA's SSVC decision points) are kept in
  ``database_specific["ssvc"]``, and ``Exploitation: active`` also becomes an
  :class:`ExploitEvidence` of kind ``ssvc`` (an SSVC assessment is neither KEV nor a reference,
  so it gets a kind of its own). ``other`` of type ``kev`` (CISA-ADP's KEV entry) becomes kind
  ``kev``.
- ``affected[]`` become :class:`ProductStatement` values: ``product``, or ``packageName`` with the
  ``collectionURL`` standing in for a missing vendor (the collection publishes the package); a
  package of a known registry (PyPI, npm, Maven Central...) also gets its purl. ``product_id`` is
  the entry's JSON path (``$.containers.adp[0].affected[1]``), so a finding can say which
  statement fired.
- ``references[]`` of every container, once per URL, typed by their tags (:func:`reference_type`).

The CVE List (CVEProject/cvelistV5) is read from a checkout (``cves/<year>/<Nxxx>/CVE-*.json``),
a release zip (the daily ``..._all_CVEs_at_midnight.zip`` wraps ``cves.zip``: both layers are
read) or its delta files (``delta.json``, ``deltaLog.json``), lazily, with a RecordProblem for each
bad record.
"""

from __future__ import annotations

import io
import os
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, Literal

import orjson

from vulndesk.core.advisories.jsonfields import array, fail, json_object, optional_str
from vulndesk.core.advisories.model import (
    Advisory,
    ExploitEvidence,
    LocalizedText,
    ProductStatement,
    Reference,
    Severity,
    VersionEntry,
)
from vulndesk.core.advisories.sources import (
    DEFAULT_ZIP_LIMITS,
    RawDocument,
    RecordProblem,
    ZipLimits,
    _checked_entries,  # the OSV reader's zip-bomb checks, shared
    _read_entry,
    parse_json_documents,
    read_file,
)
from vulndesk.core.errors import AdvisoryError, IdentifierError
from vulndesk.core.ids.purl import build_purl

__all__ = [
    "Cve5Change",
    "cve5_record_path",
    "iter_cve5_documents",
    "parse_cve5",
    "parse_cve5_delta",
    "parse_cve5_documents",
    "read_cve5",
    "read_cve5_delta",
    "reference_type",
]

_CVE_ID: Final = re.compile(r"CVE-(\d{4})-(\d{4,})")
_CVE_FILE: Final = re.compile(r"CVE-\d{4}-\d{4,}\.json")
_CWE_AT_START: Final = re.compile(r"\s*(CWE-\d+)\b")
_METRICS: Final = (
    ("cvssV4_0", "CVSS_V4"),
    ("cvssV3_1", "CVSS_V3"),
    ("cvssV3_0", "CVSS_V3"),
    ("cvssV2_0", "CVSS_V2"),
)
_STATUSES: Final = frozenset({"affected", "unaffected", "unknown"})

# Reference tags of CVE 5 (cve-schema "tags/reference-tags.json") and NVD (the same words,
# title-cased: "Vendor Advisory"), to OSV reference types, most telling first.
_REFERENCE_TYPES: Final = (
    ("exploit", "EVIDENCE"),
    ("patch", "FIX"),
    ("vendor-advisory", "ADVISORY"),
    ("third-party-advisory", "ADVISORY"),
    ("government-resource", "ADVISORY"),
    ("us-government-resource", "ADVISORY"),
    ("issue-tracking", "REPORT"),
    ("mailing-list", "DISCUSSION"),
    ("technical-description", "ARTICLE"),
    ("media-coverage", "ARTICLE"),
    ("press/media-coverage", "ARTICLE"),
    ("release-notes", "ARTICLE"),
)

# collectionURL -> purl type, for the registries CNAs name most (cve-schema's examples)
_COLLECTIONS: Final = {
    "https://pypi.org": "pypi",
    "https://pypi.python.org": "pypi",
    "https://www.npmjs.com": "npm",
    "https://registry.npmjs.org": "npm",
    "https://repo.maven.apache.org/maven2": "maven",
    "https://repo1.maven.org/maven2": "maven",
    "https://crates.io": "cargo",
    "https://rubygems.org": "gem",
    "https://pkg.go.dev": "golang",
    "https://proxy.golang.org": "golang",
    "https://www.nuget.org": "nuget",
    "https://api.nuget.org/v3/index.json": "nuget",
    "https://packagist.org": "composer",
}


def reference_type(tags: Iterable[str]) -> str:
    """Return the OSV reference type that a CVE 5 or NVD reference's tags say (WEB when none).

    ``exploit`` beats ``patch`` beats the advisory tags: a link to an exploit is what SSVC's
    "public PoC" looks for (reference/prioritization.md). Tags are compared case-insensitively
    with spaces as hyphens, so NVD's ``Vendor Advisory`` is CVE 5's ``vendor-advisory``.
    """
    normalised = {tag.strip().lower().replace(" ", "-") for tag in tags}
    for tag, kind in _REFERENCE_TYPES:
        if tag in normalised:
            return kind
    return "WEB"


# --- one record ----------------------------------------------------------------------------------


def _str(obj: dict[str, Any], key: str, source: str, path: str) -> str:
    value = obj.get(key)
    if type(value) is not str:
        if value is None:
            raise AdvisoryError(
                f"missing required field {key!r}", source=source, location=f"{path}.{key}"
            )
        raise fail(source, f"{path}.{key}", "a string", value)
    return value


def _str_list(obj: dict[str, Any], key: str, source: str, path: str) -> tuple[str, ...]:
    items = array(obj, key, source, path)
    for i, item in enumerate(items):
        if type(item) is not str:
            raise fail(source, f"{path}.{key}[{i}]", "a string", item)
    return tuple(items)


def _timestamp(obj: dict[str, Any], key: str, source: str, path: str) -> datetime | None:
    value = optional_str(obj, key, source, path)
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as e:
        raise fail(source, f"{path}.{key}", "an ISO 8601 timestamp", value) from e
    # CVE 5 timestamps are UTC; a few records omit the "Z"
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _texts(items: list[Any], source: str, path: str) -> list[LocalizedText]:
    out: list[LocalizedText] = []
    for i, item in enumerate(items):
        where = f"{path}[{i}]"
        item = json_object(item, source, where, "an object with lang and value")
        out.append(
            LocalizedText(_str(item, "lang", source, where), _str(item, "value", source, where))
        )
    return out


def _english(texts: Iterable[LocalizedText]) -> str | None:
    texts = list(texts)
    for text in texts:
        if text.lang.lower().startswith("en"):
            return text.text
    return texts[0].text if texts else None


def _versions(items: list[Any], source: str, path: str) -> tuple[VersionEntry, ...]:
    out: list[VersionEntry] = []
    for i, item in enumerate(items):
        where = f"{path}[{i}]"
        item = json_object(item, source, where, "a version object")
        status = _str(item, "status", source, where)
        if status not in _STATUSES:
            raise fail(source, f"{where}.status", "affected, unaffected or unknown", status)
        changes: list[tuple[str, str]] = []
        for j, change in enumerate(array(item, "changes", source, where)):
            at = f"{where}.changes[{j}]"
            change = json_object(change, source, at, "an object with at and status")
            change_status = _str(change, "status", source, at)
            if change_status not in _STATUSES:
                raise fail(source, f"{at}.status", "affected, unaffected or unknown", change_status)
            changes.append((_str(change, "at", source, at), change_status))
        out.append(
            VersionEntry(
                version=_str(item, "version", source, where),
                status=status,
                version_type=optional_str(item, "versionType", source, where),
                less_than=optional_str(item, "lessThan", source, where),
                less_than_or_equal=optional_str(item, "lessThanOrEqual", source, where),
                changes=tuple(changes),
            )
        )
    return tuple(out)


def _package_purl(collection: str | None, package: str | None) -> tuple[str, ...]:
    if not collection or not package:
        return ()
    kind = _COLLECTIONS.get(collection.rstrip("/").lower())
    if kind is None:
        return ()
    namespace: str | None = None
    name = package
    if kind == "maven" and ":" in package:
        namespace, name = package.split(":", 1)
    elif kind in ("npm", "golang", "composer") and "/" in package:
        namespace, name = package.rsplit("/", 1)
    try:
        return (build_purl(type=kind, namespace=namespace, name=name).to_string(),)
    except IdentifierError:
        return ()  # the name stays as written; only the derived purl is missing


def _products(items: list[Any], source: str, path: str) -> list[ProductStatement]:
    out: list[ProductStatement] = []
    for i, item in enumerate(items):
        where = f"{path}[{i}]"
        item = json_object(item, source, where, "an affected object")
        product = optional_str(item, "product", source, where)
        package = optional_str(item, "packageName", source, where)
        collection = optional_str(item, "collectionURL", source, where)
        if product is None and package is None:
            raise AdvisoryError(
                "expected product (with vendor) or packageName (with collectionURL)",
                source=source,
                location=where,
            )
        status = optional_str(item, "defaultStatus", source, where) or "unknown"
        if status not in _STATUSES:
            raise fail(source, f"{where}.defaultStatus", "affected, unaffected or unknown", status)
        out.append(
            ProductStatement(
                vendor=optional_str(item, "vendor", source, where) or collection or "",
                product=product if product is not None else package or "",
                versions=_versions(
                    array(item, "versions", source, where), source, f"{where}.versions"
                ),
                default_status=status,
                cpes=_str_list(item, "cpes", source, where),
                purls=_package_purl(collection, package),
                platforms=_str_list(item, "platforms", source, where),
                product_id=where,
            )
        )
    return out


def _cwes(items: list[Any], source: str, path: str) -> list[str]:
    out: list[str] = []
    for i, problem in enumerate(items):
        where = f"{path}[{i}]"
        problem = json_object(problem, source, where, "a problemTypes object")
        for j, item in enumerate(array(problem, "descriptions", source, where)):
            at = f"{where}.descriptions[{j}]"
            item = json_object(item, source, at, "a problem type description")
            cwe = optional_str(item, "cweId", source, at)
            if cwe is None:
                found = _CWE_AT_START.match(optional_str(item, "description", source, at) or "")
                cwe = found.group(1) if found else None
            if cwe is not None:
                out.append(cwe)
    return out


@dataclass(slots=True)
class _Collected:
    """What the containers of one record add up to, in container order."""

    titles: list[LocalizedText]
    descriptions: list[LocalizedText]
    severity: list[Severity]
    cwes: list[str]
    products: list[ProductStatement]
    references: dict[str, Reference]
    exploitation: list[ExploitEvidence]
    ssvc: list[dict[str, Any]]


def _metrics(
    items: list[Any], provider: str | None, source: str, path: str, into: _Collected
) -> None:
    for i, metric in enumerate(items):
        where = f"{path}[{i}]"
        metric = json_object(metric, source, where, "a metric object")
        for key, kind in _METRICS:
            if key in metric:
                data = json_object(metric[key], source, f"{where}.{key}")
                vector = _str(data, "vectorString", source, f"{where}.{key}")
                into.severity.append(Severity(kind, vector, provider))
        other = metric.get("other")
        if other is not None:
            _other_metric(
                json_object(other, source, f"{where}.other"),
                provider,
                source,
                f"{where}.other",
                into,
            )


def _other_metric(
    other: dict[str, Any], provider: str | None, source: str, path: str, into: _Collected
) -> None:
    kind = optional_str(other, "type", source, path)
    if kind not in ("ssvc", "kev"):
        return  # free-form by the schema: other types are not ours to read
    content = json_object(other.get("content"), source, f"{path}.content")
    where = f"{path}.content"
    who = provider or "unknown"
    if kind == "kev":
        into.exploitation.append(
            ExploitEvidence(
                kind="kev",
                source=who,
                date=_timestamp(content, "dateAdded", source, where),
                detail=optional_str(content, "reference", source, where) or "",
            )
        )
        return
    options: dict[str, str] = {}
    raw = content.get("options")
    # CISA writes a list of one-key objects; accept one object as well
    pairs = [raw] if type(raw) is dict else raw if type(raw) is list else None
    if pairs is None:
        raise fail(source, f"{where}.options", "an array of decision point objects", raw)
    for j, pair in enumerate(pairs):
        pair = json_object(pair, source, f"{where}.options[{j}]", "a decision point object")
        for point, value in pair.items():
            if type(value) is not str:
                raise fail(source, f"{where}.options[{j}].{point}", "a string", value)
            options[point] = value
    timestamp = _timestamp(content, "timestamp", source, where)
    into.ssvc.append(
        {
            "source": who,
            "role": optional_str(content, "role", source, where),
            "version": optional_str(content, "version", source, where),
            "timestamp": content.get("timestamp"),
            "options": options,
        }
    )
    if options.get("Exploitation", "").lower() == "active":
        into.exploitation.append(
            ExploitEvidence(
                kind="ssvc", source=who, date=timestamp, detail="SSVC Exploitation: active"
            )
        )


def _container(
    container: dict[str, Any], provider: str | None, source: str, path: str, into: _Collected
) -> None:
    title = optional_str(container, "title", source, path)
    if title:
        into.titles.append(LocalizedText("en", title))
    for text in _texts(
        array(container, "descriptions", source, path), source, f"{path}.descriptions"
    ):
        if text not in into.descriptions:
            into.descriptions.append(text)
    _metrics(array(container, "metrics", source, path), provider, source, f"{path}.metrics", into)
    for cwe in _cwes(
        array(container, "problemTypes", source, path), source, f"{path}.problemTypes"
    ):
        if cwe not in into.cwes:
            into.cwes.append(cwe)
    into.products += _products(
        array(container, "affected", source, path), source, f"{path}.affected"
    )
    for i, ref in enumerate(array(container, "references", source, path)):
        where = f"{path}.references[{i}]"
        ref = json_object(ref, source, where, "a reference object")
        url = _str(ref, "url", source, where)
        if url not in into.references:
            into.references[url] = Reference(
                reference_type(_str_list(ref, "tags", source, where)), url
            )


def _provider(container: dict[str, Any], source: str, path: str) -> str | None:
    meta = container.get("providerMetadata")
    if meta is None:
        return None
    return optional_str(
        json_object(meta, source, f"{path}.providerMetadata"),
        "shortName",
        source,
        f"{path}.providerMetadata",
    )


def parse_cve5(obj: object, *, source: str) -> Advisory:
    """Return the Advisory (source ``cve5``) of a CVE JSON 5.x record, already decoded.

    Raise AdvisoryError naming ``source`` and the JSON path of the first structural problem.
    """
    record = json_object(obj, source, "$", "a CVE record (a JSON object)")
    meta = json_object(record.get("cveMetadata"), source, "$.cveMetadata")
    ident = _str(meta, "cveId", source, "$.cveMetadata")
    if _CVE_ID.fullmatch(ident) is None:
        raise fail(source, "$.cveMetadata.cveId", "a CVE id (CVE-YYYY-NNNN)", ident)
    state = _str(meta, "state", source, "$.cveMetadata")
    if state not in ("PUBLISHED", "REJECTED"):
        raise fail(source, "$.cveMetadata.state", "PUBLISHED or REJECTED", state)
    dates = {
        key: _timestamp(meta, key, source, "$.cveMetadata")
        for key in ("dateUpdated", "datePublished", "dateRejected", "dateReserved")
    }
    modified = next((d for d in dates.values() if d is not None), None)
    if modified is None:
        raise AdvisoryError(
            "missing dateUpdated (and datePublished, dateRejected, dateReserved)",
            source=source,
            location="$.cveMetadata.dateUpdated",
        )
    containers = json_object(record.get("containers"), source, "$.containers")
    cna = json_object(containers.get("cna"), source, "$.containers.cna")
    into = _Collected([], [], [], [], [], {}, [], [])
    assigner = optional_str(meta, "assignerShortName", source, "$.cveMetadata")
    _container(
        cna,
        _provider(cna, source, "$.containers.cna") or assigner,
        source,
        "$.containers.cna",
        into,
    )
    for i, adp in enumerate(array(containers, "adp", source, "$.containers")):
        where = f"$.containers.adp[{i}]"
        adp = json_object(adp, source, where)
        _container(adp, _provider(adp, source, where), source, where, into)
    rejected = state == "REJECTED"
    if rejected:
        reasons = _texts(
            array(cna, "rejectedReasons", source, "$.containers.cna"),
            source,
            "$.containers.cna.rejectedReasons",
        )
        into.descriptions = reasons + [d for d in into.descriptions if d not in reasons]
    cna_title = optional_str(cna, "title", source, "$.containers.cna")
    specific: dict[str, Any] = {"state": state}
    if assigner is not None:
        specific["assignerShortName"] = assigner
    if into.ssvc:
        specific["ssvc"] = into.ssvc
    return Advisory(
        id=ident,
        modified=modified,
        published=dates["datePublished"],
        summary=cna_title or None,
        details=_english(into.descriptions),
        severity=tuple(into.severity),
        references=tuple(into.references.values()),
        database_specific=specific,
        schema_version=optional_str(record, "dataVersion", source, "$"),
        source="cve5",
        products=tuple(into.products),
        cwes=tuple(into.cwes),
        titles=tuple(into.titles),
        descriptions=tuple(into.descriptions),
        exploitation=tuple(into.exploitation),
        rejected=rejected,
    )


# --- the CVE List ---------------------------------------------------------------------------------


def cve5_record_path(root: Path, cve_id: str) -> Path:
    """Return where cvelistV5 keeps ``cve_id`` below ``root``.

    ``CVE-2024-1234`` is at ``cves/2024/1xxx/CVE-2024-1234.json``: the number divided by 1000.

    Raise AdvisoryError when ``cve_id`` is not a CVE id.
    """
    found = _CVE_ID.fullmatch(cve_id)
    if found is None:
        raise AdvisoryError(f"not a CVE id: {cve_id!r}")
    year, number = found.groups()
    return root / "cves" / year / f"{int(number) // 1000}xxx" / f"{cve_id}.json"


def _iter_checkout(root: Path, shown: str, limits: ZipLimits) -> Iterator[RawDocument]:
    # Only CVE-*.json: a checkout also holds delta.json, deltaLog.json and the repository's own
    # files, which are not records.
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for filename in sorted(filenames):
            if _CVE_FILE.fullmatch(filename) is None:
                continue
            full = Path(dirpath, filename)
            location = f"{shown.rstrip('/')}/{full.relative_to(root).as_posix()}"
            yield RawDocument(location, read_file(full, location, limits.max_entry_size))


def _iter_zip(
    archive: zipfile.ZipFile, shown: str, limits: ZipLimits
) -> Iterator[RawDocument | RecordProblem]:
    for info in _checked_entries(archive, shown, limits):
        location = f"{shown}!{info.filename}"
        name = info.filename.rsplit("/", 1)[-1]
        if name.endswith(".zip"):
            # the daily release asset wraps cves.zip: read it as a nested archive (held in
            # memory: its size passed the limits above)
            data = _read_entry(archive, info, location, limits)
            if isinstance(data, RecordProblem):
                yield data
                continue
            try:
                inner = zipfile.ZipFile(io.BytesIO(data))
            except zipfile.BadZipFile as e:
                raise AdvisoryError(f"not a readable zip archive: {e}", source=location) from e
            with inner:
                yield from _iter_zip(inner, location, limits)
            continue
        if _CVE_FILE.fullmatch(name) is None:
            yield RecordProblem(location, "ignored: not a CVE-*.json record", "ignored")
            continue
        entry = _read_entry(archive, info, location, limits)
        yield entry if isinstance(entry, RecordProblem) else RawDocument(location, entry)


def iter_cve5_documents(
    path: Path, *, limits: ZipLimits = DEFAULT_ZIP_LIMITS, display: str | None = None
) -> Iterator[RawDocument | RecordProblem]:
    """Yield each CVE record at ``path`` as raw bytes, in sorted order, one at a time.

    ``path`` is one ``CVE-*.json`` file, a cvelistV5 checkout (or any directory: every
    ``CVE-*.json`` below it, hidden directories skipped) or a release zip (records anywhere in
    it; a nested ``cves.zip`` is opened too). Zip entries that are not records yield ``ignored``
    RecordProblems. Raise AdvisoryError when ``path`` cannot be read or a zip exceeds ``limits``.
    """
    shown = str(path) if display is None else display
    if path.is_dir():
        yield from _iter_checkout(path, shown, limits)
        return
    data_head = read_file(path, shown, limits.max_entry_size) if path.suffix == ".json" else None
    if data_head is not None:
        yield RawDocument(shown, data_head)
        return
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as e:
        raise AdvisoryError(
            f"not a CVE record (.json), a cvelistV5 directory or a readable zip: {e}", source=shown
        ) from e
    with archive:
        yield from _iter_zip(archive, shown, limits)


def parse_cve5_documents(
    documents: Iterable[RawDocument | RecordProblem],
) -> Iterator[Advisory | RecordProblem]:
    """Yield the Advisory of each CVE record, or a RecordProblem naming its location and path."""
    return parse_json_documents(documents, parse_cve5)


def read_cve5(
    path: Path, *, limits: ZipLimits = DEFAULT_ZIP_LIMITS, display: str | None = None
) -> Iterator[Advisory | RecordProblem]:
    """Yield every CVE record at ``path`` (file, checkout or zip), or a RecordProblem per bad."""
    return parse_cve5_documents(iter_cve5_documents(path, limits=limits, display=display))


# --- delta files ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Cve5Change:
    """One record a cvelistV5 delta file lists as new or updated, with where to fetch it."""

    cve_id: str
    change: Literal["new", "updated"]
    date_updated: datetime | None = None
    github_link: str | None = None


def _delta_entries(delta: dict[str, Any], source: str, path: str) -> Iterator[Cve5Change]:
    for change in ("new", "updated"):
        for i, item in enumerate(array(delta, change, source, path)):
            where = f"{path}.{change}[{i}]"
            item = json_object(item, source, where, "an object with cveId")
            ident = _str(item, "cveId", source, where)
            if _CVE_ID.fullmatch(ident) is None:
                raise fail(source, f"{where}.cveId", "a CVE id", ident)
            yield Cve5Change(
                ident,
                "new" if change == "new" else "updated",
                _timestamp(item, "dateUpdated", source, where),
                optional_str(item, "githubLink", source, where),
            )


def parse_cve5_delta(obj: object, *, source: str) -> tuple[Cve5Change, ...]:
    """Return the records a ``delta.json`` (one object) or ``deltaLog.json`` (an array of them)
    lists, once per CVE id: the latest ``dateUpdated`` wins, ``new`` is kept once seen.

    Raise AdvisoryError with the JSON path of a malformed entry.
    """
    deltas = (
        [(obj, "$")]
        if type(obj) is dict
        else [(item, f"$[{i}]") for i, item in enumerate(obj)]
        if type(obj) is list
        else None
    )
    if deltas is None:
        raise fail(source, "$", "a delta object or an array of them", obj)
    latest: dict[str, Cve5Change] = {}
    for delta, path in deltas:
        for change in _delta_entries(json_object(delta, source, path), source, path):
            seen = latest.get(change.cve_id)
            if seen is None:
                latest[change.cve_id] = change
                continue
            newer = _later(change.date_updated, seen.date_updated)
            kind: Literal["new", "updated"] = (
                "new" if "new" in (seen.change, change.change) else "updated"
            )
            base = change if newer else seen
            latest[change.cve_id] = Cve5Change(
                change.cve_id, kind, base.date_updated, base.github_link
            )
    return tuple(sorted(latest.values(), key=lambda c: c.cve_id))


def _later(a: datetime | None, b: datetime | None) -> bool:
    return a is not None and (b is None or a > b)


def read_cve5_delta(
    delta_file: Path, checkout: Path, *, display: str | None = None
) -> Iterator[Advisory | RecordProblem]:
    """Yield the records ``delta_file`` lists as new or updated, read from the ``checkout``.

    A listed record missing from the checkout yields a RecordProblem (the checkout is older than
    the delta file). Raise AdvisoryError when the delta file itself cannot be read.
    """
    shown = str(delta_file) if display is None else display
    data = read_file(delta_file, shown, DEFAULT_ZIP_LIMITS.max_entry_size)
    try:
        obj = orjson.loads(data)
    except orjson.JSONDecodeError as e:
        raise AdvisoryError(f"not valid JSON: {e}", source=shown) from e
    for change in parse_cve5_delta(obj, source=shown):
        path = cve5_record_path(checkout, change.cve_id)
        if not path.is_file():
            yield RecordProblem(
                str(path), f"{change.cve_id} is listed in {shown} but not in the checkout"
            )
            continue
        limit = DEFAULT_ZIP_LIMITS.max_entry_size
        yield from parse_cve5_documents([RawDocument(str(path), read_file(path, str(path), limit))])
