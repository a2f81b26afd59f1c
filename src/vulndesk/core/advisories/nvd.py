"""The NVD codec: NVD CVE API 2.0 records to :class:`~vulndesk.core.advisories.model.Advisory`.

One record is one ``vulnerabilities[].cve`` object of an API 2.0 response (reference/feeds.md,
"NVD CVE API 2.0"); the yearly ``nvdcve-2.0-*.json`` feed files have the same page shape. How each
field lands in the model:

- ``id`` is the advisory id; ``aliases`` stay empty (the CVE id names the record itself).
  ``source`` is ``"nvd"``: NVD's CVE-2024-1 and the CVE List's CVE-2024-1 are two records.
- ``lastModified`` is ``modified`` (required), ``published`` is ``published``. NVD writes its
  timestamps without an offset (``2024-01-01T10:15:08.853``); they are UTC.
- every ``descriptions[]`` entry becomes a :class:`LocalizedText`; the English one is also
  ``details`` (NVD has no title, so ``summary`` stays empty).
- every entry of ``cvssMetricV40``/``V31``/``V30``/``V2``, Primary (NVD's own) and Secondary (the
  CNA's) alike, becomes a :class:`Severity` of type CVSS_V4/CVSS_V3/CVSS_V2 with the vector as
  ``score`` and the entry's ``source`` as rater: sources disagree and each rating keeps who gave
  it (reference/prioritization.md, "CVSS").
- ``weaknesses[].description[].value`` that are CWE ids become ``cwes``; NVD's placeholders
  ``NVD-CWE-Other`` and ``NVD-CWE-noinfo`` say "no specific CWE" and are left out.
- ``configurations`` become :class:`CpeConfiguration` values as written (operators, ``negate``,
  ``vulnerable: false`` platform criteria); evaluating them is the matcher's job. CPE names are
  checked for their ``cpe:2.3:`` prefix only; the matcher parses them.
- ``references[].tags`` pick the OSV reference type (:func:`reference_type`).
- ``cisaExploitAdd``/``cisaActionDue`` (NVD's copy of CISA KEV) become an
  :class:`ExploitEvidence` of kind ``kev`` with source ``nvd``.
- ``vulnStatus`` ``Rejected`` sets ``rejected``; ``vulnStatus`` and ``sourceIdentifier`` are kept
  in ``database_specific``.

Large files are read by :func:`read_nvd` as a stream: :func:`iter_json_array_items` scans the
bytes for the ``vulnerabilities`` array and hands out one element at a time, so memory stays flat
whatever the file size (250,000 records: a few MiB of buffer, never the whole document).
"""

from __future__ import annotations

import gzip
import re
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

import orjson

from vulndesk.core.advisories.cve5 import reference_type
from vulndesk.core.advisories.jsonfields import array, fail, optional_str
from vulndesk.core.advisories.model import (
    Advisory,
    CpeConfiguration,
    CpeMatchCriterion,
    CpeNode,
    ExploitEvidence,
    LocalizedText,
    Reference,
    Severity,
)
from vulndesk.core.advisories.sources import (
    RawDocument,
    RecordProblem,
    ZipLimits,
    _checked_entries,  # shared zip-bomb checks of the OSV reader (declared sizes)
    parse_json_documents,
)
from vulndesk.core.errors import AdvisoryError

__all__ = [
    "NVD_ZIP_LIMITS",
    "JsonArrayItem",
    "iter_json_array_items",
    "iter_nvd_records",
    "parse_nvd_cve",
    "parse_nvd_documents",
    "parse_nvd_timestamp",
    "parse_nvd_vulnerability",
    "read_nvd",
]

_MiB = 1 << 20
_GiB = 1 << 30

#: The OSV defaults cap an entry at 64 MiB, but a yearly NVD feed file is several hundred MiB
#: uncompressed; read as a stream, its size costs time, not memory, so only the total and the
#: compression ratio stay bounded.
NVD_ZIP_LIMITS: Final = ZipLimits(max_entries=10_000, max_entry_size=8 * _GiB)

