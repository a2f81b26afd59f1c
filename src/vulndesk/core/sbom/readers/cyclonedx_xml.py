"""CycloneDX XML (spec 1.0 to 1.7, namespace ``http://cyclonedx.org/schema/bom/1.x``).

Parsed with ``defusedxml`` and ``forbid_dtd=True``: a CycloneDX BOM never needs a DTD, and
refusing every document type declaration refuses entity expansion (billion laughs) and external
entities (XXE) along with it. Reads the same things as :mod:`.cyclonedx_json`; 1.0 and 1.1 have
no ``metadata``, ``bom-ref`` or ``dependencies``, so their components get synthetic refs and the
graph is empty. Errors are located by element path, e.g. ``/bom/components/component[3]``.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element, ParseError

from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import fromstring

from vulndesk.core.errors import SbomError
from vulndesk.core.sbom.model import Component, Hash, Sbom
from vulndesk.core.sbom.readers._assembly import SbomAssembler, coordinates

__all__ = ["NAMESPACE_PREFIX", "SUPPORTED_VERSIONS", "read_cyclonedx_xml"]

NAMESPACE_PREFIX = "http://cyclonedx.org/schema/bom/"
SUPPORTED_VERSIONS = ("1.0", "1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "1.7")


class _XmlProblem(Exception):
    def __init__(self, message: str, location: str):
        super().__init__(message)
        self.message = message
        self.location = location


def read_cyclonedx_xml(data: bytes, *, source: str) -> Sbom:
    """Return the :class:`Sbom` of a CycloneDX XML document; raise SbomError.

    Refuses XML that declares a DTD or entities, and XML that is not a CycloneDX BOM.
    """
    root = _parse(data, source)
    tag = root.tag
    namespace, _, local = tag[1:].partition("}") if tag.startswith("{") else ("", "", tag)
    if local != "bom" or not namespace.startswith(NAMESPACE_PREFIX):
        raise SbomError(_describe_root(namespace, local, data), source=source)
    spec_version = namespace[len(NAMESPACE_PREFIX) :]
    if spec_version not in SUPPORTED_VERSIONS:
        raise SbomError(
            f"CycloneDX {spec_version} XML is not supported (supported: "
            f"{', '.join(SUPPORTED_VERSIONS)})",
            source=source,
            location="/bom",
        )
    try:
        return _BomReader(namespace, spec_version).read(root)
    except _XmlProblem as e:
        raise SbomError(e.message, source=source, location=e.location) from None


def _parse(data: bytes, source: str) -> Element:
    try:
        root: Element = fromstring(data, forbid_dtd=True)
    except DTDForbidden as e:
        raise SbomError(
            f"the XML declares a document type (DTD {e.name!r}); DTDs are refused because entity"
            " declarations in them allow entity-expansion (billion laughs) and external-entity"
            " attacks, and CycloneDX never needs one",
            source=source,
        ) from None
    except EntitiesForbidden as e:
        raise SbomError(
            f"the XML declares the entity {e.name!r}; entity declarations are refused",
            source=source,
        ) from None
    except ExternalReferenceForbidden as e:
        raise SbomError(
            f"the XML refers to an external resource ({e.sysid!r}); external references are"
            " refused",
            source=source,
        ) from None
    except ParseError as e:
        line, column = e.position
        message = str(e).split(": line ")[0]
        raise SbomError(
            f"malformed XML: {message}", source=source, location=f"line {line} column {column + 1}"
        ) from None
    return root


def _describe_root(namespace: str, local: str, data: bytes) -> str:
    expected = "expected a CycloneDX BOM (<bom xmlns='http://cyclonedx.org/schema/bom/1.x'>)"
    if local == "RDF" or b"spdx.org/rdf" in data[:8192]:
        return f"this is RDF/XML (SPDX RDF is not supported; convert it to SPDX JSON); {expected}"
    if local == "bom" and not namespace:
        return f"the <bom> element has no namespace; {expected}"
    if local == "bom":
        return f"the <bom> element is in the namespace {namespace!r}; {expected}"
    where = f" in the namespace {namespace!r}" if namespace else ""
    return f"this XML document has the root element <{local}>{where}; {expected}"


class _ElementPath:
    """The element path of node ``index`` (``/bom/components/component[2]/components/...``)."""

    __slots__ = ("index", "nodes")

    def __init__(self, nodes: list[tuple[Element, str, int]], index: int):
        self.nodes = nodes
        self.index = index

    def __str__(self) -> str:
        steps = []
        index = self.index
        while index >= 0:
            _, step, index = self.nodes[index]
            steps.append(step)
        return "".join(reversed(steps))


class _BomReader:
    """Reads one <bom>; ``q`` turns a local name into the qualified tag of this version."""

    def __init__(self, namespace: str, spec_version: str):
        self.ns = "{" + namespace + "}"
        self.spec_version = spec_version

    def q(self, name: str) -> str:
        return self.ns + name

    def text(self, element: Element, name: str) -> str | None:
        child = element.find(self.ns + name)
        if child is None or child.text is None:
            return None
        return child.text.strip() or None

    def children(self, element: Element, container: str, item: str) -> list[Element]:
        parent = element.find(self.ns + container)
        return [] if parent is None else parent.findall(self.ns + item)

    def read(self, root: Element) -> Sbom:
        metadata = root.find(self.q("metadata"))
        top = self.children(root, "components", "component")
        vulnerabilities = self.children(root, "vulnerabilities", "vulnerability")
        if vulnerabilities and not top:
            raise _XmlProblem(
                f"this is a CycloneDX VEX document: it has {len(vulnerabilities)} vulnerabilities"
                " and no components; import it as VEX, not as an SBOM",
                "/bom/vulnerabilities",
            )

        # Collect all component elements first (iteratively), as the JSON reader does.
        # Paths are built only when a message needs one: spelled out for every element of a
        # deeply nested document they would cost time and memory quadratic in the depth.
        nodes: list[tuple[Element, str, int]] = []  # (element, path step, parent index or -1)
        declared: set[str] = set()
        stack = [(el, f"/bom/components/component[{i + 1}]", -1) for i, el in enumerate(top)]
        stack.reverse()
        subject_el = metadata.find(self.q("component")) if metadata is not None else None
        if subject_el is not None:
            stack.append((subject_el, "/bom/metadata/component", -1))
        while stack:
            element, step, parent = stack.pop()
            index = len(nodes)
            nodes.append((element, step, parent))
            ref = element.get("bom-ref")
            if ref:
                declared.add(ref)
            nested = self.children(element, "components", "component")
            for i in range(len(nested) - 1, -1, -1):
                stack.append((nested[i], f"/components/component[{i + 1}]", index))

        sbom = SbomAssembler(
            format="CycloneDX",
            spec_version=self.spec_version,
            encoding="xml",
            reserved_refs=declared,
        )
        sbom.add_tree(
            [(parent, element.get("bom-ref")) for element, _, parent in nodes],
            has_subject=subject_el is not None,
            make=lambda index, ref: self.component(
                sbom, nodes[index][0], _ElementPath(nodes, index), ref
            ),
        )

        for i, entry in enumerate(self.children(root, "dependencies", "dependency")):
            entry_path = f"/bom/dependencies/dependency[{i + 1}]"
            ref = entry.get("ref")
            if not ref:
                raise _XmlProblem("a <dependency> has no 'ref' attribute", entry_path)
            targets = []
            for j, target in enumerate(entry.findall(self.q("dependency"))):
                target_ref = target.get("ref")
                if not target_ref:
                    raise _XmlProblem(
                        "a <dependency> has no 'ref' attribute",
                        f"{entry_path}/dependency[{j + 1}]",
                    )
                targets.append(target_ref)
            sbom.depend(ref, targets)

        return sbom.build(
            serial_number=root.get("serialNumber"),
            created=self.text(metadata, "timestamp") if metadata is not None else None,
            tools=self.tools(metadata) if metadata is not None else (),
            authors=self.authors(metadata) if metadata is not None else (),
        )

    def component(
        self, sbom: SbomAssembler, element: Element, path: _ElementPath, declared_ref: str | None
    ) -> Component:
        name = self.text(element, "name")
        if name is None:
            raise _XmlProblem("a <component> has no <name>", str(path))
        version = self.text(element, "version")
        group = self.text(element, "group")
        purl = self.text(element, "purl")
        cpe = self.text(element, "cpe")
        ids = sbom.identifiers(purl=purl, cpes=(cpe,) if cpe else (), where=path)
        swid = element.find(self.q("swid"))
        supplier = element.find(self.q("supplier"))
        return Component(
            ref=sbom.claim_ref(
                declared_ref, fallback=purl or coordinates(group, name, version), where=path
            ),
            name=name,
            version=version,
            type=element.get("type"),
            group=group,
            purl=ids.purl,
            purl_error=ids.purl_error,
            cpes=ids.cpes,
            swid=self.swid(swid, path) if swid is not None else None,
            hashes=self.hashes(element, path),
            licenses=self.licenses(element),
            supplier=self.text(supplier, "name") if supplier is not None else None,
            description=self.text(element, "description"),
            scope=self.text(element, "scope"),
        )

    def swid(self, element: Element, path: _ElementPath) -> str:
        tag_id = element.get("tagId")
        if not tag_id:
            raise _XmlProblem("a <swid> has no 'tagId' attribute", f"{path}/swid")
        return tag_id

    def hashes(self, element: Element, path: _ElementPath) -> tuple[Hash, ...]:
        result = []
        for i, item in enumerate(self.children(element, "hashes", "hash")):
            alg = item.get("alg")
            content = (item.text or "").strip()
            if not alg or not content:
                missing = "the 'alg' attribute" if not alg else "its value"
                raise _XmlProblem(f"a <hash> lacks {missing}", f"{path}/hashes/hash[{i + 1}]")
            result.append(Hash(alg.upper(), content))
        return tuple(result)

    def licenses(self, element: Element) -> tuple[str, ...]:
        container = element.find(self.q("licenses"))
        if container is None:
            return ()
        result = []
        for item in container:
            if item.tag == self.q("expression"):
                value = (item.text or "").strip()
            elif item.tag == self.q("license"):
                value = self.text(item, "id") or self.text(item, "name") or ""
            else:
                continue
            if value:
                result.append(value)
        return tuple(dict.fromkeys(result))

    def tools(self, metadata: Element) -> list[str]:
        container = metadata.find(self.q("tools"))
        if container is None:
            return []
        entries = [(tool, "vendor") for tool in container.findall(self.q("tool"))]
        entries += [(c, "group") for c in self.children(container, "components", "component")]
        entries += [(s, "group") for s in self.children(container, "services", "service")]
        labels = []
        for tool, maker in entries:
            parts = (self.text(tool, maker), self.text(tool, "name"), self.text(tool, "version"))
            label = " ".join(p for p in parts if p)
            if label:
                labels.append(label)
        return labels

    def authors(self, metadata: Element) -> list[str]:
        labels = []
        for author in self.children(metadata, "authors", "author"):
            label = self.text(author, "name") or self.text(author, "email")
            if label:
                labels.append(label)
        return labels
