"""SPDX packages and relationships (2.x and 3.0) into the model, once for every SPDX encoding.

Each SPDX reader turns its encoding into :class:`SpdxPackage` values and directed edges, then
calls :func:`assemble_spdx`. Only packages become components: files and snippets are what a
package is made of, not separately versioned software, and no scanner matches advisories
against them.

The dependency graph is built from these relationship types (SPDX 2.3 section 11, SPDX 3.0
``RelationshipType``); an edge always points from the dependent to its dependency:

- 2.x ``A DEPENDS_ON B`` and ``A CONTAINS B``: A -> B;
- 2.x ``A DEPENDENCY_OF B``, ``A CONTAINED_BY B`` and the scoped ``BUILD_``, ``DEV_``,
  ``OPTIONAL_``, ``PROVIDED_``, ``TEST_``, ``RUNTIME_DEPENDENCY_OF``: B -> A;
- 3.0 ``dependsOn``, ``contains``, ``hasOptionalDependency``, ``hasProvidedDependency``: from -> to.

Link relationships (``STATIC_LINK``, ``hasDynamicLink``...) are left out: real documents use them
in both directions. Files are not components, but paths through them are kept: a package that
CONTAINS a file that DEPENDS_ON a library depends on that library. A file listed after a package
in tag-value, or in a package's ``hasFiles`` in JSON, is contained in that package.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from vulndesk.core.sbom.model import Component, Hash, Sbom
from vulndesk.core.sbom.readers._assembly import SbomAssembler

SPDX2_FORWARD = frozenset({"DEPENDS_ON", "CONTAINS"})
SPDX2_REVERSED = frozenset(
    {
        "DEPENDENCY_OF",
        "CONTAINED_BY",
        "BUILD_DEPENDENCY_OF",
        "DEV_DEPENDENCY_OF",
        "OPTIONAL_DEPENDENCY_OF",
        "PROVIDED_DEPENDENCY_OF",
        "TEST_DEPENDENCY_OF",
        "RUNTIME_DEPENDENCY_OF",
    }
)
SPDX3_FORWARD = frozenset(
    {"dependsOn", "contains", "hasOptionalDependency", "hasProvidedDependency"}
)

#: SPDX 2 versions read (JSON exists from 2.2; 2.1 tag-value has the same shape).
SPDX2_VERSIONS = ("2.1", "2.2", "2.3")
_SPDX2_VERSION = re.compile(r"SPDX-(\d+\.\d+)")

#: Values SPDX uses for "nothing" / "unknown" in place of an element id or a licence.
NO_VALUE = frozenset({"NONE", "NOASSERTION"})


@dataclass(slots=True)
class SpdxPackage:
    """One SPDX package as the readers see it, before it becomes a :class:`Component`."""

    ref: str
    name: str
    where: str  # JSON path or "line N", for warnings
    version: str | None = None
    type: str | None = None
    supplier: str | None = None
    description: str | None = None
    hashes: list[Hash] = field(default_factory=list)
    licenses: list[str] = field(default_factory=list)
    purls: list[str] = field(default_factory=list)
    cpes: list[str] = field(default_factory=list)
    swids: list[str] = field(default_factory=list)


def spdx2_version(text: str) -> str | None:
    """Return ``2.3`` for ``SPDX-2.3``; None when the version is not one we read."""
    match = _SPDX2_VERSION.fullmatch(text.strip())
    return match[1] if match is not None and match[1] in SPDX2_VERSIONS else None


def unsupported_spdx2(text: str) -> str:
    """Return the error message for an SPDX 2 version we do not read."""
    supported = ", ".join(f"SPDX-{v}" for v in SPDX2_VERSIONS)
    return f"SPDX version {text!r} is not supported (supported: {supported})"


def known(value: str | None) -> str | None:
    """Return ``value`` stripped, or None when empty, NONE or NOASSERTION."""
    if value is None:
        return None
    value = value.strip()
    return None if not value or value in NO_VALUE else value


def add_external_ref(package: SpdxPackage, kind: str, locator: str) -> None:
    """File an SPDX 2 ``externalRefs`` entry under purl, CPE or SWID by its type.

    The category (``PACKAGE_MANAGER`` in 2.2, ``PACKAGE-MANAGER`` in 2.3, ``SECURITY``) is not
    needed to tell these apart; other types are ignored.
    """
    kind = kind.rsplit("/", 1)[-1]  # some tools write the RDF form .../references/cpe23Type
    if kind == "purl":
        package.purls.append(locator.strip())
    elif kind in ("cpe23Type", "cpe22Type"):
        package.cpes.append(locator.strip())
    elif kind == "swid":
        package.swids.append(locator.strip().removeprefix("swid:"))


def add_licence(package: SpdxPackage, value: str | None) -> None:
    """Add a licence expression unless it is empty or NOASSERTION (unknown); NONE is kept."""
    if value is not None and value.strip() and value.strip() != "NOASSERTION":
        package.licenses.append(value.strip())


def spdx2_edge(source: str, relationship: str, target: str) -> tuple[str, str] | None:
    """Return the (dependent, dependency) edge an SPDX 2 relationship stands for, if any."""
    if relationship in SPDX2_FORWARD:
        return source, target
    if relationship in SPDX2_REVERSED:
        return target, source
    return None


def agent_name(value: str | None) -> str | None:
    """Return the name in an SPDX 2 agent (``Organization: ACME (a@b.c)`` -> ``ACME (a@b.c)``)."""
    if value is None or value.strip() in NO_VALUE:
        return None
    kind, sep, name = value.partition(":")
    if sep and kind.strip() in ("Person", "Organization", "Tool"):
        return name.strip() or None
    return value.strip() or None


def split_creators(creators: Iterable[str]) -> tuple[list[str], list[str]]:
    """Return (tools, authors) from SPDX 2 ``creators`` ("Tool: x", "Person: y"...)."""
    tools: list[str] = []
    authors: list[str] = []
    for creator in creators:
        name = agent_name(creator)
        if name is None:
            continue
        (tools if creator.lstrip().startswith("Tool:") else authors).append(name)
    return tools, authors


def assemble_spdx(
    *,
    spec_version: str,
    encoding: str,
    packages: Sequence[SpdxPackage],
    edges: Iterable[tuple[str, str]],
    non_package_ids: set[str],
    described: Sequence[str],
    name: str | None = None,
    serial_number: str | None = None,
    created: str | None = None,
    tools: Iterable[str] = (),
    authors: Iterable[str] = (),
) -> Sbom:
    """Return the :class:`Sbom` of an SPDX document given as packages, edges and described ids.

    ``edges`` may run through files and other non-package elements (a package CONTAINS a file,
    the file DEPENDS_ON a library package); such paths are contracted to package -> package
    edges, since a package depends on whatever its files depend on. Edges naming ids the document
    does not define (``DocumentRef-...``, typos) are dropped with a warning.
    """
    sbom = SbomAssembler(format="SPDX", spec_version=spec_version, encoding=encoding)
    package_ids = set()
    for package in packages:
        component = _component(sbom, package)
        sbom.add(component)
        package_ids.add(component.ref)
    graph: dict[str, list[str]] = {}
    for source, target in edges:
        if target not in NO_VALUE and source != target:
            graph.setdefault(source, []).append(target)
    for source, targets in graph.items():
        if source in package_ids:
            sbom.depend(source, _reachable_packages(graph, targets, package_ids, non_package_ids))
        elif source not in non_package_ids:
            sbom.depend(source, targets)  # an unknown id: build() reports and drops it
    _choose_subject(sbom, described, non_package_ids)
    return sbom.build(
        name=name,
        serial_number=serial_number,
        created=created,
        tools=tools,
        authors=authors,
    )


def _reachable_packages(
    graph: dict[str, list[str]], targets: list[str], packages: set[str], others: set[str]
) -> list[str]:
    """Return the packages (and unknown ids) reached from ``targets`` through non-packages only."""
    found: list[str] = []
    seen: set[str] = set()
    queue = deque(targets)
    while queue:
        node = queue.popleft()
        if node in seen:
            continue
        seen.add(node)
        if node in others:
            queue.extend(graph.get(node, ()))
        else:
            found.append(node)
    return found


def _component(sbom: SbomAssembler, package: SpdxPackage) -> Component:
    purls = list(dict.fromkeys(package.purls))
    if len(purls) > 1:
        sbom.warn(
            f"{package.where}: package {package.name!r} has {len(purls)} purls"
            f" ({', '.join(purls)}); the first is used"
        )
    ids = sbom.identifiers(purl=purls[0] if purls else None, cpes=package.cpes, where=package.where)
    return Component(
        ref=sbom.claim_ref(package.ref, fallback=package.ref, where=package.where),
        name=package.name,
        version=package.version,
        type=package.type,
        purl=ids.purl,
        purl_error=ids.purl_error,
        cpes=ids.cpes,
        swid=package.swids[0] if package.swids else None,
        hashes=tuple(package.hashes),
        licenses=tuple(dict.fromkeys(package.licenses)),
        supplier=package.supplier,
        description=package.description,
    )


def _choose_subject(sbom: SbomAssembler, described: Sequence[str], non_package: set[str]) -> None:
    """Set the subject from the described ids, preferring a package no other described one needs."""
    candidates = [ref for ref in dict.fromkeys(described) if sbom.component(ref) is not None]
    if not candidates:
        if any(ref in non_package for ref in described):
            sbom.warn(
                "the document describes no package (only files or other elements); no subject"
            )
        else:
            sbom.warn("the document does not say which package it describes; no subject")
        return
    chosen = candidates[0]
    if len(candidates) > 1:
        needed = {target for ref in candidates for target in sbom.targets(ref)}
        roots = [ref for ref in candidates if ref not in needed]
        chosen = roots[0] if roots else candidates[0]
        names = ", ".join(_label(sbom, ref) for ref in candidates)
        sbom.warn(
            f"the document describes {len(candidates)} packages ({names}); {_label(sbom, chosen)}"
            " is taken as the subject and the others are kept as components"
        )
    sbom.subject = sbom.component(chosen)


def _label(sbom: SbomAssembler, ref: str) -> str:
    component = sbom.component(ref)
    assert component is not None
    version = f"@{component.version}" if component.version else ""
    return f"{component.name}{version} ({ref})"