_METRIC_TYPES: Final = (
    ("cvssMetricV40", "CVSS_V4"),
    ("cvssMetricV31", "CVSS_V3"),
    ("cvssMetricV30", "CVSS_V3"),
    ("cvssMetricV2", "CVSS_V2"),
)
_CWE: Final = re.compile(r"CWE-\d+")
# NVD's "no specific weakness" placeholders (https://nvd.nist.gov/vuln/categories)
_CWE_PLACEHOLDERS: Final = frozenset({"NVD-CWE-Other", "NVD-CWE-noinfo"})
_NODE_OPERATORS: Final = frozenset({"AND", "OR"})


# --- one record ----------------------------------------------------------------------------------


def _str(obj: dict[str, Any], key: str, source: str, path: str) -> str:
    value = obj.get(key)
    if type(value) is not str:
        if value is None:
            raise AdvisoryError(f"missing required field {key!r}", source=source, location=path)
        raise fail(source, f"{path}.{key}", "a string", value)
    return value


def _bool(obj: dict[str, Any], key: str, default: bool, source: str, path: str) -> bool:
    value = obj.get(key, default)
    if value is None:
        return default
    if type(value) is not bool:
        raise fail(source, f"{path}.{key}", "true or false", value)
    return value


def parse_nvd_timestamp(value: str) -> datetime:
    """Return the UTC datetime of an NVD timestamp; raise ValueError when it is not ISO 8601.

    NVD writes ``2024-01-01T10:15:08.853`` without an offset, meaning UTC; an explicit offset
    (``Z``, ``+00:00``) is honoured. A bare date (``cisaExploitAdd``) is midnight UTC.
    """
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _timestamp(
    obj: dict[str, Any], key: str, source: str, path: str, *, required: bool
) -> datetime | None:
    value = obj.get(key)
    if value is None:
        if required:
            raise AdvisoryError(
                f"missing required field {key!r} (an ISO 8601 timestamp)",
                source=source,
                location=path,
            )
        return None
    if type(value) is not str:
        raise fail(source, f"{path}.{key}", "an ISO 8601 timestamp string", value)
    try:
        return parse_nvd_timestamp(value)
    except ValueError as e:
        raise fail(source, f"{path}.{key}", "an ISO 8601 timestamp", value) from e


def _texts(items: list[Any], source: str, path: str) -> tuple[LocalizedText, ...]:
    out: list[LocalizedText] = []
    for i, item in enumerate(items):
        where = f"{path}[{i}]"
        if type(item) is not dict:
            raise fail(source, where, "an object with lang and value", item)
        out.append(
            LocalizedText(_str(item, "lang", source, where), _str(item, "value", source, where))
        )
    return tuple(out)


def _severities(metrics: object, source: str, path: str) -> tuple[Severity, ...]:
    if metrics is None:
        return ()
    if type(metrics) is not dict:
        raise fail(source, path, "an object of metric lists", metrics)
    out: list[Severity] = []
    for key, kind in _METRIC_TYPES:
        for i, entry in enumerate(array(metrics, key, source, path)):
            where = f"{path}.{key}[{i}]"
            if type(entry) is not dict:
                raise fail(source, where, "a metric object", entry)
            data = entry.get("cvssData")
            if type(data) is not dict:
                raise fail(source, f"{where}.cvssData", "an object", data)
            vector = _str(data, "vectorString", source, f"{where}.cvssData")
            out.append(Severity(kind, vector, optional_str(entry, "source", source, where)))
    return tuple(out)


def _cwes(items: list[Any], source: str, path: str) -> tuple[str, ...]:
    out: list[str] = []
    for i, weakness in enumerate(items):
        where = f"{path}[{i}]"
        if type(weakness) is not dict:
            raise fail(source, where, "a weakness object", weakness)
        for text in _texts(array(weakness, "description", source, where), source, where):
            value = text.text.strip()
            if value in _CWE_PLACEHOLDERS:
                continue
            if _CWE.fullmatch(value) is None:
                raise fail(source, f"{where}.description", "a CWE id (CWE-79) or NVD-CWE-*", value)
            if value not in out:
                out.append(value)
    return tuple(out)


