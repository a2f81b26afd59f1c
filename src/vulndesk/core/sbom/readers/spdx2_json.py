"""SPDX 2.x JSON (2.2 and 2.3; 2.1 documents of the same shape are read too).

Hand-written on an orjson-parsed document rather than on spdx-tools, which takes ~0.17 s to
import and cannot read SPDX 3 at all; see ``docs/decisions/sbom-readers.md``.

Reads ``packages`` (with ``externalRefs`` purl / cpe23Type / cpe22Type / swid; the category is
``PACKAGE_MANAGER`` in 2.2 and ``PACKAGE-MANAGER`` in 2.3, and is not needed to tell the type),
``relationships``, ``documentDescribes`` and ``creationInfo``. Graph and subject rules are in
:mod:`._spdx_assembly`.
"""

from __future__ import annotations

from typing import Any

from vulndesk.core.errors import SbomError
from vulndesk.core.sbom.model import Hash, Sbom
from vulndesk.core.sbom.readers._json_fields import (
    FieldError,
    as_obj,
    as_str,
    opt_list,
    opt_obj,
    opt_str,
    req_str,
)
from vulndesk.core.sbom.readers._spdx_assembly import (
    SpdxPackage,
    add_external_ref,
    add_licence,
    agent_name,
    assemble_spdx,
    known,
    spdx2_edge,
    spdx2_version,
    split_creators,
    unsupported_spdx2,
)

__all__ = ["read_spdx2_json"]


def read_spdx2_json(doc: dict[str, Any], *, source: str) -> Sbom:
    """Return the :class:`Sbom` of a parsed SPDX 2 JSON document; raise SbomError."""
    try:
        return _read(doc)
    except FieldError as e:
        raise SbomError(e.message, source=source, location=e.location) from None


def _read(doc: dict[str, Any]) -> Sbom:
    version_text = req_str(doc, "spdxVersion", "$")
    spec_version = spdx2_version(version_text)
    if spec_version is None:
        raise FieldError(unsupported_spdx2(version_text), "$.spdxVersion")
    document_id = opt_str(doc, "SPDXID", "$") or "SPDXRef-DOCUMENT"
    packages = []
    edges = []
    for i, item in enumerate(opt_list(doc, "packages", "$")):
        path = f"$.packages[{i}]"
        obj = as_obj(item, path, "a package")
        package = _package(obj, path)
        packages.append(package)
        for j, file_id in enumerate(opt_list(obj, "hasFiles", path)):
            edges.append((package.ref, as_str(file_id, f"{path}.hasFiles[{j}]", "a file id")))
    non_package_ids = {document_id}
    for key in ("files", "snippets"):
        for i, item in enumerate(opt_list(doc, key, "$")):
            path = f"$.{key}[{i}]"
            element_id = opt_str(as_obj(item, path, f"an item of {key!r}"), "SPDXID", path)
            if element_id:
                non_package_ids.add(element_id)

    described = [
        as_str(item, f"$.documentDescribes[{i}]", "a described element id")
        for i, item in enumerate(opt_list(doc, "documentDescribes", "$"))
    ]
    for i, item in enumerate(opt_list(doc, "relationships", "$")):
        path = f"$.relationships[{i}]"
        relationship = as_obj(item, path, "a relationship")
        source = req_str(relationship, "spdxElementId", path)
        kind = req_str(relationship, "relationshipType", path)
        target = req_str(relationship, "relatedSpdxElement", path)
        if kind == "DESCRIBES" and source == document_id:
            described.append(target)
        elif kind == "DESCRIBED_BY" and target == document_id:
            described.append(source)
        else:
            edge = spdx2_edge(source, kind, target)
            if edge is not None:
                edges.append(edge)

    creation = opt_obj(doc, "creationInfo", "$") or {}
    creators = [
        as_str(item, f"$.creationInfo.creators[{i}]", "a creator")
        for i, item in enumerate(opt_list(creation, "creators", "$.creationInfo"))
    ]
    tools, authors = split_creators(creators)
    return assemble_spdx(
        spec_version=spec_version,
        encoding="json",
        packages=packages,
        edges=edges,
        non_package_ids=non_package_ids,
        described=described,
        name=opt_str(doc, "name", "$"),
        serial_number=opt_str(doc, "documentNamespace", "$"),
        created=opt_str(creation, "created", "$.creationInfo"),
        tools=tools,
        authors=authors,
    )


def _package(obj: dict[str, Any], path: str) -> SpdxPackage:
    purpose = opt_str(obj, "primaryPackagePurpose", path)
    package = SpdxPackage(
        ref=req_str(obj, "SPDXID", path),
        name=req_str(obj, "name", path),
        where=path,
        version=known(opt_str(obj, "versionInfo", path)),
        type=purpose.lower() if purpose else None,
        supplier=agent_name(opt_str(obj, "supplier", path)),
        description=known(opt_str(obj, "description", path) or opt_str(obj, "summary", path)),
    )
    for i, item in enumerate(opt_list(obj, "checksums", path)):
        item_path = f"{path}.checksums[{i}]"
        checksum = as_obj(item, item_path, "a checksum")
        package.hashes.append(
            Hash(
                req_str(checksum, "algorithm", item_path).upper(),
                req_str(checksum, "checksumValue", item_path),
            )
        )
    add_licence(package, opt_str(obj, "licenseConcluded", path))
    add_licence(package, opt_str(obj, "licenseDeclared", path))
    for i, item in enumerate(opt_list(obj, "externalRefs", path)):
        item_path = f"{path}.externalRefs[{i}]"
        ref = as_obj(item, item_path, "an external reference")
        add_external_ref(
            package,
            req_str(ref, "referenceType", item_path),
            req_str(ref, "referenceLocator", item_path),
        )
    return package
