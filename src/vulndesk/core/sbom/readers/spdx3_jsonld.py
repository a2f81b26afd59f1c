"""SPDX 3.0 JSON-LD (``@context`` https://spdx.org/rdf/3.0.x/spdx-context.jsonld + ``@graph``).

Read as plain JSON in the compact form the SPDX context defines (``type``, ``spdxId``, prefixed
property names such as ``software_packageVersion``); no JSON-LD processing, no network. spdx-tools
cannot read SPDX 3 at all (see ``docs/decisions/sbom-readers.md``).

- components: ``software_Package`` elements (name, ``software_packageVersion``,
  ``software_packageUrl`` and ``externalIdentifier`` packageUrl / cpe22 / cpe23 / swid,
  ``verifiedUsing`` hashes, ``suppliedBy``, ``software_primaryPurpose``);
- licences: ``hasConcludedLicense`` / ``hasDeclaredLicense`` relationships to licence elements;
- subject: targets of ``describes`` relationships from the document or an SBOM element, then the
  ``rootElement`` of ``software_Sbom`` and ``SpdxDocument`` elements (an SBOM element among those
  stands for its own root elements);
- graph: see :mod:`._spdx_assembly`.
"""

from __future__ import annotations

import re
from typing import Any

from vulndesk.core.errors import SbomError
from vulndesk.core.sbom.model import Hash, Sbom
from vulndesk.core.sbom.readers._json_fields import (
    FieldError,
    as_obj,
    opt_list,
    opt_str,
    req_str,
    str_list,
)
from vulndesk.core.sbom.readers._spdx_assembly import (
    SPDX3_FORWARD,
    SpdxPackage,
    assemble_spdx,
    known,
)

__all__ = ["is_spdx3_context", "read_spdx3_jsonld"]

_CONTEXT = re.compile(r"https?://spdx\.org/rdf/(3\.0(?:\.\d+)?)/spdx-context\.jsonld")
_LICENCE_RELATIONSHIPS = ("hasConcludedLicense", "hasDeclaredLicense")
_LISTED_LICENCE = "https://spdx.org/licenses/"
_NO_ASSERTION_LICENCE = "NoAssertionLicense"
_NONE_LICENCE = "NoneLicense"


def is_spdx3_context(context: object) -> bool:
    """Return whether a JSON-LD ``@context`` value is the SPDX 3.0 context."""
    return _context_version(context) is not None


def read_spdx3_jsonld(doc: dict[str, Any], *, source: str) -> Sbom:
    """Return the :class:`Sbom` of a parsed SPDX 3.0 JSON-LD document; raise SbomError."""
    try:
        return _read(doc)
    except FieldError as e:
        raise SbomError(e.message, source=source, location=e.location) from None


def _context_version(context: object) -> str | None:
    contexts = context if isinstance(context, list) else [context]
    for item in contexts:
        if isinstance(item, str):
            match = _CONTEXT.fullmatch(item.strip())
            if match:
                return match[1]
    return None


def _read(doc: dict[str, Any]) -> Sbom:
    context_version = _context_version(doc.get("@context"))
    graph = opt_list(doc, "@graph", "$")
    if not graph:
        raise FieldError("the SPDX 3 document has no elements in '@graph'", "$")

    elements: dict[str, tuple[dict[str, Any], str]] = {}  # id -> (element, JSON path)
    typed: list[tuple[str, dict[str, Any], str]] = []  # (type, element, path) in document order
    for i, item in enumerate(graph):
        path = f"$['@graph'][{i}]"
        element = as_obj(item, path, "an element")
        kind = opt_str(element, "type", path) or opt_str(element, "@type", path) or ""
        element_id = opt_str(element, "spdxId", path) or opt_str(element, "@id", path)
        if element_id:
            elements[element_id] = (element, path)
        typed.append((kind, element, path))

    packages: list[SpdxPackage] = []
    package_ids: set[str] = set()
    edges: list[tuple[str, str]] = []
    described: list[str] = []
    roots: list[str] = []
    licences: list[tuple[str, str, str]] = []  # (package id, licence element id, path)
    document: tuple[dict[str, Any], str] | None = None
    for kind, element, path in typed:
        if kind == "software_Package":
            package = _package(element, path, elements)
            packages.append(package)
            package_ids.add(package.ref)
        elif kind == "SpdxDocument":
            document = document or (element, path)
            roots += str_list(element, "rootElement", path)
        elif kind == "software_Sbom":
            roots += str_list(element, "rootElement", path)
        elif "relationshipType" in element:
            relationship = req_str(element, "relationshipType", path)
            source = req_str(element, "from", path)
            targets = str_list(element, "to", path)
            if not targets:
                raise FieldError("missing required 'to' (the related element ids)", path)
            if relationship == "describes":
                described += targets
            elif relationship in SPDX3_FORWARD:
                edges += [(source, target) for target in targets]
            elif relationship in _LICENCE_RELATIONSHIPS:
                licences += [(source, target, path) for target in targets]

    by_id = {package.ref: package for package in packages}
    for package_id, licence_id, path in licences:
        licensed = by_id.get(package_id)
        if licensed is not None:
            value = _licence(licence_id, elements, path)
            if value is not None and value not in licensed.licenses:
                licensed.licenses.append(value)

    # An SBOM element named as a root stands for its own roots.
    for root in roots:
        found = elements.get(root)
        if found is not None and found[0].get("type") == "software_Sbom":
            described += str_list(found[0], "rootElement", found[1])
        else:
            described.append(root)

    name = serial = created = None
    tools: list[str] = []
    authors: list[str] = []
    spec_version = context_version or "3.0"
    if document is not None:
        element, path = document
        name = opt_str(element, "name", path)
        serial = opt_str(element, "spdxId", path) or opt_str(element, "@id", path)
        info = _creation_info(element, path, elements)
        if info is not None:
            info_obj, info_path = info
            spec_version = opt_str(info_obj, "specVersion", info_path) or spec_version
            created = opt_str(info_obj, "created", info_path)
            authors = _agent_names(str_list(info_obj, "createdBy", info_path), elements)
            tools = _agent_names(str_list(info_obj, "createdUsing", info_path), elements)

    return assemble_spdx(
        spec_version=spec_version,
        encoding="json-ld",
        packages=packages,
        edges=edges,
        non_package_ids=set(elements) - package_ids,
        described=described,
        name=name,
        serial_number=serial,
        created=created,
        tools=tools,
        authors=authors,
    )