_BOUND_KEYS: Final = (
    "versionStartIncluding",
    "versionStartExcluding",
    "versionEndIncluding",
    "versionEndExcluding",
    "matchCriteriaId",
)


def _criterion(item: object, source: str, where: str) -> CpeMatchCriterion:
    # the hot spot of a large import (a record has tens of criteria): one pass of lookups, and
    # the checks only name the field at fault when one fails
    if type(item) is dict:
        get = item.get
        criteria, vulnerable = get("criteria"), get("vulnerable", True)
        a, b, c, d = (
            get("versionStartIncluding"),
            get("versionStartExcluding"),
            get("versionEndIncluding"),
            get("versionEndExcluding"),
        )
        ident = get("matchCriteriaId")
        if (
            type(criteria) is str
            and criteria.startswith("cpe:2.3:")
            and type(vulnerable) is bool
            and (a is None or type(a) is str)
            and (b is None or type(b) is str)
            and (c is None or type(c) is str)
            and (d is None or type(d) is str)
            and (ident is None or type(ident) is str)
        ):
            return CpeMatchCriterion(criteria, vulnerable, a, b, c, d, ident)
    return _criterion_checked(item, source, where)


def _criterion_checked(item: object, source: str, where: str) -> CpeMatchCriterion:
    if type(item) is not dict:
        raise fail(source, where, "a cpeMatch object", item)
    criteria = _str(item, "criteria", source, where)
    if not criteria.startswith("cpe:2.3:"):
        raise fail(source, f"{where}.criteria", "a CPE 2.3 name (cpe:2.3:...)", criteria)
    bounds = [optional_str(item, key, source, where) for key in _BOUND_KEYS]
    return CpeMatchCriterion(criteria, _bool(item, "vulnerable", True, source, where), *bounds)


def _operator(obj: dict[str, Any], source: str, path: str) -> str:
    value = obj.get("operator")
    if value is None:
        return "OR"
    if value not in _NODE_OPERATORS:
        raise fail(source, f"{path}.operator", "AND or OR", value)
    assert isinstance(value, str)
    return value


def _configurations(items: list[Any], source: str, path: str) -> tuple[CpeConfiguration, ...]:
    out: list[CpeConfiguration] = []
    for i, config in enumerate(items):
        where = f"{path}[{i}]"
        if type(config) is not dict:
            raise fail(source, where, "a configuration object", config)
        nodes: list[CpeNode] = []
        for j, node in enumerate(array(config, "nodes", source, where)):
            at = f"{where}.nodes[{j}]"
            if type(node) is not dict:
                raise fail(source, at, "a node object", node)
            criteria = tuple(
                _criterion(item, source, f"{at}.cpeMatch[{k}]")
                for k, item in enumerate(array(node, "cpeMatch", source, at))
            )
            nodes.append(
                CpeNode(
                    _operator(node, source, at), _bool(node, "negate", False, source, at), criteria
                )
            )
        out.append(
            CpeConfiguration(
                tuple(nodes),
                _operator(config, source, where),
                _bool(config, "negate", False, source, where),
            )
        )
    return tuple(out)


def _references(items: list[Any], source: str, path: str) -> tuple[Reference, ...]:
    out: list[Reference] = []
    for i, item in enumerate(items):
        where = f"{path}[{i}]"
        if type(item) is not dict:
            raise fail(source, where, "a reference object", item)
        tags = array(item, "tags", source, where)
        for j, tag in enumerate(tags):
            if type(tag) is not str:
                raise fail(source, f"{where}.tags[{j}]", "a string", tag)
        out.append(Reference(_reference_type(tuple(tags)), _str(item, "url", source, where)))
    return tuple(out)


_reference_type = lru_cache(maxsize=4096)(reference_type)  # NVD uses a few dozen tag sets


def _kev_date(obj: dict[str, Any], key: str, source: str, path: str) -> datetime | None:
    return _timestamp(obj, key, source, path, required=False)


