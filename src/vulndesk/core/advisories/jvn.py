"""The JVN codec: JVN iPedia / MyJVN documents (JVNRSS, VULDEF, JVN CSAF) to :class:`Advisory`.

Three documents of the MyJVN API (reference/feeds.md, "JVN iPedia / MyJVN API"), all read into
Advisories with ``source="jvn"``:

- **JVNRSS** (``getVulnOverviewList``, and the RSS feeds ``jvndb_new.rdf``): RSS 1.0 items with
  the ``sec:`` module. ``sec:identifier`` (JVNDB-YYYY-NNNNNN) is the id; ``title`` a title and
  ``summary``; ``description`` a description and ``details``; ``link`` an ADVISORY reference;
  ``sec:references`` name CVE and JVN ids (-> ``aliases``), CWE ids (-> ``cwes``) and their URLs
  (-> references); ``sec:cpe`` (attributes ``vendor``, ``product``; ``version`` is the CPE
  binding's version, not the product's) -> one :class:`ProductStatement` per vendor/product with
  the CPE names as CPE 2.3; ``sec:cvss`` -> :class:`Severity` rated by ``JVN`` (v2 vectors lose
  JVN's parentheses); ``dcterms:issued`` is ``published``, ``dcterms:modified`` (else
  ``dc:date``) is ``modified``.
- **VULDEF** (``getVulnDetailInfo``): ``Vulinfo/VulinfoID`` is the id; ``VulinfoData`` gives
  ``Title``, ``VulinfoDescription/Overview``, ``Affected/AffectedItem`` (``Name`` = vendor,
  ``ProductName``, ``Cpe``, ``VersionNumber``), ``Impact/Cvss`` (``Base``, ``Vector``),
  ``Solution`` (kept in ``database_specific["solutions"]``), ``Related/RelatedItem`` (CVE/JVN ids,
  CWE ids, URLs), ``DateFirstPublished`` and ``DateLastUpdated``. ``VersionNumber`` is free text
  ("1.0.0 およびそれ以前": "1.0.0 and earlier"), kept as a :class:`VersionEntry` with
  ``version_type="jvn-text"``: it names versions in words, never one to compare exactly.
- **JVN CSAF** (``getVulnDetailInfo`` with ``feed=oka``, MyJVN API 4.0; :func:`parse_jvn_csaf`):
  one JVN iPedia record as a CSAF document, read with the CSAF codec
  (:mod:`vulndesk.core.advisories.csaf`) and folded into one JVN record like VULDEF's: the
  tracking id (``JVNDB-YYYY-NNNNNN``) is the id, every vulnerability's CVE an alias, their
  product statements, scores, CWEs and references together, severity rated by ``JVN``,
  remediation texts in ``database_specific["solutions"]``. What reference/feeds.md says of this
  API is one line ("answers JSON and gives detail records as CSAF"); the rest follows MyJVN's own
  documentation (github.com/MyJVN/np, ``docs/getVulnDetailInfo_api_oka.md`` and its examples;
  its JSON schema is "TBD"), checked against no live answer. The answer is "CSAF 2.1-based"
  (``csaf_version`` "2.1", ``category`` ``myjvn_security_advisory``, scores in ``metrics[]``,
  ``cwes[]``, ``"cve": ""`` when there is none), carries MyJVN's ``status`` object (``retCd`` 1
  and ``errCd``/``errMsg`` on error, read here as for the XML documents) and a ``jvn_extension``
  whose ``affected[]`` (vendor, product, CVE 5-style ``versions[]``) is the only place the
  affected versions are: they become the versions of the product statement of the same vendor
  and product, where the product tree named no version for an affected product.

Text is in the document's language: ``lang`` given by the caller, else the root's ``xml:lang``
(CSAF: ``document.lang``), else the ``status:Status`` ``lang`` attribute, else ``ja`` (JVN
iPedia's primary language). The Japanese and English feeds describe the same records: each
language's document is read as a record of its own (the server keeps both, as two records of one
vulnerability, ``jvn:<id>@ja`` and ``jvn:<id>@en``).

Elements are matched by their *local* name, whatever the namespace: MyJVN has served several
versions of the ``sec:`` module (``http://jvn.jp/rss/mod_sec/3.0/`` today, 2.0 before) and of the
VULDEF namespace (``http://jvndb.jvn.jp/myjvn/VULDEF``), and no local name we read means two
different things in these documents (the namespaces are listed below for reference).

XML is parsed with defusedxml: a document declaring entities (billion laughs) or referring to
external ones is refused with an AdvisoryError, never expanded.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Final
from xml.etree.ElementTree import Element, ParseError

import orjson
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from vulndesk.core.advisories.csaf import csaf_document_id, parse_csaf
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
from vulndesk.core.advisories.sources import RecordProblem, read_file
from vulndesk.core.errors import AdvisoryError, IdentifierError
from vulndesk.core.ids.cpe import parse_cpe

__all__ = [
    "NAMESPACES",
    "parse_jvn",
    "parse_jvn_csaf",
    "parse_jvnrss",
    "parse_vuldef",
    "read_jvn",
]

#: The namespaces of the documents read here (matching is by local name; see the docstring).
NAMESPACES: Final = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rss": "http://purl.org/rss/1.0/",
    "sec": "http://jvn.jp/rss/mod_sec/3.0/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "dcterms": "http://purl.org/dc/terms/",
    "vuldef": "http://jvndb.jvn.jp/myjvn/VULDEF",
    "status": "http://jvndb.jvn.jp/myjvn/Status",
}
_XML_LANG: Final = "{http://www.w3.org/XML/1998/namespace}lang"
_JST: Final = timezone(timedelta(hours=9))
_MAX_DOCUMENT: Final = 64 << 20

_CVE: Final = re.compile(r"CVE-\d{4}-\d{4,}")
_JVN_ID: Final = re.compile(r"JVN(?:VU|TA)?#\d{8}|JVNDB-\d{4}-\d{6}")
_CWE: Final = re.compile(r"CWE-\d+")
_JVNDB_ID: Final = re.compile(r"JVNDB-\d{4}-\d{6}")
_UTF8_BOM: Final = b"\xef\xbb\xbf"


# --- XML helpers ----------------------------------------------------------------------------------


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _children(elem: Element, name: str) -> list[Element]:
    return [child for child in elem if _local(child.tag) == name]


def _child(elem: Element, name: str) -> Element | None:
    return next((child for child in elem if _local(child.tag) == name), None)


def _text(elem: Element | None) -> str | None:
    if elem is None or elem.text is None:
        return None
    text = elem.text.strip()
    return text or None


def _child_text(elem: Element, *names: str) -> str | None:
    """Return the text of the element at the local-name path ``names`` below ``elem``."""
    current: Element | None = elem
    for name in names:
        if current is None:
            return None
        current = _child(current, name)
    return _text(current)


def _parse_xml(data: bytes, source: str) -> Element:
    try:
        root: Element = fromstring(data, forbid_dtd=False, forbid_entities=True)
    except DefusedXmlException as e:
        raise AdvisoryError(
            f"refused: the document declares or refers to XML entities ({e}); JVN documents "
            "never need them, and expanding them is how entity bombs and file disclosure work",
            source=source,
        ) from e
    except ParseError as e:
        line, column = e.position
        raise AdvisoryError(
            f"not well-formed XML: {e}", source=source, location=f"line {line}, column {column}"
        ) from e
    return root


def _timestamp(text: str | None, source: str, path: str) -> datetime | None:
    if text is None:
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as e:
        raise AdvisoryError(
            f"expected a W3C date-time (2024-01-10T12:00+09:00), got {text!r}",
            source=source,
            location=path,
        ) from e
    # JVN writes +09:00 explicitly; a bare date is a Japanese calendar day
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=_JST)


def _cpe23(text: str, source: str, path: str) -> str:
    try:
        return parse_cpe(text).to_formatted_string()
    except IdentifierError as e:
        raise AdvisoryError(str(e), source=source, location=path) from e


def _severity(version: str | None, vector: str | None, source: str, path: str) -> Severity:
    if not vector:
        raise AdvisoryError("a CVSS entry without a vector", source=source, location=path)
    vector = vector.strip().removeprefix("(").removesuffix(")")  # JVN writes v2 as "(AV:N/...)"
    major = (version or "").split(".", 1)[0] or (
        vector.removeprefix("CVSS:").split(".", 1)[0] if vector.startswith("CVSS:") else "2"
    )
    kind = {"2": "CVSS_V2", "3": "CVSS_V3", "4": "CVSS_V4"}.get(major)
    if kind is None:
        raise AdvisoryError(
            f"expected CVSS version 2.0, 3.x or 4.0, got {version!r}",
            source=source,
            location=f"{path}/@version",
        )
    return Severity(kind, vector, "JVN")


def _document_lang(root: Element, lang: str | None) -> str:
    if lang:
        return lang
    declared = root.get(_XML_LANG)
    if declared:
        return declared
    status = next((e for e in root.iter() if _local(e.tag) == "Status"), None)
    return (status.get("lang") if status is not None else None) or "ja"


def _check_status(root: Element, source: str) -> None:
    # MyJVN reports API errors in-band: <status:Status retCd="1" errCd=... errMsg=.../>
    status = next((e for e in root if _local(e.tag) == "Status"), None)
    if status is not None and status.get("retCd", "0") not in ("", "0"):
        code, message = status.get("errCd", ""), status.get("errMsg", "")
        raise AdvisoryError(
            f"MyJVN answered an error: {code} {message}".strip(),
            source=source,
            location="status:Status",
        )


class _Ids:
    """Ids, CWEs and references a record names, in order and once each."""

    def __init__(self) -> None:
        self.aliases: list[str] = []
        self.cwes: list[str] = []
        self.references: dict[str, Reference] = {}

    def add(self, ident: str | None, url: str | None, own_id: str, kind: str = "ADVISORY") -> None:
        if ident:
            ident = ident.strip()
            if _CWE.fullmatch(ident):
                if ident not in self.cwes:
                    self.cwes.append(ident)
                kind = "WEB"
            elif (_CVE.fullmatch(ident) or _JVN_ID.fullmatch(ident)) and ident not in (
                own_id,
                *self.aliases,
            ):
                self.aliases.append(ident)
        if url and url not in self.references:
            self.references[url] = Reference(kind, url)


def _statements(
    rows: Iterable[tuple[str, str, str | None, tuple[VersionEntry, ...]]],
) -> tuple[ProductStatement, ...]:
    """Return one ProductStatement per (vendor, product), joining CPEs and versions in order."""
    grouped: dict[tuple[str, str], tuple[list[str], list[VersionEntry]]] = {}
    for vendor, product, cpe, versions in rows:
        cpes, entries = grouped.setdefault((vendor, product), ([], []))
        if cpe is not None and cpe not in cpes:
            cpes.append(cpe)
        entries += [v for v in versions if v not in entries]
    return tuple(
        ProductStatement(vendor, product, tuple(entries), cpes=tuple(cpes))
        for (vendor, product), (cpes, entries) in grouped.items()
    )


# --- JVNRSS ---------------------------------------------------------------------------------------


def _rss_item(item: Element, lang: str, source: str, path: str) -> Advisory:
    ident = _child_text(item, "identifier")
    if ident is None:
        raise AdvisoryError(
            "missing sec:identifier (the JVNDB id)",
            source=source,
            location=f"{path}/sec:identifier",
        )
    published = _timestamp(_child_text(item, "issued"), source, f"{path}/dcterms:issued")
    modified = (
        _timestamp(_child_text(item, "modified"), source, f"{path}/dcterms:modified")
        or _timestamp(_child_text(item, "date"), source, f"{path}/dc:date")
        or published
    )
    if modified is None:
        raise AdvisoryError(
            "missing dcterms:modified, dc:date and dcterms:issued: the item has no date",
            source=source,
            location=path,
        )
    title = _child_text(item, "title")
    description = _child_text(item, "description")
    ids = _Ids()
    link = _child_text(item, "link")
    if link:
        ids.add(None, link, ident)
    for ref in _children(item, "references"):
        ids.add(ref.get("id"), _text(ref), ident, "ADVISORY" if ref.get("source") else "WEB")
    rows: list[tuple[str, str, str | None, tuple[VersionEntry, ...]]] = []
    for i, cpe in enumerate(_children(item, "cpe"), start=1):
        where = f"{path}/sec:cpe[{i}]"
        name = _text(cpe)
        rows.append(
            (
                cpe.get("vendor", "").strip(),
                cpe.get("product", "").strip(),
                _cpe23(name, source, where) if name else None,
                (),
            )
        )
    severity = tuple(
        _severity(cvss.get("version"), cvss.get("vector"), source, f"{path}/sec:cvss[{i}]")
        for i, cvss in enumerate(_children(item, "cvss"), start=1)
    )
    return Advisory(
        id=ident,
        modified=modified,
        published=published,
        aliases=tuple(ids.aliases),
        summary=title,
        details=description,
        severity=severity,
        references=tuple(ids.references.values()),
        source="jvn",
        products=_statements(rows),
        cwes=tuple(ids.cwes),
        titles=(LocalizedText(lang, title),) if title else (),
        descriptions=(LocalizedText(lang, description),) if description else (),
    )


def parse_jvnrss(
    data: bytes, *, source: str, lang: str | None = None
) -> list[Advisory | RecordProblem]:
    """Return the Advisory of each item of a JVNRSS document, or a RecordProblem for a bad one.

    A RecordProblem's location is ``source:/rdf:RDF/item[3]`` (1-based, as in XPath) and its
    message names the element at fault. Raise AdvisoryError when the document is not XML,
    declares entities, is not RSS 1.0 or carries a MyJVN error status.
    """
    return _records(data, source, lang, ("RDF", "rdf:RDF", "JVNRSS"), "item", _rss_item)


_ItemReader = Callable[[Element, str, str, str], Advisory]


def _records(
    data: bytes,
    source: str,
    lang: str | None,
    root_names: tuple[str, str, str],
    child: str,
    read: _ItemReader,
) -> list[Advisory | RecordProblem]:
    """Return ``read(element, lang, source, path)`` of each ``child`` of the document's root, or
    a RecordProblem for a bad one; raise AdvisoryError when the document is not XML, declares
    entities, has another root than ``root_names`` (local name, as written, format) says, or
    carries a MyJVN error status."""
    local, written, format_name = root_names
    root = _parse_xml(data, source)
    if _local(root.tag) != local:
        raise AdvisoryError(
            f"not {format_name}: the root element is {_local(root.tag)!r}, expected {written}",
            source=source,
        )
    _check_status(root, source)
    lang = _document_lang(root, lang)
    out: list[Advisory | RecordProblem] = []
    for i, element in enumerate(_children(root, child), start=1):
        path = f"/{written}/{child}[{i}]"
        try:
            out.append(read(element, lang, source, path))
        except AdvisoryError as e:
            out.append(RecordProblem(f"{source}:{path}", f"{e.location}: {e.message}"))
    return out


# --- VULDEF ---------------------------------------------------------------------------------------


def _vuldef_products(
    data: Element, source: str, path: str
) -> list[tuple[str, str, str | None, tuple[VersionEntry, ...]]]:
    rows: list[tuple[str, str, str | None, tuple[VersionEntry, ...]]] = []
    affected = _child(data, "Affected")
    if affected is None:
        return rows
    for i, item in enumerate(_children(affected, "AffectedItem"), start=1):
        where = f"{path}/Affected/AffectedItem[{i}]"
        cpe = _child_text(item, "Cpe")
        versions = tuple(
            VersionEntry(text, "affected", version_type="jvn-text")
            for text in (_text(v) for v in _children(item, "VersionNumber"))
            if text
        )
        rows.append(
            (
                _child_text(item, "Name") or "",
                _child_text(item, "ProductName") or "",
                _cpe23(cpe, source, f"{where}/Cpe") if cpe else None,
                versions,
            )
        )
    return rows


def _vulinfo(vulinfo: Element, lang: str, source: str, path: str) -> Advisory:
    ident = _child_text(vulinfo, "VulinfoID")
    if ident is None:
        raise AdvisoryError("missing VulinfoID", source=source, location=f"{path}/VulinfoID")
    data = _child(vulinfo, "VulinfoData")
    if data is None:
        raise AdvisoryError("missing VulinfoData", source=source, location=f"{path}/VulinfoData")
    where = f"{path}/VulinfoData"
    published = _timestamp(
        _child_text(data, "DateFirstPublished"), source, f"{where}/DateFirstPublished"
    )
    modified = (
        _timestamp(_child_text(data, "DateLastUpdated"), source, f"{where}/DateLastUpdated")
        or published
    )
    if modified is None:
        raise AdvisoryError(
            "missing DateLastUpdated and DateFirstPublished", source=source, location=where
        )
    title = _child_text(data, "Title")
    overview = _child_text(data, "VulinfoDescription", "Overview")
    severity: list[Severity] = []
    impact = _child(data, "Impact")
    for i, cvss in enumerate(_children(impact, "Cvss") if impact is not None else (), start=1):
        severity.append(
            _severity(
                cvss.get("version"),
                _child_text(cvss, "Vector"),
                source,
                f"{where}/Impact/Cvss[{i}]",
            )
        )
    ids = _Ids()
    related = _child(data, "Related")
    for item in _children(related, "RelatedItem") if related is not None else ():
        kind = "WEB" if item.get("type") == "cwe" else "ADVISORY"
        ids.add(_child_text(item, "VulinfoID"), _child_text(item, "URL"), ident, kind)
    solution = _child(data, "Solution")
    solutions = [
        text
        for text in (
            _child_text(s, "Description")
            for s in (_children(solution, "SolutionItem") if solution is not None else ())
        )
        if text
    ]
    specific: dict[str, Any] | None = {"solutions": solutions} if solutions else None
    return Advisory(
        id=ident,
        modified=modified,
        published=published,
        aliases=tuple(ids.aliases),
        summary=title,
        details=overview,
        severity=tuple(severity),
        references=tuple(ids.references.values()),
        database_specific=specific,
        source="jvn",
        products=_statements(_vuldef_products(data, source, where)),
        cwes=tuple(ids.cwes),
        titles=(LocalizedText(lang, title),) if title else (),
        descriptions=(LocalizedText(lang, overview),) if overview else (),
    )


def parse_vuldef(
    data: bytes, *, source: str, lang: str | None = None
) -> list[Advisory | RecordProblem]:
    """Return the Advisory of each ``Vulinfo`` of a VULDEF document, or a RecordProblem per bad one.

    Raise AdvisoryError when the document is not XML, declares entities, is not VULDEF or carries
    a MyJVN error status.
    """
    return _records(
        data, source, lang, ("VULDEF-Document", "VULDEF-Document", "VULDEF"), "Vulinfo", _vulinfo
    )


# --- JVN CSAF ------------------------------------------------------------------------------------


def _check_json_status(doc: dict[str, Any], source: str) -> None:
    # MyJVN API 4.0 answers its common status as an object ("status"; "status:Status" in an
    # older version of its documentation), with retCd 0 or 1 as a number or a string
    for key in ("status", "status:Status"):
        status = doc.get(key)
        if isinstance(status, dict) and str(status.get("retCd", "0")).strip() not in ("", "0"):
            code, message = status.get("errCd") or "", status.get("errMsg") or ""
            raise AdvisoryError(
                f"MyJVN answered an error: {code} {message}".strip(),
                source=source,
                location=f"$.{key}",
            )


def _extension_versions(
    doc: dict[str, Any], source: str
) -> dict[tuple[str, str], tuple[VersionEntry, ...]]:
    """Return the versions ``jvn_extension.affected[]`` gives per (vendor, product)."""
    if doc.get("jvn_extension") is None:
        return {}
    extension = json_object(doc["jvn_extension"], source, "$.jvn_extension")
    out: dict[tuple[str, str], tuple[VersionEntry, ...]] = {}
    for i, value in enumerate(array(extension, "affected", source, "$.jvn_extension")):
        where = f"$.jvn_extension.affected[{i}]"
        item = json_object(value, source, where)
        if "vendor" not in item and "product" not in item:
            continue  # MyJVN's documentation opens the list with a {"$comment": ...} element
        vendor = (optional_str(item, "vendor", source, where) or "").strip()
        product = (optional_str(item, "product", source, where) or "").strip()
        entries: list[VersionEntry] = []
        for j, entry_value in enumerate(array(item, "versions", source, where)):
            at = f"{where}.versions[{j}]"
            entry = json_object(entry_value, source, at)
            version = optional_str(entry, "version", source, at)
            status = optional_str(entry, "status", source, at)
            if not version or not version.strip():
                raise fail(source, f"{at}.version", "a non-empty string", version)
            if status not in ("affected", "unaffected", "unknown"):
                raise fail(source, f"{at}.status", "affected, unaffected or unknown", status)
            version_type = optional_str(entry, "versionType", source, at)
            entries.append(
                VersionEntry(
                    version.strip(),
                    status,
                    # "custom": JVN's word for "no particular scheme"
                    None if version_type in (None, "", "custom") else version_type,
                    less_than=optional_str(entry, "lessThan", source, at),
                    less_than_or_equal=optional_str(entry, "lessThanOrEqual", source, at),
                )
            )
        out[(vendor, product)] = out.get((vendor, product), ()) + tuple(entries)
    return out


def _with_versions(
    statements: list[ProductStatement],
    versions: dict[tuple[str, str], tuple[VersionEntry, ...]],
) -> tuple[ProductStatement, ...]:
    """Return ``statements`` with the extension's versions on the affected products the product
    tree named without a version, and a statement of their own for products it did not name."""
    out: list[ProductStatement] = []
    used: set[tuple[str, str]] = set()
    for statement in statements:
        key = (statement.vendor, statement.product)
        if key in versions and statement.default_status == "affected" and not statement.versions:
            used.add(key)
            # the listed versions are what JVN knows affected; of the others it says nothing
            statement = replace(statement, versions=versions[key], default_status="unknown")
        out.append(statement)
    for (vendor, product), entries in versions.items():
        if (vendor, product) not in used and not any(
            s.vendor == vendor and s.product == product for s in out
        ):
            out.append(ProductStatement(vendor, product, entries))
    return tuple(out)


def _solutions(doc: dict[str, Any]) -> list[str]:
    """Return the remediation texts of every vulnerability, once each (parse_csaf checked the
    shapes)."""
    texts: list[str] = []
    for vuln in doc.get("vulnerabilities") or ():
        for remedy in vuln.get("remediations") or ():
            text = remedy.get("details")
            if isinstance(text, str) and text.strip() and text.strip() not in texts:
                texts.append(text.strip())
    return texts


def _unique(items: Iterable[Any]) -> list[Any]:
    return list(dict.fromkeys(items))


def parse_jvn_csaf(obj: object, *, source: str, lang: str | None = None) -> Advisory:
    """Return the JVN record a JVN iPedia CSAF document (decoded JSON) holds (module docstring).

    Raise AdvisoryError naming ``source`` and the JSON path when it is not a CSAF document, its
    tracking id is not a JVN iPedia id, it lists no vulnerability, or it carries a MyJVN error.
    """
    doc = json_object(obj, source, "$", "a CSAF document (a JSON object)")
    _check_json_status(doc, source)
    parts = parse_csaf(doc, source=source)
    record_id = csaf_document_id(doc)
    if not _JVNDB_ID.fullmatch(record_id):
        raise AdvisoryError(
            f"not a JVN iPedia record: the tracking id is {record_id!r}, expected "
            "JVNDB-YYYY-NNNNNN",
            source=source,
            location="$.document.tracking.id",
        )
    if not parts:
        raise AdvisoryError(
            "a JVN iPedia record without vulnerabilities: nothing to match",
            source=source,
            location="$.vulnerabilities",
        )
    document = doc["document"]
    lang = lang or optional_str(document, "lang", source, "$.document") or "ja"
    title = parts[0].titles[0].text if parts[0].titles else None
    details = "\n\n".join(_unique(p.details for p in parts if p.details)) or None
    first = dict(parts[0].database_specific or {}).get("csaf") or {}
    specific: dict[str, Any] = {
        "csaf": {
            **{k: v for k, v in first.items() if k not in ("vulnerability", "product_status")},
            "product_status": [
                (p.database_specific or {})["csaf"]["product_status"] for p in parts
            ],
        }
    }
    solutions = _solutions(doc)
    if solutions:
        specific["solutions"] = solutions
    statements: list[ProductStatement] = _unique(s for p in parts for s in p.products)
    exploitation: list[ExploitEvidence] = _unique(e for p in parts for e in p.exploitation)
    return Advisory(
        id=record_id,
        modified=parts[0].modified,
        published=parts[0].published,
        aliases=tuple(_unique(a for p in parts for a in p.aliases if a != record_id)),
        summary=title,
        details=details,
        severity=tuple(
            _unique(Severity(s.type, s.score, "JVN") for p in parts for s in p.severity)
        ),
        references=tuple(_unique(r for p in parts for r in p.references)),
        database_specific=specific,
        schema_version=parts[0].schema_version,
        source="jvn",
        products=_with_versions(statements, _extension_versions(doc, source)),
        cwes=tuple(_unique(c for p in parts for c in p.cwes if _CWE.fullmatch(c))),
        titles=(LocalizedText(lang, title),) if title else (),
        descriptions=(LocalizedText(lang, details),) if details else (),
        exploitation=tuple(exploitation),
    )


def _jvn_json(data: bytes, source: str, lang: str | None) -> list[Advisory | RecordProblem]:
    try:
        obj = orjson.loads(data.removeprefix(_UTF8_BOM))
    except orjson.JSONDecodeError as e:
        raise AdvisoryError(
            f"not valid JSON (a JVN CSAF document was expected): {e}", source=source
        ) from e
    return [parse_jvn_csaf(obj, source=source, lang=lang)]


def parse_jvn(
    data: bytes, *, source: str, lang: str | None = None
) -> list[Advisory | RecordProblem]:
    """Return the records of a JVNRSS, VULDEF or JVN CSAF document, telling them apart by the
    root (a JSON object is a JVN CSAF document)."""
    if data.removeprefix(_UTF8_BOM).lstrip()[:1] == b"{":
        return _jvn_json(data, source, lang)
    root_name = _local(_parse_xml(data, source).tag)
    if root_name == "VULDEF-Document":
        return parse_vuldef(data, source=source, lang=lang)
    if root_name == "RDF":
        return parse_jvnrss(data, source=source, lang=lang)
    raise AdvisoryError(
        f"not a JVN document: the root element is {root_name!r}, expected rdf:RDF (JVNRSS) or "
        "VULDEF-Document",
        source=source,
    )


def read_jvn(
    path: Path, *, lang: str | None = None, display: str | None = None
) -> Iterator[Advisory | RecordProblem]:
    """Yield the records of the JVN document at ``path``, or of each ``*.xml``/``*.rdf`` below it.

    Raise AdvisoryError when a file cannot be read or is not a JVN document.
    """
    shown = str(path) if display is None else display
    files = (
        sorted(p for p in path.rglob("*") if p.suffix in (".xml", ".rdf") and p.is_file())
        if path.is_dir()
        else [path]
    )
    for file in files:
        where = shown if file == path else f"{shown.rstrip('/')}/{file.relative_to(path)}"
        yield from parse_jvn(read_file(file, where, _MAX_DOCUMENT), source=where, lang=lang)
