"""One component model for every SBOM format vulndesk reads.

Readers (``vulndesk.core.sbom.readers``) turn CycloneDX and SPDX documents into these values;
everything downstream (matching, storage, quality checks) sees only this model.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Hash:
    """A checksum of a component.

    ``alg`` is as the SBOM wrote it, upper-cased (``SHA-256``, ``SHA256``...).
    """

    alg: str
    value: str


@dataclass(frozen=True, slots=True)
class Component:
    """One component (package, library, application, file...) with every identifier it carried.

    ``ref`` is the document-local identifier: CycloneDX ``bom-ref`` (a synthetic one when missing),
    SPDX ``SPDXID`` / spdxId. ``purl`` is canonical (normalised per type) or None; ``purl_error``
    says why a purl the SBOM gave could not be used. ``cpes`` holds CPE 2.3 or 2.2 URIs as written.
    """

    ref: str
    name: str
    version: str | None = None
    type: str | None = None
    group: str | None = None
    purl: str | None = None
    purl_error: str | None = None
    cpes: tuple[str, ...] = ()
    swid: str | None = None
    hashes: tuple[Hash, ...] = ()
    licenses: tuple[str, ...] = ()
    supplier: str | None = None
    description: str | None = None
    scope: str | None = None

    def identity(self) -> str:
        """Return how this component is identified: ``purl``, ``cpe``, ``swid`` or ``name``."""
        if self.purl:
            return "purl"
        if self.cpes:
            return "cpe"
        if self.swid:
            return "swid"
        return "name"


@dataclass(frozen=True, slots=True)
class Sbom:
    """A whole SBOM document.

    ``dependencies`` maps a component ref to the refs it depends on (only refs that were
    declared). ``subject`` is what the SBOM describes (CycloneDX ``metadata.component``, SPDX
    DESCRIBES target); it is not repeated in ``components``.
    """

    format: str  # "CycloneDX" | "SPDX"
    spec_version: str  # "1.4", "2.3", "3.0"...
    encoding: str  # "json" | "xml" | "tag-value" | "json-ld"
    components: tuple[Component, ...]
    dependencies: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    subject: Component | None = None
    name: str | None = None
    serial_number: str | None = None  # CycloneDX serialNumber / SPDX documentNamespace
    created: str | None = None  # timestamp as written (ISO 8601)
    tools: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()  # things skipped or repaired while reading, for the user to see

    def direct_refs(self) -> frozenset[str]:
        """Return the refs of the subject's direct dependencies (empty if the graph is unknown)."""
        if self.subject is None:
            return frozenset()
        return frozenset(self.dependencies.get(self.subject.ref, ()))

    def transitive_refs(self) -> frozenset[str]:
        """Return every ref reachable from the subject through the dependency graph."""
        if self.subject is None:
            return frozenset()
        seen: set[str] = set()
        stack = list(self.dependencies.get(self.subject.ref, ()))
        while stack:
            ref = stack.pop()
            if ref in seen:
                continue
            seen.add(ref)
            stack.extend(self.dependencies.get(ref, ()))
        return frozenset(seen)
