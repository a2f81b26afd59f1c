"""SPDX 2.x tag-value (``Tag: value`` lines, ``<text>...</text>`` for multi-line values).

Hand-written: spdx-tools' PLY grammar is built on first use and takes 0.05-0.2 s per small file
(see ``docs/decisions/sbom-readers.md``). Only what the model needs is read; unknown tags are
skipped, as the spec allows. What a ``SPDXID`` line belongs to follows the section it is in:
the document until the first ``PackageName``, then the package, until ``FileName`` (a file),
``SnippetSPDXID`` (a snippet) or ``LicenseID`` (an extracted licence). Errors name the line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from vulndesk.core.errors import SbomError
from vulndesk.core.sbom.model import Hash, Sbom
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

__all__ = ["read_spdx2_tagvalue"]

_TAG = re.compile(r"[A-Za-z][A-Za-z0-9]*")


@dataclass(slots=True)
class _PendingPackage:
    """A package being read; its SPDXID may come after other package tags."""

    line: int
    package: SpdxPackage
    has_id: bool = False


def read_spdx2_tagvalue(data: bytes, *, source: str) -> Sbom:
    """Return the :class:`Sbom` of an SPDX 2 tag-value document; raise SbomError."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        raise SbomError(
            f"the tag-value document is not UTF-8 ({e.reason} at byte {e.start})",
            source=source,
            location=f"line {line}",
        ) from None
    return _Reader(source).read(text)


class _Reader:
    def __init__(self, source: str):
        self.source = source

    def error(self, message: str, line: int) -> SbomError:
        return SbomError(message, source=self.source, location=f"line {line}")

    def read(self, text: str) -> Sbom:
        spec_version: str | None = None
        document_id = "SPDXRef-DOCUMENT"
        name = namespace = created = None
        creators: list[str] = []
        packages: list[SpdxPackage] = []
        non_package_ids: set[str] = set()
        described: list[str] = []
        edges: list[tuple[str, str]] = []
        section = "document"
        current: _PendingPackage | None = None
        file_owner: SpdxPackage | None = None
        contained: list[tuple[SpdxPackage, str]] = []

        for line, tag, value in self.tags(text):
            if tag == "PackageName":
                self.finish(current, packages)
                package = SpdxPackage(ref="", name=value.strip(), where=f"line {line}")
                current = _PendingPackage(line, package)
                section = "package"
            elif tag == "FileName":
                section = "file"
                file_owner = current.package if current is not None else None
            elif tag == "SnippetSPDXID":
                section = "snippet"
                non_package_ids.add(value.strip())
            elif tag == "LicenseID":
                section = "licence"
            elif tag == "SPDXID":
                element_id = value.strip()
                if section == "document":
                    document_id = element_id
                    non_package_ids.add(element_id)
                elif section == "package" and current is not None:
                    if current.has_id:
                        raise self.error(
                            f"package {current.package.name!r} has a second SPDXID {element_id!r}",
                            line,
                        )
                    current.package.ref = element_id
                    current.has_id = True
                elif section == "file":
                    non_package_ids.add(element_id)
                    if file_owner is not None:
                        # A file described after a package is contained in it.
                        contained.append((file_owner, element_id))
            elif tag == "Relationship":
                parts = value.split()
                if len(parts) != 3:
                    raise self.error(
                        f"expected 'Relationship: <element id> <TYPE> <element id>', got {value!r}",
                        line,
                    )
                source, kind, target = parts
                if kind == "DESCRIBES" and source == document_id:
                    described.append(target)
                elif kind == "DESCRIBED_BY" and target == document_id:
                    described.append(source)
                else:
                    edge = spdx2_edge(source, kind, target)
                    if edge is not None:
                        edges.append(edge)
            elif section == "document":
                if tag == "SPDXVersion":
                    spec_version = spdx2_version(value)
                    if spec_version is None:
                        raise self.error(unsupported_spdx2(value.strip()), line)
                elif tag == "DocumentName":
                    name = value.strip()
                elif tag == "DocumentNamespace":
                    namespace = value.strip()
                elif tag == "Creator":
                    creators.append(value)
                elif tag == "Created":
                    created = value.strip()
            elif section == "package" and current is not None:
                self.package_tag(current, tag, value, line)
        self.finish(current, packages)

        if spec_version is None:
            raise SbomError("the document has no 'SPDXVersion:' line", source=self.source)
        edges += [(package.ref, file_id) for package, file_id in contained]
        tools, authors = split_creators(creators)
        return assemble_spdx(
            spec_version=spec_version,
            encoding="tag-value",
            packages=packages,
            edges=edges,
            non_package_ids=non_package_ids,
            described=described,
            name=name,
            serial_number=namespace,
            created=created,
            tools=tools,
            authors=authors,
        )

    def package_tag(self, current: _PendingPackage, tag: str, value: str, line: int) -> None:
        package = current.package
        if tag == "PackageVersion":
            package.version = known(value)
        elif tag == "PackageSupplier":
            package.supplier = agent_name(value)
        elif tag == "PackageChecksum":
            alg, sep, digest = value.partition(":")
            if not sep or not alg.strip() or not digest.strip():
                raise self.error(f"expected 'PackageChecksum: <ALG>: <value>', got {value!r}", line)
            package.hashes.append(Hash(alg.strip().upper(), digest.strip()))
        elif tag in ("PackageLicenseConcluded", "PackageLicenseDeclared"):
            add_licence(package, value)
        elif tag == "ExternalRef":
            parts = value.split(None, 2)
            if len(parts) != 3:
                raise self.error(
                    f"expected 'ExternalRef: <category> <type> <locator>', got {value!r}", line
                )
            add_external_ref(package, parts[1], parts[2])
        elif tag == "PrimaryPackagePurpose":
            package.type = value.strip().lower() or None
        elif tag in ("PackageDescription", "PackageSummary") and package.description is None:
            package.description = known(value)

    def finish(self, current: _PendingPackage | None, packages: list[SpdxPackage]) -> None:
        if current is None:
            return
        if not current.package.name:
            raise self.error("a PackageName is empty", current.line)
        if not current.has_id or not current.package.ref:
            raise self.error(f"package {current.package.name!r} has no SPDXID", current.line)
        packages.append(current.package)

    def tags(self, text: str) -> Iterator[tuple[int, str, str]]:
        """Yield (line number, tag, value); a ``<text>`` value may span lines."""
        lines = text.splitlines()
        index = 0
        while index < len(lines):
            line = lines[index]
            number = index + 1
            index += 1
            stripped = line.strip()
            if not stripped or stripped.startswith("#"):
                continue
            tag, sep, value = stripped.partition(":")
            tag = tag.strip()
            if not sep or not _TAG.fullmatch(tag):
                raise self.error(f"expected 'Tag: value', got {stripped[:80]!r}", number)
            value = value.strip()
            if value.startswith("<text>"):
                body = value[len("<text>") :]
                parts = []
                while "</text>" not in body:
                    parts.append(body)
                    if index == len(lines):
                        raise self.error(f"the <text> of {tag} is never closed by </text>", number)
                    body = lines[index]
                    index += 1
                parts.append(body[: body.index("</text>")])
                value = "\n".join(parts)
            yield number, tag, value
