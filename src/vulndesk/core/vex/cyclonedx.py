"""The CycloneDX VEX codec: ``vulnerabilities[].analysis`` in a BOM, or in a standalone VEX.

**Reading.** Each vulnerability with an ``analysis.state`` is one statement; one without (a
vulnerability disclosure report lists vulnerabilities without saying whether they apply) carries
no VEX statement and is not read. ``affects[].ref`` is a bom-ref of this document (embedded VEX:
the BOM's ``metadata.component``, ``components`` and ``services``, nested ones too) or a BOM-Link
``urn:cdx:<serial>/<version>#<bom-ref>`` (standalone VEX; a link to this very BOM is resolved like
a bom-ref). A resolved ref gives the product the component's purl, CPE, name and version; an
unresolved one keeps the ref, with ``purl`` set when the ref (or the BOM-Link's bom-ref) is a
purl. ``affects[].versions`` become the product's
:class:`~vulndesk.core.vex.model.VexVersion` list. ``references[].id`` are aliases,
``analysis.detail`` the detail, ``recommendation`` the action statement, ``analysis.lastUpdated``
(else ``firstIssued``) the timestamp.

States and justifications map as in vex.md:

=============================================  ===================================================
CycloneDX                                      vulndesk (OpenVEX)
=============================================  ===================================================
not_affected, false_positive                   not_affected
exploitable                                    affected
resolved, resolved_with_pedigree               fixed
in_triage                                      under_investigation
code_not_present                               vulnerable_code_not_present
code_not_reachable                             vulnerable_code_not_in_execute_path
requires_dependency                            component_not_present
requires_configuration, requires_environment   vulnerable_code_cannot_be_controlled_by_adversary
protected_by_compiler, protected_at_runtime,   inline_mitigations_already_exist
protected_at_perimeter,
protected_by_mitigating_control
=============================================  ===================================================

vex.md's table also lists ``protected_*`` under "cannot be controlled by adversary"; its next row
names all four ``protected_*`` words under "inline mitigations", which is what CycloneDX's own
OpenVEX mapping does, so that row wins. Each many-to-one row keeps the CycloneDX word in
``native_state`` unless it is the first of its row (the one written for the OpenVEX word), so
reading and writing CycloneDX gives the same words back.

**Writing** (:func:`cyclonedx_vex_document`) gives a CycloneDX 1.6 VEX: each statement one
vulnerability with ``analysis {state, justification, response, detail, lastUpdated}``. With a
``bom_serial`` every ``affects[].ref`` is a BOM-Link into that BOM; without one, products with a
name, version, CPE or purl of their own are declared in ``components`` under their ref, so the
refs resolve and a round trip keeps them. Lost or reshaped on the way from another format:

- ``impact_statement`` has no CycloneDX field: it is written at the start of ``analysis.detail``;
- a product is named by its ``ref`` when the document was CycloneDX, else by its purl (then CPE,
  then ref): a CSAF product_id means nothing outside its document;
- ``subcomponents`` are dropped (``affects`` names the product only);
- CSAF ``first_affected``/``last_affected``/``first_fixed`` become plain exploitable/resolved.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any, Final
from urllib.parse import quote, unquote

from vulndesk.core.advisories.csaf import _str, _timestamp
from vulndesk.core.advisories.jsonfields import array, fail, json_object, optional_str
from vulndesk.core.advisories.osv import format_timestamp
from vulndesk.core.errors import AdvisoryError
from vulndesk.core.ids.purl import is_purl
from vulndesk.core.vex.model import (
    RESPONSES,
    VERSION_STATUSES,
    VexDocument,
    VexProduct,
    VexStatement,
    VexStatus,
    VexVersion,
    vex_error,
)

__all__ = [
    "CDX_JUSTIFICATIONS",
    "CDX_STATES",
    "bom_link",
    "cyclonedx_vex_document",
    "parse_bom_link",
    "parse_cyclonedx_vex",
]

#: CycloneDX ``analysis.state`` -> status. The first word of each status is the one written.
CDX_STATES: Final[dict[str, VexStatus]] = {
    "not_affected": VexStatus.NOT_AFFECTED,
    "false_positive": VexStatus.NOT_AFFECTED,
    "exploitable": VexStatus.AFFECTED,
    "resolved": VexStatus.FIXED,
    "resolved_with_pedigree": VexStatus.FIXED,
    "in_triage": VexStatus.UNDER_INVESTIGATION,
}
#: CycloneDX ``analysis.justification`` -> OpenVEX justification (module docstring: why).
CDX_JUSTIFICATIONS: Final[dict[str, str]] = {
    "code_not_present": "vulnerable_code_not_present",
    "code_not_reachable": "vulnerable_code_not_in_execute_path",
    "requires_dependency": "component_not_present",
    "requires_configuration": "vulnerable_code_cannot_be_controlled_by_adversary",
    "requires_environment": "vulnerable_code_cannot_be_controlled_by_adversary",
    "protected_by_mitigating_control": "inline_mitigations_already_exist",
    "protected_by_compiler": "inline_mitigations_already_exist",
    "protected_at_runtime": "inline_mitigations_already_exist",
    "protected_at_perimeter": "inline_mitigations_already_exist",
}
_STATE_OF: Final = {
    status: next(k for k, v in CDX_STATES.items() if v is status) for status in VexStatus
}
_JUSTIFICATION_OF: Final = {
    j: next(k for k, v in CDX_JUSTIFICATIONS.items() if v == j) for j in CDX_JUSTIFICATIONS.values()
}
_BOM_LINK = re.compile(r"urn:cdx:([0-9a-fA-F-]{36})/([1-9][0-9]*)(?:#(.*))?", re.DOTALL)
_UUID_URN = re.compile(r"urn:uuid:([0-9a-fA-F-]{36})")
# what a bom-ref keeps unescaped in a BOM-Link fragment: everything a purl uses except '%' and '#'
_FRAGMENT_SAFE: Final = "!$&'()*+,;=:@/?~-._"


def bom_link(serial: str, version: int, ref: str | None = None) -> str:
    """Return the BOM-Link to BOM ``serial`` (``urn:uuid:...`` or the bare UUID) at ``version``,
    or to its component ``ref`` when given (``urn:cdx:<uuid>/<version>#<ref>``)."""
    bare = serial.removeprefix("urn:uuid:")
    link = f"urn:cdx:{bare}/{version}"
    return link if ref is None else f"{link}#{quote(ref, safe=_FRAGMENT_SAFE)}"


def parse_bom_link(text: str) -> tuple[str, int, str | None] | None:
    """Return (serial UUID, version, bom-ref or None) of a BOM-Link, or None if ``text`` is not
    one. The bom-ref is percent-decoded."""
    m = _BOM_LINK.fullmatch(text)
    if m is None:
        return None
    fragment = m.group(3)
    return m.group(1).lower(), int(m.group(2)), None if fragment is None else unquote(fragment)


# --- reading --------------------------------------------------------------------------------------


def parse_cyclonedx_vex(obj: object, *, source: str) -> VexDocument:
    """Return the VexDocument of the VEX statements in a CycloneDX JSON document (decoded).

    A BOM without analysed vulnerabilities gives a document without statements. Raise
    :class:`~vulndesk.core.vex.model.VexError` naming ``source`` and the JSON path of the first
    problem.
    """
    try:
        return _document(obj, source)
    except AdvisoryError as e:
        raise vex_error(e) from e


def _document(obj: object, source: str) -> VexDocument:
    doc = json_object(obj, source, "$", "a CycloneDX document (a JSON object)")
    if doc.get("bomFormat") != "CycloneDX":
        raise fail(source, "$.bomFormat", "'CycloneDX'", doc.get("bomFormat"))
    serial = optional_str(doc, "serialNumber", source, "$") or ""
    version = doc.get("version", 1)
    if type(version) is not int or version < 1:
        raise fail(source, "$.version", "a BOM version (an integer from 1)", version)
    metadata = _opt_obj(doc, "metadata", source, "$")
    own = _UUID_URN.fullmatch(serial)
    own_link = (own.group(1).lower(), version) if own else None
    components = _components(doc, metadata, source)

    statements: list[VexStatement] = []
    links: set[str] = set()
    for i, value in enumerate(array(doc, "vulnerabilities", source, "$")):
        path = f"$.vulnerabilities[{i}]"
        vuln = json_object(value, source, path)
        statement = _statement(vuln, components, own_link, source, path)
        if statement is None:
            continue
        statements.append(statement)
        for product in statement.products:
            link = parse_bom_link(product.ref)
            if link is not None and (link[0], link[1]) != own_link:
                links.add(bom_link(link[0], link[1]))
    return VexDocument(
        format="cyclonedx",
        id=serial,
        author=_author(metadata, source),
        timestamp=_timestamp(metadata, "timestamp", source, "$.metadata"),
        version=version,
        statements=tuple(statements),
        bom_link=links.pop() if len(links) == 1 else "",
    )


def _opt_obj(parent: dict[str, Any], key: str, source: str, path: str) -> dict[str, Any]:
    value = parent.get(key)
    return {} if value is None else json_object(value, source, f"{path}.{key}")


def _author(metadata: dict[str, Any], source: str) -> str:
    names = []
    for i, value in enumerate(array(metadata, "authors", source, "$.metadata")):
        name = optional_str(
            json_object(value, source, f"$.metadata.authors[{i}]"),
            "name",
            source,
            f"$.metadata.authors[{i}]",
        )
        if name:
            names.append(name)
    if names:
        return ", ".join(names)
    # 1.6 renamed metadata.manufacture to manufacturer
    for key in ("supplier", "manufacturer", "manufacture"):
        entity = _opt_obj(metadata, key, source, "$.metadata")
        name = optional_str(entity, "name", source, f"$.metadata.{key}")
        if name:
            return name
    return ""


def _walk(doc: dict[str, Any], metadata: dict[str, Any]) -> Iterator[tuple[object, str]]:
    """Yield every component and service object of the BOM with its JSON path, nested ones too
    (iteratively: nesting depth must not matter)."""
    stack: list[tuple[object, str]] = []
    if metadata.get("component") is not None:
        stack.append((metadata["component"], "$.metadata.component"))
    for key in ("components", "services"):
        items = doc.get(key)
        if type(items) is list:
            stack.extend((item, f"$.{key}[{i}]") for i, item in enumerate(items))
    while stack:
        value, path = stack.pop()
        yield value, path
        if type(value) is dict:
            for key in ("components", "services"):
                items = value.get(key)
                if type(items) is list:
                    stack.extend((item, f"{path}.{key}[{i}]") for i, item in enumerate(items))


def _components(
    doc: dict[str, Any], metadata: dict[str, Any], source: str
) -> dict[str, VexProduct]:
    """Return the BOM's components (and services) by bom-ref, as products."""
    array(doc, "components", source, "$")
    array(doc, "services", source, "$")
    out: dict[str, VexProduct] = {}
    for value, path in _walk(doc, metadata):
        item = json_object(value, source, path, "a component object")
        ref = optional_str(item, "bom-ref", source, path)
        if not ref:
            continue
        out[ref] = VexProduct(
            ref=ref,
            purl=optional_str(item, "purl", source, path),
            cpe=optional_str(item, "cpe", source, path),
            name=optional_str(item, "name", source, path) or "",
            version=optional_str(item, "version", source, path) or "",
        )
    return out


def _enum(
    parent: dict[str, Any], key: str, allowed: tuple[str, ...], source: str, path: str
) -> str | None:
    value = parent.get(key)
    if value is None or (type(value) is str and value in allowed):
        return value
    raise fail(source, f"{path}.{key}", "one of " + ", ".join(allowed), value)


def _statement(
    vuln: dict[str, Any],
    components: dict[str, VexProduct],
    own_link: tuple[str, int] | None,
    source: str,
    path: str,
) -> VexStatement | None:
    if vuln.get("analysis") is None:
        return None
    at = f"{path}.analysis"
    analysis = json_object(vuln["analysis"], source, at)
    state = _enum(analysis, "state", tuple(CDX_STATES), source, at)
    if state is None:
        return None
    vulnerability = _str(vuln, "id", source, path).strip()
    status = CDX_STATES[state]
    cdx_justification = _enum(analysis, "justification", tuple(CDX_JUSTIFICATIONS), source, at)
    justification = CDX_JUSTIFICATIONS[cdx_justification] if cdx_justification else None
    native = []
    if state != _STATE_OF[status]:
        native.append(state)
    if (
        cdx_justification
        and justification
        and cdx_justification != _JUSTIFICATION_OF[justification]
    ):
        native.append(cdx_justification)
    responses = []
    for i, response in enumerate(array(analysis, "response", source, at)):
        if type(response) is not str or response not in RESPONSES:
            raise fail(source, f"{at}.response[{i}]", "one of " + ", ".join(RESPONSES), response)
        responses.append(response)
    aliases: list[str] = []
    for i, value in enumerate(array(vuln, "references", source, path)):
        where = f"{path}.references[{i}]"
        alias = _str(json_object(value, source, where), "id", source, where).strip()
        if alias != vulnerability and alias not in aliases:
            aliases.append(alias)
    timestamp = _timestamp(analysis, "lastUpdated", source, at) or _timestamp(
        analysis, "firstIssued", source, at
    )
    products = tuple(
        _affected(value, components, own_link, source, f"{path}.affects[{i}]")
        for i, value in enumerate(array(vuln, "affects", source, path))
    )
    return VexStatement(
        vulnerability=vulnerability,
        status=status,
        products=products,
        aliases=tuple(aliases),
        justification=justification,
        action_statement=optional_str(vuln, "recommendation", source, path) or "",
        responses=tuple(responses),
        detail=optional_str(analysis, "detail", source, at) or "",
        timestamp=timestamp,
        native_state=" ".join(native),
    )


def _affected(
    value: object,
    components: dict[str, VexProduct],
    own_link: tuple[str, int] | None,
    source: str,
    path: str,
) -> VexProduct:
    item = json_object(value, source, path)
    ref = _str(item, "ref", source, path)
    local: str | None = ref
    link = parse_bom_link(ref)
    if link is not None:
        local = link[2] if (link[0], link[1]) == own_link else None
    component = components.get(local) if local is not None else None
    versions = []
    for i, entry in enumerate(array(item, "versions", source, path)):
        where = f"{path}.versions[{i}]"
        spec = json_object(entry, source, where)
        version = optional_str(spec, "version", source, where) or ""
        vers = optional_str(spec, "range", source, where) or ""
        if bool(version) == bool(vers):
            raise AdvisoryError(
                "expected exactly one of 'version' and 'range'", source=source, location=where
            )
        status = _enum(spec, "status", VERSION_STATUSES, source, where) or ""
        versions.append(VexVersion(version=version, range=vers, status=status))
    bare = link[2] if link is not None else ref
    if component is not None:
        return VexProduct(
            ref=ref,
            # a bom-ref that is a purl (as CycloneDX's Maven plugin writes) names the package
            # when the component has no purl of its own
            purl=component.purl or (bare if bare is not None and is_purl(bare) else None),
            cpe=component.cpe,
            name=component.name,
            version=component.version,
            versions=tuple(versions),
        )
    return VexProduct(
        ref=ref,
        purl=bare if bare is not None and is_purl(bare) else None,
        cpe=bare if bare is not None and bare.startswith("cpe:") else None,
        versions=tuple(versions),
    )


# --- writing --------------------------------------------------------------------------------------


def cyclonedx_vex_document(
    doc: VexDocument, *, bom_serial: str | None = None, bom_version: int = 1
) -> dict[str, Any]:
    """Return ``doc`` as a standalone CycloneDX 1.6 VEX document, ready for ``json.dumps``.

    With ``bom_serial`` (the described BOM's ``serialNumber``) every ``affects[].ref`` is a
    BOM-Link to ``bom_serial``/``bom_version``; without it, each is the product's ref (module
    docstring). Lossy where CycloneDX is smaller (module docstring).
    """
    own = doc.format == "cyclonedx"
    out: dict[str, Any] = {"bomFormat": "CycloneDX", "specVersion": "1.6"}
    serial = _serial(doc, bom_serial)
    if serial:
        out["serialNumber"] = serial
    out["version"] = max(doc.version, 1)
    metadata: dict[str, Any] = {}
    if doc.timestamp is not None:
        metadata["timestamp"] = format_timestamp(doc.timestamp)
    if doc.author:
        metadata["authors"] = [{"name": doc.author}]
    if metadata:
        out["metadata"] = metadata
    # a BOM-Link to this very document (an embedded VEX that linked to its own BOM) is declared
    # under its bom-ref, like a plain ref
    this_bom = (serial.removeprefix("urn:uuid:").lower(), out["version"]) if serial else None
    declared: dict[str, dict[str, Any]] = {}
    vulnerabilities = []
    for s in doc.statements:
        affects = []
        for product in s.products:
            ref = _ref(product, own)
            link = parse_bom_link(ref)
            if bom_serial is not None:
                ref = bom_link(bom_serial, bom_version, link[2] if link and link[2] else ref)
            else:
                local = ref if link is None else link[2] if link[:2] == this_bom else None
                if local and local not in declared and _declarable(product, local):
                    declared[local] = _component(product, local)
            affect: dict[str, Any] = {"ref": ref}
            if product.versions:
                affect["versions"] = [_version_json(v) for v in product.versions]
            affects.append(affect)
        vulnerabilities.append(_vulnerability_json(s, affects))
    if declared:
        out["components"] = list(declared.values())
    out["vulnerabilities"] = vulnerabilities
    return out


def _serial(doc: VexDocument, bom_serial: str | None) -> str:
    own = doc.id if _UUID_URN.fullmatch(doc.id) else ""
    described = f"urn:uuid:{bom_serial.removeprefix('urn:uuid:')}" if bom_serial else None
    if own and own != described:
        return own
    if not doc.id and described is None:
        return ""
    # a VEX about a BOM is a BOM of its own, with a serial number of its own
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'{doc.id}|{described}')}"


