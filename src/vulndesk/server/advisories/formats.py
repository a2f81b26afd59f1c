"""Telling a feed file's format from its first bytes, and reading the records of the non-OSV
formats (NVD, CVE 5, CSAF, JVN, EUVD) with their original text, for an import.

Free of Django like ``reading.py``: everything an import does before the database. Each reader
yields ``(advisory, raw text, location)`` — what ``services.records_import`` takes — or a
``RecordProblem``; a source holding one record (a single CVE 5 or CSAF file, one EUVD item)
raises AdvisoryError for a bad record instead, so that a bad single file stores nothing, while
a bad record of a bulk source (an NVD file, a directory, a zip, a JVN or EUVD list) is reported
and skipped.
"""

from __future__ import annotations

import gzip
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Final
from xml.etree.ElementTree import Element, tostring

import orjson
from defusedxml.ElementTree import fromstring as xml_fromstring

from vulndesk.core.advisories import csaf, cve5, euvd, jvn, nvd
from vulndesk.core.advisories.model import Advisory
from vulndesk.core.advisories.sources import (
    RawDocument,
    RecordProblem,
    iter_osv_documents,
    read_file,
)
from vulndesk.core.errors import AdvisoryError, InputError

__all__ = [
    "ADVISORY_FORMATS",
    "FORMATS",
    "SourceRecord",
    "detect_format",
    "read_records",
]

#: formats whose records are advisories (stored in ``Advisory``)
ADVISORY_FORMATS: Final = ("osv", "nvd", "cve5", "csaf", "jvn", "euvd")
#: every format an import takes: advisories, the KEV catalog and EPSS scores
FORMATS: Final = (*ADVISORY_FORMATS, "kev", "epss")

#: one record as read: the codec's advisory, its text as received, and where it was
SourceRecord = tuple[Advisory, str, str]

_HEAD: Final = 64 << 10  # enough to see the top-level keys of every format
_MAX_DOCUMENT: Final = 64 << 20  # JVN and EUVD documents, as their codecs bound them

_NVD: Final = re.compile(rb'"format"\s*:\s*"NVD_CVE"')
_CVE5: Final = re.compile(rb'"dataType"\s*:\s*"CVE_RECORD"')
_CSAF: Final = re.compile(rb'"csaf_version"\s*:')
_EUVD: Final = re.compile(rb'"id"\s*:\s*"EUVD-|"enisaUuid"\s*:|"enisaIdProduct"\s*:')
_KEV: Final = re.compile(rb'"catalogVersion"\s*:')
_KEV_CSV: Final = re.compile(rb"^cveID,vendorProject,")
_EPSS: Final = re.compile(rb"^(#model_version:|cve,epss,percentile)")
_OSV: Final = re.compile(rb'"modified"\s*:')
_PROVIDER_FILES: Final = frozenset(
    {"provider-metadata.json", "aggregator.json", "service.json", "category.json"}
)


def detect_format(path: Path) -> str:
    """Return the format of the feed at ``path``: osv, nvd, cve5, csaf, jvn, euvd, kev or epss.

    Told from the first bytes of the file (of the first record file of a directory or zip, of
    the decompressed text of a ``.gz``): an NVD API page (``"format": "NVD_CVE"``), a CVE 5 record
    (``"dataType": "CVE_RECORD"``), a CSAF document (``csaf_version``), an EUVD item or page
    (``EUVD-`` ids), the KEV catalog (``catalogVersion``, or its CSV header), an EPSS file (its
    comment line or header), JVNRSS or VULDEF XML, else an OSV record (``modified``). Raise
    InputError naming the file when it is none of these.
    """
    shown = str(path)
    if path.is_dir():
        head, name = _directory_head(path)
        if head is None:
            raise InputError(
                "cannot tell the format: the directory holds no .json, .xml or .rdf file",
                source=shown,
            )
        return _format_of(head, f"{shown}/{name}")
    try:
        with path.open("rb") as f:
            head = f.read(_HEAD)
    except OSError as e:
        raise InputError(f"cannot read: {e.strerror or e}", source=shown) from e
    if head[:2] == b"\x1f\x8b":
        try:
            with gzip.open(path, "rb") as f:
                head = f.read(_HEAD)
        except (OSError, EOFError) as e:
            raise InputError(f"not a readable gzip file: {e}", source=shown) from e
        return _format_of(head, shown)
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return _format_of(_zip_head(path, shown), shown)
    return _format_of(head, shown)