def _exploitation(obj: dict[str, Any], source: str, path: str) -> tuple[ExploitEvidence, ...]:
    added = _kev_date(obj, "cisaExploitAdd", source, path)
    if added is None:
        return ()
    return (
        ExploitEvidence(
            kind="kev",
            source="nvd",
            date=added,
            detail=optional_str(obj, "cisaVulnerabilityName", source, path) or "",
            due_date=_kev_date(obj, "cisaActionDue", source, path),
        ),
    )


def parse_nvd_cve(obj: object, *, source: str, path: str = "$") -> Advisory:
    """Return the Advisory (source ``nvd``) of one NVD API 2.0 ``cve`` object, already decoded.

    ``path`` is the JSON path of ``obj`` in its document (``$.cve`` inside a
    ``vulnerabilities[]`` element). Raise AdvisoryError naming ``source`` and the JSON path of the
    first structural problem.
    """
    if type(obj) is not dict:
        raise fail(source, path, "an NVD cve object", obj)
    ident = _str(obj, "id", source, path)
    if not ident.strip():
        raise fail(source, f"{path}.id", "a CVE id", ident)
    modified = _timestamp(obj, "lastModified", source, path, required=True)
    assert modified is not None
    descriptions = _texts(array(obj, "descriptions", source, path), source, f"{path}.descriptions")
    status = optional_str(obj, "vulnStatus", source, path)
    specific: dict[str, str] = {}
    if status is not None:
        specific["vulnStatus"] = status
    assigner = optional_str(obj, "sourceIdentifier", source, path)
    if assigner is not None:
        specific["sourceIdentifier"] = assigner
    return Advisory(
        id=ident,
        modified=modified,
        published=_timestamp(obj, "published", source, path, required=False),
        details=next((d.text for d in descriptions if d.lang.lower().startswith("en")), None),
        severity=_severities(obj.get("metrics"), source, f"{path}.metrics"),
        references=_references(
            array(obj, "references", source, path), source, f"{path}.references"
        ),
        database_specific=specific or None,
        source="nvd",
        cpe_configurations=_configurations(
            array(obj, "configurations", source, path), source, f"{path}.configurations"
        ),
        cwes=_cwes(array(obj, "weaknesses", source, path), source, f"{path}.weaknesses"),
        descriptions=descriptions,
        exploitation=_exploitation(obj, source, path),
        rejected=status == "Rejected",
    )


def parse_nvd_vulnerability(obj: object, *, source: str) -> Advisory:
    """Return the Advisory of one ``vulnerabilities[]`` element (``{"cve": {...}}``)."""
    if type(obj) is not dict:
        raise fail(source, "$", 'a vulnerabilities[] element ({"cve": {...}})', obj)
    if "cve" not in obj:
        raise AdvisoryError("missing required field 'cve'", source=source, location="$")
    return parse_nvd_cve(obj["cve"], source=source, path="$.cve")


# --- streaming the vulnerabilities array --------------------------------------------------------

_STRING = rb'"(?:[^"\\]++|\\.)*+"'
_WHOLE_STRING = re.compile(_STRING, re.DOTALL)
# One structural byte outside strings, after any run of other bytes and whole strings. Anchored
# at the cursor, it fails only when the buffer ends before such a byte (inside a string or not).
_NEXT_BRACKET = re.compile(rb'(?:[^"\[\]{}]++|' + _STRING + rb")*+[\[\]{}]", re.DOTALL)
_SCALAR = re.compile(rb"[^\s,\]}]+")
_WS = re.compile(rb"[ \t\r\n]*")


def _nested_value(depth: int) -> re.Pattern[bytes]:
    # An object or array nested at most ``depth`` levels, matched in one call: possessive
    # quantifiers only, so no backtracking. Brackets are not paired by kind ("{]" passes): orjson
    # refuses such an element afterwards. Deeper or cut-off elements fall back to counting
    # brackets one match at a time (_NEXT_BRACKET), which is about half as fast.
    inner = rb'(?:[^"\[\]{}]++|' + _STRING + rb")*+"
    for _ in range(depth):
        inner = rb'(?:[^"\[\]{}]++|' + _STRING + rb"|[\[{]" + inner + rb"[\]}])*+"
    return re.compile(rb"[\[{]" + inner + rb"[\]}]", re.DOTALL)