def _ref(product: VexProduct, own: bool) -> str:
    if own:
        return product.ref
    return product.purl or product.cpe or product.ref


def _declarable(product: VexProduct, ref: str) -> bool:
    """Return whether ``product`` says more than its ref, so it needs a component to say it."""
    return bool(
        product.name or product.version or product.cpe or (product.purl and product.purl != ref)
    )


def _component(product: VexProduct, ref: str) -> dict[str, Any]:
    # the component type is not kept in the model; a VEX is most often about an application
    out: dict[str, Any] = {"type": "application", "bom-ref": ref, "name": product.name or ref}
    if product.version:
        out["version"] = product.version
    if product.cpe:
        out["cpe"] = product.cpe
    if product.purl:
        out["purl"] = product.purl
    return out


def _version_json(v: VexVersion) -> dict[str, Any]:
    out: dict[str, Any] = {"version": v.version} if v.version else {"range": v.range}
    if v.status:
        out["status"] = v.status
    return out


def _native(s: VexStatement, table: dict[str, Any], wanted: object) -> str | None:
    """Return the native word of ``s`` that ``table`` maps to ``wanted``, if any."""
    for word in s.native_state.split():
        if word in table and table[word] == wanted:
            return word
    return None


def _vulnerability_json(s: VexStatement, affects: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {"id": s.vulnerability}
    if s.aliases:
        out["references"] = [{"id": alias, "source": {}} for alias in s.aliases]
    if s.action_statement:
        out["recommendation"] = s.action_statement
    analysis: dict[str, Any] = {"state": _native(s, CDX_STATES, s.status) or _STATE_OF[s.status]}
    if s.justification:
        analysis["justification"] = (
            _native(s, CDX_JUSTIFICATIONS, s.justification) or _JUSTIFICATION_OF[s.justification]
        )
    if s.responses:
        analysis["response"] = list(s.responses)
    detail = "\n\n".join(part for part in (s.impact_statement, s.detail) if part)
    if detail:
        analysis["detail"] = detail
    if s.timestamp is not None:
        analysis["lastUpdated"] = format_timestamp(s.timestamp)
    out["analysis"] = analysis
    if affects:  # a statement about no product in particular (CISA's "any product")
        out["affects"] = affects
    return out
