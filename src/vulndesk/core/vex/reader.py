"""Read any VEX document vulndesk supports; the format is told from the content, never the name.

===============================================  =============================================
content (a JSON object)                          codec
===============================================  =============================================
``@context`` ``https://openvex.dev/ns...``       :mod:`.openvex` (OpenVEX v0.2.0, v0.0.x)
``bomFormat: CycloneDX``                         :mod:`.cyclonedx` (standalone VEX, or the
                                                 analysed vulnerabilities of a whole BOM)
``document.csaf_version``                        :mod:`.csaf` (csaf_vex, csaf_security_advisory)
===============================================  =============================================

Anything else is refused with a :class:`~vulndesk.core.vex.model.VexError` that says what the
input looks like and what was expected. Inputs larger than ``max_bytes`` (default
:data:`MAX_VEX_BYTES`) are refused before parsing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

import orjson

from vulndesk.core.advisories.sources import read_file
from vulndesk.core.errors import AdvisoryError
from vulndesk.core.jsontypes import json_type
from vulndesk.core.vex.csaf import parse_csaf_vex
from vulndesk.core.vex.cyclonedx import parse_cyclonedx_vex
from vulndesk.core.vex.model import VexDocument, VexError, vex_error
from vulndesk.core.vex.openvex import is_openvex_context, parse_openvex

__all__ = ["MAX_VEX_BYTES", "VexError", "parse_vex", "read_vex", "read_vex_file", "vex_format"]

#: The largest VEX document accepted. The biggest real ones (a CSAF VEX per CVE for a whole
#: Linux distribution, listing every package build) are tens of MiB.
MAX_VEX_BYTES: Final = 128 * 1024 * 1024

_UTF8_BOM: Final = b"\xef\xbb\xbf"
_EXPECTED: Final = "expected OpenVEX, CycloneDX (JSON) or CSAF VEX"


def vex_format(obj: object) -> str | None:
    """Return the VEX format of a decoded JSON document (``openvex``, ``cyclonedx``, ``csaf``),
    or None when it is none of them."""
    if type(obj) is not dict:
        return None
    if is_openvex_context(obj.get("@context")):
        return "openvex"
    if obj.get("bomFormat") == "CycloneDX":
        return "cyclonedx"
    document = obj.get("document")
    if type(document) is dict and ("csaf_version" in document or "category" in document):
        return "csaf"
    return None


def parse_vex(obj: object, *, source: str) -> VexDocument:
    """Return the VexDocument of a decoded JSON document in any supported format.

    Raise VexError naming ``source`` (and the JSON path) when it is not a readable VEX document.
    """
    kind = vex_format(obj)
    if kind == "openvex":
        return parse_openvex(obj, source=source)
    if kind == "cyclonedx":
        return parse_cyclonedx_vex(obj, source=source)
    if kind == "csaf":
        return parse_csaf_vex(obj, source=source)
    if type(obj) is not dict:
        raise VexError(
            f"the JSON document is {_a(json_type(obj))}, not an object; {_EXPECTED}",
            source=source,
            location="$",
        )
    raise VexError(f"{_describe(obj)}; {_EXPECTED}", source=source, location="$")


def read_vex(data: bytes, name: str, *, max_bytes: int = MAX_VEX_BYTES) -> VexDocument:
    """Return the VexDocument in ``data``; raise VexError if it is not a readable VEX document.

    ``name`` (a path, an upload's file name) names the input in errors and plays no part in
    telling the format.
    """
    if len(data) > max_bytes:
        raise VexError(
            f"the input is {len(data):,} bytes; the limit is {max_bytes:,} bytes", source=name
        )
    body = data.removeprefix(_UTF8_BOM)
    if not body.strip():
        raise VexError(f"the input is empty; {_EXPECTED}", source=name)
    try:
        obj = orjson.loads(body)
    except orjson.JSONDecodeError as e:
        raise VexError(
            f"not valid JSON ({e.msg}); {_EXPECTED}",
            source=name,
            location=f"line {e.lineno} column {e.colno}",
        ) from None
    try:
        return parse_vex(obj, source=name)
    except RecursionError as e:
        raise VexError("the document is nested too deeply to read", source=name) from e


def read_vex_file(path: Path, *, max_bytes: int = MAX_VEX_BYTES) -> VexDocument:
    """Return the VexDocument in the file at ``path``; raise VexError when it cannot be read,
    is larger than ``max_bytes`` (at most ``max_bytes + 1`` bytes are read) or is not VEX."""
    try:
        data = read_file(path, str(path), max_bytes)
    except AdvisoryError as e:
        raise vex_error(e) from e
    return read_vex(data, str(path), max_bytes=max_bytes)


def _a(name: str) -> str:
    return f"an {name}" if name[0] in "aeiou" else f"a {name}"


def _describe(doc: dict[str, Any]) -> str:
    """Return what a JSON object that is not a supported VEX document looks like."""
    if "@context" in doc:
        return f"this is a JSON-LD document with @context {doc['@context']!r}, not OpenVEX"
    if "spdxVersion" in doc or "spdxId" in doc:
        return "this is an SPDX SBOM, which carries no VEX statements"
    if "bomFormat" in doc:
        return f"'bomFormat' is {doc['bomFormat']!r}, not 'CycloneDX'"
    if "specVersion" in doc and ("components" in doc or "vulnerabilities" in doc):
        return "this looks like CycloneDX JSON but has no 'bomFormat'"
    if "id" in doc and ("affected" in doc or "modified" in doc or "schema_version" in doc):
        return f"this is an OSV vulnerability record ({doc.get('id')!r}), not a VEX document"
    if "statements" in doc:
        return "this looks like OpenVEX but has no OpenVEX '@context'"
    keys = ", ".join(repr(k) for k in list(doc)[:5])
    return f"this JSON object has none of '@context', 'bomFormat' or 'document' (keys: {keys})"