def _format_of(head: bytes, shown: str) -> str:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if _EPSS.match(text):
        return "epss"
    if _KEV_CSV.match(text):
        return "kev"
    if text[:1] == b"<":
        if b"VULDEF-Document" in text or b"<rdf:RDF" in text or b":RDF" in text[:2000]:
            return "jvn"
        raise InputError(
            "cannot tell the format: XML that is neither JVNRSS (rdf:RDF) nor VULDEF", source=shown
        )
    if text[:1] in (b"{", b"["):
        for pattern, name in (
            (_KEV, "kev"),
            (_NVD, "nvd"),
            (_CVE5, "cve5"),
            (_CSAF, "csaf"),
            (_EUVD, "euvd"),
            (_OSV, "osv"),
        ):
            if pattern.search(text):
                return name
    raise InputError(
        "cannot tell the format: not an OSV record, NVD API page, CVE 5 record, CSAF document, "
        f"EUVD answer, JVN XML, KEV catalog or EPSS file (it starts with {text[:16]!r})",
        source=shown,
    )


def _directory_head(root: Path) -> tuple[bytes | None, str]:
    for file in sorted(root.rglob("*")):
        if (
            file.is_file()
            and file.suffix in (".json", ".xml", ".rdf")
            and file.name not in _PROVIDER_FILES
            and not any(part.startswith(".") for part in file.relative_to(root).parts)
            and not file.name.startswith("delta")
        ):
            with file.open("rb") as f:
                return f.read(_HEAD), str(file.relative_to(root))
    return None, ""


def _zip_head(path: Path, shown: str) -> bytes:
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                name = info.filename.rsplit("/", 1)[-1]
                if info.is_dir() or not name.endswith(".json") or name in _PROVIDER_FILES:
                    continue
                with archive.open(info) as f:
                    return f.read(_HEAD)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, RuntimeError) as e:
        raise InputError(f"not a readable zip archive: {e}", source=shown) from e
    raise InputError("cannot tell the format: the zip holds no .json entry", source=shown)


def read_records(path: Path, format: str) -> Iterator[SourceRecord | RecordProblem]:
    """Yield each record of the ``format`` source at ``path`` with its text, or why not.

    Raise AdvisoryError when the source cannot be read at all, is truncated, or is a single
    record that is bad (see the module docstring).
    """
    if format == "nvd":
        yield from _nvd(path)
    elif format == "cve5":
        yield from _cve5(path)
    elif format == "csaf":
        yield from _csaf(path)
    elif format == "jvn":
        yield from _jvn(path)
    elif format == "euvd":
        yield from _euvd(path)
    else:
        raise InputError(f"{format!r} is not a format read here", source=str(path))


def _bulk(path: Path) -> bool:
    return path.is_dir() or zipfile.is_zipfile(path)


def _problem(location: str, error: AdvisoryError) -> RecordProblem:
    where = f"{error.location}: " if error.location else ""
    return RecordProblem(location, f"{where}{error.message}")


def _nvd(path: Path) -> Iterator[SourceRecord | RecordProblem]:
    # Streamed element by element (nvd.iter_nvd_records): memory stays flat however large.
    loads, parse = orjson.loads, nvd.parse_nvd_vulnerability
    for doc in nvd.iter_nvd_records(path):
        if type(doc) is RecordProblem:
            yield doc
            continue
        assert isinstance(doc, RawDocument)
        try:
            text = doc.data.decode("utf-8")
            yield parse(loads(text), source=doc.location), text, doc.location
        except UnicodeDecodeError as e:
            yield RecordProblem(doc.location, f"not UTF-8 text (byte {e.start})")
        except orjson.JSONDecodeError as e:
            yield RecordProblem(doc.location, f"not valid JSON: {e}")
        except AdvisoryError as e:
            yield _problem(doc.location, e)


def _json_documents(
    documents: Iterator[RawDocument | RecordProblem], bulk: bool
) -> Iterator[tuple[RawDocument, str, object] | RecordProblem]:
    """Yield each document with its text and decoded JSON; a bad one is a problem (bulk) or
    raises (a single file)."""
    for doc in documents:
        if isinstance(doc, RecordProblem):
            if not bulk and doc.kind == "invalid":
                raise AdvisoryError(doc.message, source=doc.location)
            yield doc
            continue
        try:
            text = doc.data.decode("utf-8")
            yield doc, text, orjson.loads(text)
        except UnicodeDecodeError as e:
            message = f"not UTF-8 text (byte {e.start})"
            if not bulk:
                raise AdvisoryError(message, source=doc.location) from e
            yield RecordProblem(doc.location, message)
        except orjson.JSONDecodeError as e:
            if not bulk:
                raise AdvisoryError(f"not valid JSON: {e}", source=doc.location) from e
            yield RecordProblem(doc.location, f"not valid JSON: {e}")