# NVD records nest seven levels deep (element > cve > configurations > nodes > cpeMatch)
_WHOLE_VALUE = _nested_value(10)


@dataclass(frozen=True, slots=True)
class JsonArrayItem:
    """One element of the streamed array: its page (0 for the first top-level value), its index
    in that page's array, where it starts in the (decompressed) stream and its bytes."""

    page: int
    index: int
    offset: int
    data: bytes


class _Truncated(Exception):
    """The stream ended inside a value."""


class _ArrayItemSplitter:
    """Scans a byte stream of JSON pages, handing out the elements of each page's array ``key``.

    ``buf[i:]`` is unread; ``base`` is the stream offset of ``buf[0]``. Bytes before the token
    being read are dropped whenever more data is appended, so the buffer holds one chunk plus at
    most one element.
    """

    def __init__(self, chunks: Iterable[bytes], key: str, source: str, max_item: int) -> None:
        self.chunks = iter(chunks)
        self.key = key
        self.source = source
        self.max_item = max_item
        self.buf = b""
        self.i = 0
        self.base = 0
        self.eof = False

    def more(self, keep_from: int) -> int:
        """Append the next chunk, dropping ``buf[:keep_from]``; return the shift (0 at EOF)."""
        for chunk in self.chunks:
            if chunk:
                break
        else:
            self.eof = True
            return 0
        if len(self.buf) - keep_from > self.max_item:
            raise AdvisoryError(
                f"one value is larger than {self.max_item} bytes; refusing to buffer it",
                source=self.source,
                location=f"byte {self.base + keep_from}",
            )
        self.buf = self.buf[keep_from:] + chunk
        self.base += keep_from
        self.i -= keep_from
        return keep_from

    def error(self, message: str, at: int) -> AdvisoryError:
        return AdvisoryError(message, source=self.source, location=f"byte {self.base + at}")

    def peek(self) -> int | None:
        """Skip whitespace; return the next byte, or None at the end of the stream."""
        while True:
            m = _WS.match(self.buf, self.i)
            assert m is not None  # matches the empty string too
            self.i = m.end()
            if self.i < len(self.buf):
                return self.buf[self.i]
            self.more(self.i)
            if self.eof:
                return None

    def expect(self, allowed: bytes, what: str) -> int:
        c = self.peek()
        if c is None:
            raise _Truncated
        if c not in allowed:
            raise self.error(f"expected {what}, got {chr(c)!r}", self.i)
        self.i += 1
        return c

    def value(self) -> tuple[int, int]:
        """Read the value at the cursor; return its (start, end) in ``buf``."""
        c = self.peek()
        if c is None:
            raise _Truncated
        start = self.i
        if c == 0x7B or c == 0x5B:  # { [
            m = _WHOLE_VALUE.match(self.buf, start)
            if m is not None:
                self.i = m.end()
                return start, self.i
            return self._brackets(start)
        pattern = _WHOLE_STRING if c == 0x22 else _SCALAR
        while True:
            m = pattern.match(self.buf, start)
            if m is None and pattern is _SCALAR:
                raise self.error(f"expected a JSON value, got {chr(c)!r}", start)
            if m is not None and (m.end() < len(self.buf) or self.eof):
                self.i = m.end()
                return start, self.i
            shift = self.more(start)
            start -= shift
            if self.eof and m is None:
                raise _Truncated

    def _brackets(self, start: int) -> tuple[int, int]:
        depth = 0
        i = start
        match = _NEXT_BRACKET.match
        buf = self.buf
        while True:
            m = match(buf, i)
            if m is None:
                self.i = i
                shift = self.more(start)
                if self.eof:
                    raise _Truncated
                start -= shift
                i = self.i
                buf = self.buf
                continue
            i = m.end()
            c = buf[i - 1]
            if c == 0x7B or c == 0x5B:
                depth += 1
            else:
                depth -= 1
                if depth == 0:
                    self.i = i
                    return start, i

    def pages(self) -> Iterator[JsonArrayItem]:
        c = self.peek()
        if c is None:
            raise AdvisoryError("empty file: expected a JSON object", source=self.source)
        if c == 0x5B:  # a JSON array of pages
            self.i += 1
            page = 0
            if self.peek() == 0x5D:
                self.i += 1
            else:
                while True:
                    yield from self.page(page)
                    page += 1
                    if self.expect(b",]", "',' or ']' between pages") == 0x5D:
                        break
            if self.peek() is not None:
                raise self.error("unexpected data after the array of pages", self.i)
            return
        page = 0
        while self.peek() is not None:  # one page, or pages one after the other (JSON Lines)
            yield from self.page(page)
            page += 1

    def page(self, page: int) -> Iterator[JsonArrayItem]:
        self.expect(b"{", "a JSON object (an NVD API 2.0 page)")
        found = False
        if self.peek() == 0x7D:
            self.i += 1
        else:
            while True:
                if self.peek() != 0x22:
                    self.expect(b'"', "a field name")
                start, end = self.value()
                name = orjson.loads(self.buf[start:end])
                self.expect(b":", "':' after a field name")
                if name == self.key and self.peek() == 0x5B:
                    found = True
                    self.i += 1
                    yield from self.items(page)
                else:
                    self.value()
                if self.expect(b",}", "',' or '}' in the page object") == 0x7D:
                    break
        if not found:
            raise AdvisoryError(
                f"not an NVD API 2.0 page: no {self.key!r} array in top-level value {page}",
                source=self.source,
            )

    def items(self, page: int) -> Iterator[JsonArrayItem]:
        index = 0
        if self.peek() == 0x5D:
            self.i += 1
            return
        while True:
            if self.peek() is None:
                raise _Truncated
            start, end = self.value()
            yield JsonArrayItem(page, index, self.base + start, self.buf[start:end])
            index += 1
            if self.expect(b",]", f"',' or ']' after {self.key}[{index - 1}]") == 0x5D:
                return


