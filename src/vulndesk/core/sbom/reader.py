"""Read any SBOM vulndesk supports; the format is told from the content, never the file name.

=================================  ==========================================================
content                            reader
=================================  ==========================================================
JSON object with ``bomFormat``     :mod:`.readers.cyclonedx_json` (CycloneDX 1.2-1.7)
XML root ``bom`` in namespace      :mod:`.readers.cyclonedx_xml` (CycloneDX 1.0-1.7)
``http://cyclonedx.org/schema/
bom/1.x``
JSON object with ``spdxVersion``   :mod:`.readers.spdx2_json` (SPDX 2.x)
``SPDXVersion:`` tag-value lines   :mod:`.readers.spdx2_tagvalue` (SPDX 2.x)
JSON-LD, ``@context`` of           :mod:`.readers.spdx3_jsonld` (SPDX 3.0)
spdx.org/rdf/3.0.x + ``@graph``
=================================  ==========================================================

Anything else is refused with an :class:`~vulndesk.core.errors.SbomError` that says what the
input looks like (an OSV record, a CSAF document, SPDX RDF...) and what was expected. Inputs
larger than :data:`MAX_SBOM_BYTES` are refused before parsing. Reader modules are imported only
when their format turns up, so reading CycloneDX JSON never loads the XML parser.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from vulndesk.core.errors import SbomError
from vulndesk.core.sbom.model import Sbom

__all__ = ["MAX_SBOM_BYTES", "read_sbom", "read_sbom_file"]

#: The largest SBOM accepted. The biggest real SBOMs (container images with every file) are
#: tens of MiB; parsing holds several times the input in memory, so refuse before that.
MAX_SBOM_BYTES = 256 * 1024 * 1024

_UTF8_BOM = b"\xef\xbb\xbf"
_TAG_VALUE_VERSION = re.compile(rb"^[ \t]*SPDXVersion:[ \t]*(\S*)", re.MULTILINE)
_SNIFF_BYTES = 8192
_JSON_MAX_DEPTH = 1024  # orjson refuses deeper documents; no SBOM comes near it

_EXPECTED = "expected CycloneDX (JSON or XML), SPDX 2.x (JSON or tag-value) or SPDX 3.0 (JSON-LD)"


def read_sbom(data: bytes, *, source: str) -> Sbom:
    """Return the :class:`Sbom` in ``data``; raise SbomError if it is not a readable SBOM.

    ``source`` names the input (a path, an upload name) in errors and plays no part in format
    detection.
    """
    if len(data) > MAX_SBOM_BYTES:
        raise SbomError(
            f"the input is {len(data):,} bytes; the limit is {MAX_SBOM_BYTES:,} bytes",
            source=source,
        )
    try:
        return _read(data, source)
    except RecursionError as e:
        # Readers walk nested structures iteratively; this guards any path that does not.
        raise SbomError("the document is nested too deeply to read", source=source) from e


def read_sbom_file(path: str | Path) -> Sbom:
    """Return the :class:`Sbom` in the file at ``path``; raise SbomError (OSError if unreadable).

    The size limit is checked before the file is read.
    """
    path = Path(path)
    size = path.stat().st_size
    if size > MAX_SBOM_BYTES:
        raise SbomError(
            f"the file is {size:,} bytes; the limit is {MAX_SBOM_BYTES:,} bytes", source=str(path)
        )
    with path.open("rb") as f:
        data = f.read(MAX_SBOM_BYTES + 1)
    return read_sbom(data, source=str(path))


def _read(data: bytes, source: str) -> Sbom:
    body = data[len(_UTF8_BOM) :] if data.startswith(_UTF8_BOM) else data
    start = body.lstrip()[:1]
    if not start:
        raise SbomError(f"the input is empty; {_EXPECTED}", source=source)
    if start in (b"{", b"["):
        return _read_json(body, source)
    if start == b"<":
        from vulndesk.core.sbom.readers.cyclonedx_xml import read_cyclonedx_xml

        return read_cyclonedx_xml(body, source=source)
    head = body[:_SNIFF_BYTES]
    if _TAG_VALUE_VERSION.search(head):
        from vulndesk.core.sbom.readers.spdx2_tagvalue import read_spdx2_tagvalue

        return read_spdx2_tagvalue(body, source=source)
    raise SbomError(f"{_describe_text(head)}; {_EXPECTED}", source=source)


def _read_json(body: bytes, source: str) -> Sbom:
    import orjson

    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError as e:
        message = f"malformed JSON: {e.msg}"
        if "depth" in e.msg or "recursion" in e.msg.lower():
            message = f"the JSON is nested more than {_JSON_MAX_DEPTH} levels deep ({e.msg})"
        raise SbomError(
            message, source=source, location=f"line {e.lineno} column {e.colno}"
        ) from None
    if not isinstance(doc, dict):
        raise SbomError(
            f"the JSON document is {_a_json_type(doc)}, not an object; {_EXPECTED}", source=source
        )
    if "bomFormat" in doc:
        from vulndesk.core.sbom.readers.cyclonedx_json import read_cyclonedx_json

        return read_cyclonedx_json(doc, source=source)
    if "spdxVersion" in doc:
        from vulndesk.core.sbom.readers.spdx2_json import read_spdx2_json

        return read_spdx2_json(doc, source=source)
    if "@graph" in doc or "@context" in doc:
        from vulndesk.core.sbom.readers.spdx3_jsonld import is_spdx3_context, read_spdx3_jsonld

        if is_spdx3_context(doc.get("@context")):
            return read_spdx3_jsonld(doc, source=source)
    raise SbomError(f"{_describe_json(doc)}; {_EXPECTED}", source=source)


def _describe_json(doc: dict[str, Any]) -> str:
    """Return what a JSON object that is not a supported SBOM looks like."""
    context = doc.get("@context")
    if isinstance(context, str) and "openvex" in context:
        return "this is an OpenVEX document (VEX statements, not an SBOM)"
    if "spdx.org/rdf" in str(context):
        return f"this is SPDX JSON-LD with @context {context!r}, which is not SPDX 3.0.x"
    if "@context" in doc:
        return f"this is a JSON-LD document with @context {context!r}, not SPDX 3.0"
    document = doc.get("document")
    if isinstance(document, dict) and "csaf_version" in document:
        return "this is a CSAF advisory (document.csaf_version), not an SBOM"
    if "id" in doc and ("affected" in doc or "modified" in doc or "schema_version" in doc):
        return f"this is an OSV vulnerability record ({doc.get('id')!r}), not an SBOM"
    if "SPDXID" in doc or "packages" in doc:
        return "this looks like SPDX 2 JSON but has no 'spdxVersion'"
    if "specVersion" in doc and ("components" in doc or "metadata" in doc):
        return "this looks like CycloneDX JSON but has no 'bomFormat'"
    lowered = {k.lower(): k for k in doc}
    for expected in ("bomFormat", "spdxVersion"):
        if expected.lower() in lowered:
            return f"the key {lowered[expected.lower()]!r} should be spelled {expected!r}"
    keys = ", ".join(repr(k) for k in list(doc)[:5])
    return f"this JSON object has none of 'bomFormat', 'spdxVersion' or '@graph' (keys: {keys})"


def _describe_text(head: bytes) -> str:
    """Return what a non-JSON, non-XML input looks like."""
    if head.startswith(b"PK\x03\x04"):
        return "the input is a ZIP archive; extract the SBOM from it first"
    if head.startswith(b"\x1f\x8b"):
        return "the input is gzip-compressed; decompress it first"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "the input is UTF-16 text; save it as UTF-8"
    if b"\x00" in head:
        return "the input is binary data (it contains NUL bytes)"
    text = head.decode("utf-8", errors="replace")
    if re.search(r"^\s*spdxVersion:", text, re.MULTILINE | re.IGNORECASE):
        return "this is SPDX in YAML, which is not supported; convert it to SPDX JSON"
    if re.search(r"^\s*bomFormat:", text, re.MULTILINE):
        return "this is CycloneDX in YAML, which is not supported; convert it to JSON"
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return f"the input is neither JSON nor XML nor SPDX tag-value (it starts with {first[:60]!r})"


def _a_json_type(value: object) -> str:
    from vulndesk.core.jsontypes import json_type

    name = json_type(value)
    return f"an {name}" if name[0] in "aeiou" else f"a {name}"
