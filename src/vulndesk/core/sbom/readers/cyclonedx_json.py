"""CycloneDX JSON (spec 1.2 to 1.7) into the vulndesk SBOM model.

Hand-written on an already parsed (orjson) document rather than on cyclonedx-python-lib: the
library takes ~0.3 s for an 840-component BOM, more than the whole scan budget; see
``docs/decisions/sbom-readers.md``.

What is read: ``metadata`` (timestamp, tools in the 1.2-1.4 array form and the 1.5+ object form,
authors, the subject ``component``), ``components`` with nested ``components`` flattened in
document order (a parent is recorded as depending on the components nested in it, as SPDX
CONTAINS is), ``dependencies``. Services, compositions, pedigree and evidence are not read. A
document with vulnerabilities but no components is a VEX, and is refused here.
"""

from __future__ import annotations

from typing import Any

from vulndesk.core.errors import SbomError
from vulndesk.core.sbom.model import Component, Hash, Sbom
from vulndesk.core.sbom.readers._assembly import SbomAssembler, coordinates
from vulndesk.core.sbom.readers._json_fields import (
    FieldError,
    as_obj,
    as_str,
    opt_list,
    opt_obj,
    opt_str,
    req_str,
)

__all__ = ["SUPPORTED_VERSIONS", "read_cyclonedx_json"]

#: CycloneDX defined a JSON encoding from 1.2 on.
SUPPORTED_VERSIONS = ("1.2", "1.3", "1.4", "1.5", "1.6", "1.7")


def read_cyclonedx_json(doc: dict[str, Any], *, source: str) -> Sbom:
    """Return the :class:`Sbom` of a parsed CycloneDX JSON document; raise SbomError."""
    try:
        return _read(doc)
    except FieldError as e:
        raise SbomError(e.message, source=source, location=e.location) from None


def _read(doc: dict[str, Any]) -> Sbom:
    bom_format = req_str(doc, "bomFormat", "$")
    if bom_format != "CycloneDX":
        raise FieldError(f"'bomFormat' is {bom_format!r}; expected 'CycloneDX'", "$.bomFormat")
    spec_version = req_str(doc, "specVersion", "$")
    if spec_version not in SUPPORTED_VERSIONS:
        raise FieldError(
            f"CycloneDX {spec_version} JSON is not supported (supported: "
            f"{', '.join(SUPPORTED_VERSIONS)})",
            "$.specVersion",
        )
    metadata = opt_obj(doc, "metadata", "$") or {}
    components = opt_list(doc, "components", "$")
    vulnerabilities = opt_list(doc, "vulnerabilities", "$")
    if vulnerabilities and not components:
        raise FieldError(
            f"this is a CycloneDX VEX document: it has {len(vulnerabilities)} vulnerabilities and"
            " no components; import it as VEX, not as an SBOM",
            "$.vulnerabilities",
        )

    # Collect every component object first (iteratively: nesting depth must not matter), so
    # that synthetic refs can avoid every bom-ref declared anywhere in the document.
    nodes: list[tuple[dict[str, Any], str, int]] = []  # (object, JSON path, parent index or -1)
    declared: set[str] = set()
    subject_obj = opt_obj(metadata, "component", "$.metadata")
    stack: list[tuple[object, str, int]] = [
        (item, f"$.components[{i}]", -1) for i, item in reversed(list(enumerate(components)))
    ]
    if subject_obj is not None:
        stack.append((subject_obj, "$.metadata.component", -1))
    while stack:
        value, path, parent = stack.pop()
        obj = as_obj(value, path, "a component")
        index = len(nodes)
        nodes.append((obj, path, parent))
        ref = opt_str(obj, "bom-ref", path)
        if ref:
            declared.add(ref)
        children = opt_list(obj, "components", path)
        for i in range(len(children) - 1, -1, -1):
            stack.append((children[i], f"{path}.components[{i}]", index))

    sbom = SbomAssembler(
        format="CycloneDX", spec_version=spec_version, encoding="json", reserved_refs=declared
    )
    sbom.add_tree(
        [(parent, opt_str(obj, "bom-ref", path)) for obj, path, parent in nodes],
        has_subject=subject_obj is not None,
        make=lambda index, ref: _component(sbom, nodes[index][0], nodes[index][1], ref),
    )

    for i, entry in enumerate(opt_list(doc, "dependencies", "$")):
        path = f"$.dependencies[{i}]"
        entry = as_obj(entry, path, "a dependency")
        targets = opt_list(entry, "dependsOn", path)
        sbom.depend(
            req_str(entry, "ref", path),
            (as_str(t, f"{path}.dependsOn[{j}]", "a ref") for j, t in enumerate(targets)),
        )

    return sbom.build(
        serial_number=opt_str(doc, "serialNumber", "$"),
        created=opt_str(metadata, "timestamp", "$.metadata"),
        tools=_tools(metadata),
        authors=_authors(metadata),
    )