def iter_json_array_items(
    chunks: Iterable[bytes], *, key: str, source: str, max_item: int = 256 * _MiB
) -> Iterator[JsonArrayItem]:
    """Yield the raw bytes of each element of the array ``key`` of each top-level JSON object.

    ``chunks`` is the document in pieces of any size. The top level is one object, several
    objects one after another (JSON Lines), or a JSON array of objects; each must have the array
    at its top level. Other fields are skipped without being decoded. Memory holds one chunk and
    one element at a time; an element larger than ``max_item`` refuses the stream. Elements are
    not validated here: ``orjson.loads`` does that.

    Raise AdvisoryError naming ``source`` and the byte offset when the stream ends inside a value
    (a truncated file) or its structure between elements is not JSON.
    """
    splitter = _ArrayItemSplitter(chunks, key, source, max_item)
    try:
        yield from splitter.pages()
    except _Truncated:
        end = splitter.base + len(splitter.buf)
        raise AdvisoryError(
            f"truncated: the JSON ends at byte {end} inside a value",
            source=source,
            location=f"byte {end}",
        ) from None


# --- files ----------------------------------------------------------------------------------------

_CHUNK = 1 * _MiB


def _file_chunks(path: Path, shown: str) -> Iterator[bytes]:
    try:
        with path.open("rb") as f:
            while chunk := f.read(_CHUNK):
                yield chunk
    except OSError as e:
        raise AdvisoryError(f"cannot read: {e.strerror or e}", source=shown) from e


def _gzip_chunks(path: Path, shown: str, limit: int) -> Iterator[bytes]:
    total = 0
    try:
        with gzip.open(path, "rb") as f:
            while chunk := f.read(_CHUNK):
                total += len(chunk)
                if total > limit:
                    raise AdvisoryError(
                        f"decompresses past the {limit} byte limit: refusing it as a gzip bomb",
                        source=shown,
                    )
                yield chunk
    except (OSError, EOFError, zlib.error) as e:
        # EOFError: "Compressed file ended before the end-of-stream marker was reached"
        raise AdvisoryError(
            f"corrupt or truncated gzip stream after {total} decompressed bytes: {e}",
            source=shown,
            location=f"byte {total}",
        ) from e


