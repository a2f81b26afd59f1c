"""What every reader does the same way: refs, identifiers, the graph and warnings.

A reader walks its document and hands each component to :class:`SbomAssembler`, which

- keeps refs unique (a repeated ref is renamed ``ref#2`` with a warning) and makes a stable
  synthetic ref for a component without one: the purl as written, else ``group/name@version``,
  made unique the same way and never equal to a ref declared anywhere in the document;
- normalises the purl (a bad one leaves ``purl=None`` and ``purl_error`` set, with a warning:
  the component is never dropped) and validates CPEs (an invalid CPE is left out, with a
  warning, so matching never sees one);
- keeps only dependency edges whose both ends are components of this document or its subject,
  and says how many it left out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from vulndesk.core.errors import IdentifierError
from vulndesk.core.ids.purl import normalize_purl
from vulndesk.core.sbom.model import Component, Sbom

_EXAMPLES = 3


@dataclass(frozen=True, slots=True)
class Identifiers:
    """The identifiers of one component after normalisation."""

    purl: str | None
    purl_error: str | None
    cpes: tuple[str, ...]


@dataclass(slots=True)
class SbomAssembler:
    """Collects one document's components, graph and warnings, then builds the :class:`Sbom`."""

    format: str
    spec_version: str
    encoding: str
    reserved_refs: set[str] = field(default_factory=set)
    warnings: list[str] = field(default_factory=list)
    components: list[Component] = field(default_factory=list)
    subject: Component | None = None
    _by_ref: dict[str, Component] = field(default_factory=dict)
    _taken: set[str] = field(default_factory=set)
    _edges: dict[str, list[str]] = field(default_factory=dict)
    _purls: dict[str, Identifiers] = field(default_factory=dict)

    def warn(self, message: str) -> None:
        """Record something the user should know was skipped or repaired."""
        self.warnings.append(message)

    def identifiers(self, *, purl: str | None, cpes: Iterable[str], where: object) -> Identifiers:
        """Return the normalised purl (or why it is unusable) and the valid CPEs as written.

        ``str(where)`` locates the component in the document for warnings; it is only called
        when there is something to warn about.
        """
        canonical: str | None = None
        purl_error: str | None = None
        if purl is not None:
            cached = self._purls.get(purl)
            if cached is None:
                try:
                    cached = Identifiers(normalize_purl(purl), None, ())
                except IdentifierError as e:
                    cached = Identifiers(None, str(e), ())
                self._purls[purl] = cached
            canonical, purl_error = cached.purl, cached.purl_error
            if purl_error is not None:
                self.warn(f"{where}: {purl_error}; the component is kept without a purl")
        kept: list[str] = []
        for cpe in cpes:
            # Imported here: most SBOMs carry no CPE, and the module costs ~3 ms to import.
            from vulndesk.core.ids.cpe import parse_cpe

            cpe = cpe.strip()
            try:
                parse_cpe(cpe)
            except IdentifierError as e:
                self.warn(f"{where}: {e}; the CPE is left out")
                continue
            if cpe not in kept:
                kept.append(cpe)
        return Identifiers(canonical, purl_error, tuple(kept))

    def claim_ref(self, declared: str | None, *, fallback: str, where: object) -> str:
        """Return a unique ref for a component: ``declared`` if given and free, else a new one."""
        if declared:
            if declared not in self._taken:
                self._taken.add(declared)
                return declared
            ref = self._unique(declared)
            self.warn(f"{where}: ref {declared!r} is used twice; this one was renamed {ref!r}")
            return ref
        return self._unique(fallback)

    def add(self, component: Component) -> None:
        """Add a component (its ref must come from :meth:`claim_ref`)."""
        self.components.append(component)
        self._by_ref[component.ref] = component

    def component(self, ref: str) -> Component | None:
        """Return the component added under ``ref``, if any."""
        return self._by_ref.get(ref)

    def targets(self, ref: str) -> tuple[str, ...]:
        """Return what ``ref`` was recorded to depend on so far."""
        return tuple(self._edges.get(ref, ()))

    def add_tree(
        self,
        nodes: Sequence[tuple[int, str | None]],
        *,
        has_subject: bool,
        make: Callable[[int, str | None], Component],
    ) -> None:
        """Add the components of a flattened CycloneDX tree.

        ``nodes`` holds (parent index or -1, declared bom-ref) in document order, node 0 being
        the subject when ``has_subject``; ``make(index, declared_ref)`` builds a node's component.
        A parent depends on the components nested in it; a top-level repeat of the subject's ref
        is the subject itself, not a second component.
        """
        refs: list[str] = []
        subject_ref: str | None = None
        for index, (parent, declared_ref) in enumerate(nodes):
            if subject_ref is not None and declared_ref == subject_ref and parent == -1:
                refs.append(subject_ref)
                continue
            component = make(index, declared_ref)
            refs.append(component.ref)
            if index == 0 and has_subject:
                self.subject = component
                subject_ref = component.ref
            else:
                self.add(component)
            if parent >= 0:
                self.depend(refs[parent], (component.ref,))

    def depend(self, ref: str, on: Iterable[str]) -> None:
        """Record that ``ref`` depends on each of ``on`` (an empty ``on`` says: no dependencies)."""
        targets = self._edges.setdefault(ref, [])
        for target in on:
            if target not in targets:
                targets.append(target)

    def build(
        self,
        *,
        name: str | None = None,
        serial_number: str | None = None,
        created: str | None = None,
        tools: Iterable[str] = (),
        authors: Iterable[str] = (),
    ) -> Sbom:
        """Return the finished :class:`Sbom`; edges to unknown refs are dropped with a warning."""
        subject_ref = self.subject.ref if self.subject is not None else None
        components = tuple(c for c in self.components if c.ref != subject_ref)
        known = {c.ref for c in components}
        if subject_ref is not None:
            known.add(subject_ref)
        dependencies: dict[str, tuple[str, ...]] = {}
        unknown: list[str] = []
        for ref, targets in self._edges.items():
            if ref not in known:
                unknown.append(ref)
                continue
            kept = []
            for target in targets:
                if target in known:
                    if target != ref:
                        kept.append(target)
                else:
                    unknown.append(target)
            dependencies[ref] = tuple(kept)
        if unknown:
            distinct = list(dict.fromkeys(unknown))
            examples = ", ".join(repr(r) for r in distinct[:_EXAMPLES])
            more = f" and {len(distinct) - _EXAMPLES} more" if len(distinct) > _EXAMPLES else ""
            self.warn(
                f"the dependency graph names {len(distinct)} ref(s) that are not components of"
                f" this document ({examples}{more}); those edges were left out"
            )
        return Sbom(
            format=self.format,
            spec_version=self.spec_version,
            encoding=self.encoding,
            components=components,
            dependencies=dependencies,
            subject=self.subject,
            name=name,
            serial_number=serial_number,
            created=created,
            tools=tuple(dict.fromkeys(tools)),
            authors=tuple(dict.fromkeys(authors)),
            warnings=tuple(self.warnings),
        )

    def _unique(self, base: str) -> str:
        ref, n = base, 1
        while ref in self._taken or ref in self.reserved_refs:
            n += 1
            ref = f"{base}#{n}"
        self._taken.add(ref)
        return ref


def coordinates(group: str | None, name: str, version: str | None) -> str:
    """Return ``group/name@version`` (parts left out when missing), for synthetic refs."""
    text = f"{group}/{name}" if group else name
    return f"{text}@{version}" if version else text