def _package(
    element: dict[str, Any], path: str, elements: dict[str, tuple[dict[str, Any], str]]
) -> SpdxPackage:
    ref = opt_str(element, "spdxId", path) or opt_str(element, "@id", path)
    if not ref:
        raise FieldError("missing required string 'spdxId'", path)
    purpose = opt_str(element, "software_primaryPurpose", path)
    supplier = opt_str(element, "suppliedBy", path)
    package = SpdxPackage(
        ref=ref,
        name=req_str(element, "name", path),
        where=path,
        version=known(opt_str(element, "software_packageVersion", path)),
        type=purpose,
        supplier=_agent_names([supplier], elements)[0] if supplier else None,
        description=known(
            opt_str(element, "description", path) or opt_str(element, "summary", path)
        ),
    )
    purl = opt_str(element, "software_packageUrl", path)
    if purl:
        package.purls.append(purl)
    for i, item in enumerate(opt_list(element, "externalIdentifier", path)):
        item_path = f"{path}.externalIdentifier[{i}]"
        identifier = as_obj(item, item_path, "an external identifier")
        kind = req_str(identifier, "externalIdentifierType", item_path)
        value = req_str(identifier, "identifier", item_path).strip()
        if kind == "packageUrl":
            package.purls.append(value)
        elif kind in ("cpe22", "cpe23"):
            package.cpes.append(value)
        elif kind == "swid":
            package.swids.append(value.removeprefix("swid:"))
    for i, item in enumerate(opt_list(element, "verifiedUsing", path)):
        item_path = f"{path}.verifiedUsing[{i}]"
        check = as_obj(item, item_path, "an integrity method")
        if (opt_str(check, "type", item_path) or opt_str(check, "@type", item_path)) == "Hash":
            package.hashes.append(
                Hash(
                    req_str(check, "algorithm", item_path).upper(),
                    req_str(check, "hashValue", item_path),
                )
            )
    return package


def _licence(
    licence_id: str, elements: dict[str, tuple[dict[str, Any], str]], path: str
) -> str | None:
    """Return the licence text of a licence element or well-known licence IRI."""
    if licence_id.endswith("/" + _NO_ASSERTION_LICENCE):
        return None
    if licence_id.endswith("/" + _NONE_LICENCE):
        return "NONE"
    found = elements.get(licence_id)
    if found is None:
        if licence_id.startswith(_LISTED_LICENCE):
            return licence_id[len(_LISTED_LICENCE) :]
        return None
    element, element_path = found
    expression = opt_str(element, "simplelicensing_licenseExpression", element_path)
    if expression is not None:
        return None if expression.strip() == "NOASSERTION" else expression.strip()
    for key in ("expandedlicensing_licenseId", "name"):
        value = opt_str(element, key, element_path)
        if value:
            return value
    return licence_id.rsplit("/", 1)[-1] or None


def _creation_info(
    element: dict[str, Any], path: str, elements: dict[str, tuple[dict[str, Any], str]]
) -> tuple[dict[str, Any], str] | None:
    """Return the CreationInfo of an element: inline, or a blank node elsewhere in the graph."""
    info = element.get("creationInfo")
    if isinstance(info, dict):
        return info, f"{path}.creationInfo"
    if isinstance(info, str):
        return elements.get(info)
    return None


def _agent_names(ids: list[str], elements: dict[str, tuple[dict[str, Any], str]]) -> list[str]:
    """Return the names of agents or tools (their ids when the graph does not name them)."""
    names = []
    for agent_id in ids:
        found = elements.get(agent_id)
        name = opt_str(found[0], "name", found[1]) if found is not None else None
        names.append(name or agent_id)
    return names