def _zip_entry_chunks(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, shown: str, limits: ZipLimits
) -> Iterator[bytes]:
    # the declared sizes passed _checked_entries; enforce the ratio again while reading, since
    # headers can lie (zipfile stops at the declared size and then checks the CRC)
    cap = max(limits.ratio_floor, int(limits.max_ratio * max(info.compress_size, 1)))
    total = 0
    try:
        with archive.open(info) as stream:
            while chunk := stream.read(_CHUNK):
                total += len(chunk)
                if total > cap:
                    raise AdvisoryError(
                        f"entry expands past {cap} bytes (compressed {info.compress_size}): "
                        "refusing the archive as a zip bomb",
                        source=shown,
                    )
                yield chunk
    except (zipfile.BadZipFile, zlib.error, RuntimeError, NotImplementedError, OSError) as e:
        raise AdvisoryError(
            f"cannot read the zip entry after {total} bytes: {e}",
            source=shown,
            location=f"byte {total}",
        ) from e


def _items_as_documents(chunks: Iterable[bytes], shown: str) -> Iterator[RawDocument]:
    for item in iter_json_array_items(chunks, key="vulnerabilities", source=shown):
        page = f"[{item.page}]" if item.page else ""
        yield RawDocument(f"{shown}{page}:vulnerabilities[{item.index}]", item.data)


def iter_nvd_records(
    path: Path, *, limits: ZipLimits = NVD_ZIP_LIMITS, display: str | None = None
) -> Iterator[RawDocument | RecordProblem]:
    """Yield each ``vulnerabilities[]`` element of the NVD file at ``path`` as raw bytes.

    ``path`` holds one API 2.0 response page or several (JSON Lines, or a JSON array of pages),
    plain, gzip-compressed, or as the ``.json`` entries of a zip (the NVD yearly feeds). The file
    is streamed: memory stays flat. Locations read ``nvd.json:vulnerabilities[12]``
    (``nvd.json[3]:...`` for the fourth page, ``feed.zip!x.json:...`` in a zip); a zip entry that
    is not ``*.json`` yields an ``ignored`` RecordProblem.

    Raise AdvisoryError naming the file and byte offset for a truncated or malformed stream, and
    when a zip or gzip exceeds ``limits`` (a bomb).
    """
    shown = str(path) if display is None else display
    try:
        with path.open("rb") as f:
            head = f.read(4)
    except OSError as e:
        raise AdvisoryError(f"cannot read: {e.strerror or e}", source=shown) from e
    if head[:2] == b"\x1f\x8b":
        yield from _items_as_documents(_gzip_chunks(path, shown, limits.max_total_size), shown)
    elif head in (b"PK\x03\x04", b"PK\x05\x06"):
        try:
            archive = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as e:
            raise AdvisoryError(f"not a readable zip archive: {e}", source=shown) from e
        with archive:
            for info in _checked_entries(archive, shown, limits):
                where = f"{shown}!{info.filename}"
                if not info.filename.endswith(".json"):
                    yield RecordProblem(where, "ignored: not a .json entry", "ignored")
                    continue
                yield from _items_as_documents(
                    _zip_entry_chunks(archive, info, where, limits), where
                )
    else:
        yield from _items_as_documents(_file_chunks(path, shown), shown)


def parse_nvd_documents(
    documents: Iterable[RawDocument | RecordProblem],
) -> Iterator[Advisory | RecordProblem]:
    """Yield the Advisory of each ``vulnerabilities[]`` element, or a RecordProblem saying why not.

    A RecordProblem names the element's location and, for a structural error, the JSON path in
    it (``$.cve.metrics.cvssMetricV31[0].cvssData``); parsing goes on with the next element.
    """
    return parse_json_documents(documents, parse_nvd_vulnerability)


def read_nvd(
    path: Path, *, limits: ZipLimits = NVD_ZIP_LIMITS, display: str | None = None
) -> Iterator[Advisory | RecordProblem]:
    """Yield every NVD record in the file at ``path``, or a RecordProblem per bad record.

    See :func:`iter_nvd_records` for the files read; the AdvisoryError for a truncated file comes
    after the records before the cut were yielded.
    """
    return parse_nvd_documents(iter_nvd_records(path, limits=limits, display=display))