def _cve5(path: Path) -> Iterator[SourceRecord | RecordProblem]:
    bulk = _bulk(path)
    for item in _json_documents(cve5.iter_cve5_documents(path), bulk):
        if isinstance(item, RecordProblem):
            yield item
            continue
        doc, text, obj = item
        try:
            yield cve5.parse_cve5(obj, source=doc.location), text, doc.location
        except AdvisoryError as e:
            if not bulk:
                raise
            yield _problem(doc.location, e)


def _csaf(path: Path) -> Iterator[SourceRecord | RecordProblem]:
    # One record per (document, vulnerability) (core.advisories.csaf): each keeps the whole
    # document as its text, since the vulnerability means nothing without the product tree.
    bulk = _bulk(path)
    for item in _json_documents(iter_osv_documents(path), bulk):
        if isinstance(item, RecordProblem):
            yield item
            continue
        doc, text, obj = item
        if isinstance(obj, dict) and "document" not in obj:
            # a provider's own files (ROLIE feeds, provider-metadata.json) sit beside documents
            yield RecordProblem(doc.location, "ignored: not a CSAF document", "ignored")
            continue
        try:
            advisories = csaf.parse_csaf(obj, source=doc.location)
        except AdvisoryError as e:
            if not bulk:
                raise
            yield _problem(doc.location, e)
            continue
        if not advisories:
            yield RecordProblem(
                doc.location, "ignored: a CSAF document without vulnerabilities", "ignored"
            )
        for advisory in advisories:
            yield advisory, text, doc.location


def _jvn(path: Path) -> Iterator[SourceRecord | RecordProblem]:
    # A bad item is skipped, a document that is not JVN at all raises. The Japanese and English
    # feeds describe the same records: each language's record is stored on its own
    # (reading.prepare_advisory), so that both documents are kept.
    files = (
        sorted(p for p in path.rglob("*") if p.suffix in (".xml", ".rdf") and p.is_file())
        if path.is_dir()
        else [path]
    )
    for file in files:
        where = str(file)
        yield from jvn_records(read_file(file, where, _MAX_DOCUMENT), where)


def jvn_records(content: bytes, location: str) -> Iterator[SourceRecord | RecordProblem]:
    """Yield the records of a JVNRSS page or VULDEF document, each in a document of its own.

    A JVNRSS page carries up to 50 items; each record keeps as its text an RSS document with the
    page's root (namespaces, language) and status and only its own item, which the JVN codec
    reads back alone.
    """
    parsed = jvn.parse_jvn(content, source=location)
    root = xml_fromstring(content)
    local = [(child, str(child.tag).rsplit("}", 1)[-1]) for child in root]
    item_tag = "item" if str(root.tag).endswith("RDF") else "Vulinfo"
    parts = [child for child, name in local if name == item_tag]
    keep = [child for child, name in local if name == "Status"]
    if len(parts) != len(parsed):  # pragma: no cover - the codec reads the same children
        raise AdvisoryError("JVN document items and records differ in number", source=location)
    for part, record in zip(parts, parsed, strict=True):
        if isinstance(record, RecordProblem):
            yield record
            continue
        single = Element(root.tag, dict(root.attrib))
        single.extend(keep)
        single.append(part)
        yield record, tostring(single, encoding="unicode"), location


def _euvd(path: Path) -> Iterator[SourceRecord | RecordProblem]:
    shown = str(path)
    data = read_file(path, shown, _MAX_DOCUMENT)
    try:
        obj = orjson.loads(data)
    except orjson.JSONDecodeError as e:
        raise AdvisoryError(f"not valid JSON: {e}", source=shown) from e
    results = euvd.parse_euvd(obj, source=shown)
    if isinstance(obj, dict) and "items" in obj and "id" not in obj:
        items, base = obj["items"], "$.items"
    elif isinstance(obj, list):
        items, base = obj, "$"
    else:  # one item: all or nothing
        (result,) = results
        if isinstance(result, RecordProblem):
            raise AdvisoryError(result.message, source=result.location)
        yield result, data.decode("utf-8"), shown
        return
    for index, (item, result) in enumerate(zip(items, results, strict=True)):
        if isinstance(result, RecordProblem):
            yield result
        else:
            yield result, orjson.dumps(item).decode(), f"{shown}:{base}[{index}]"