def _component(
    sbom: SbomAssembler, obj: dict[str, Any], path: str, declared_ref: str | None
) -> Component:
    name = req_str(obj, "name", path)
    version = opt_str(obj, "version", path)
    group = opt_str(obj, "group", path)
    purl = opt_str(obj, "purl", path)
    cpe = opt_str(obj, "cpe", path)
    ids = sbom.identifiers(purl=purl, cpes=(cpe,) if cpe else (), where=path)
    swid = opt_obj(obj, "swid", path)
    supplier = opt_obj(obj, "supplier", path)
    description = opt_str(obj, "description", path)
    return Component(
        ref=sbom.claim_ref(
            declared_ref, fallback=purl or coordinates(group, name, version), where=path
        ),
        name=name,
        version=version,
        type=opt_str(obj, "type", path),
        group=group,
        purl=ids.purl,
        purl_error=ids.purl_error,
        cpes=ids.cpes,
        swid=req_str(swid, "tagId", f"{path}.swid") if swid is not None else None,
        hashes=_hashes(obj, path),
        licenses=_licenses(obj, path),
        supplier=opt_str(supplier, "name", f"{path}.supplier") if supplier is not None else None,
        description=(description.strip() or None) if description is not None else None,
        scope=opt_str(obj, "scope", path),
    )


def _hashes(obj: dict[str, Any], path: str) -> tuple[Hash, ...]:
    hashes = opt_list(obj, "hashes", path)
    if not hashes:
        return ()
    result = []
    for i, item in enumerate(hashes):
        item_path = f"{path}.hashes[{i}]"
        entry = as_obj(item, item_path, "a hash")
        result.append(
            Hash(req_str(entry, "alg", item_path).upper(), req_str(entry, "content", item_path))
        )
    return tuple(result)


def _licenses(obj: dict[str, Any], path: str) -> tuple[str, ...]:
    """Return licence ids, names and expressions (``[{license: {id|name}} | {expression}]``)."""
    items = opt_list(obj, "licenses", path)
    if not items:
        return ()
    result: list[str] = []
    for i, item in enumerate(items):
        item_path = f"{path}.licenses[{i}]"
        entry = as_obj(item, item_path, "a licence choice")
        expression = opt_str(entry, "expression", item_path)
        if expression:
            result.append(expression)
            continue
        licence = opt_obj(entry, "license", item_path)
        if licence is not None:
            lic_path = f"{item_path}.license"
            value = opt_str(licence, "id", lic_path) or opt_str(licence, "name", lic_path)
            if value:
                result.append(value)
    return tuple(dict.fromkeys(result))


def _tools(metadata: dict[str, Any]) -> list[str]:
    """Return tool names from ``[{vendor, name, version}]`` or (1.5+) ``{components, services}``."""
    tools = metadata.get("tools")
    if tools is None:
        return []
    if type(tools) is list:
        entries = [(item, f"$.metadata.tools[{i}]", "vendor") for i, item in enumerate(tools)]
    elif type(tools) is dict:
        entries = []
        for kind in ("components", "services"):
            for i, item in enumerate(opt_list(tools, kind, "$.metadata.tools")):
                entries.append((item, f"$.metadata.tools.{kind}[{i}]", "group"))
    else:
        raise FieldError("expected an array or an object for 'tools'", "$.metadata.tools")
    labels = []
    for item, path, maker_key in entries:
        tool = as_obj(item, path, "a tool")
        parts = (opt_str(tool, maker_key, path), opt_str(tool, "name", path))
        version = opt_str(tool, "version", path)
        label = " ".join(p for p in (*parts, version) if p)
        if label:
            labels.append(label)
    return labels


def _authors(metadata: dict[str, Any]) -> list[str]:
    authors = []
    for i, item in enumerate(opt_list(metadata, "authors", "$.metadata")):
        path = f"$.metadata.authors[{i}]"
        author = as_obj(item, path, "an author")
        label = opt_str(author, "name", path) or opt_str(author, "email", path)
        if label:
            authors.append(label)
    return authors
