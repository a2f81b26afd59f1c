"""Applying VEX statements to the findings of a scan: which statement speaks for which finding.

A statement applies to a finding when it names the finding's vulnerability (its id or one of its
aliases is an id of the finding's alias group) and one of its products is the finding's
component, at a version it covers:

- a product with a purl is the component when both purls name the same package (type, namespace
  and name); a version in the product's purl, else its ``version``, else its
  :class:`~vulndesk.core.vex.model.VexVersion` list, limits it; with none of them every version is
  covered;
- a product without a purl is the component when its CPE is one of the component's, its ref is
  the component's bom-ref (an embedded VEX read with its own BOM), or its name is the component's
  name (case-insensitive), with the same version limits;
- a product that is the SBOM's subject (the product the SBOM describes) covers the components
  listed as its ``subcomponents``, or every component when it lists none: a statement about the
  product as a whole.

A ``VexVersion`` covers the component's version when it names it, or when its ``vers:`` range
(or CSAF range text) contains it; a version whose own ``status`` contradicts the statement (an
``unaffected`` version of an exploitable vulnerability) is not covered by it, since CycloneDX
says that version is not in the statement's scope. A range that cannot be decided for the
version covers nothing: a statement never widens by guesswork.

When several statements apply, the newest wins (its timestamp, else its document's; documents
and statements later in the given order win ties, as a later OpenVEX statement overrides an
earlier one). ``not_affected`` and ``fixed`` suppress the finding (:attr:`VexAnalysis.suppresses`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from vulndesk.core.advisories.csaf import version_range_entries
from vulndesk.core.advisories.model import ProductStatement
from vulndesk.core.advisories.osv import format_timestamp
from vulndesk.core.errors import IdentifierError
from vulndesk.core.ids.purl import PackageURL, parse_purl, purl_without_version
from vulndesk.core.matching.engine import Finding
from vulndesk.core.matching.products import evaluate_versions
from vulndesk.core.sbom.model import Component
from vulndesk.core.vex.model import VexDocument, VexProduct, VexStatement, VexStatus, VexVersion

__all__ = [
    "SUPPRESSING",
    "VexAnalysis",
    "analyse_findings",
    "range_covers",
    "status_agrees",
    "version_in_scope",
]

#: statuses that take a finding out of the result and the CI gate
SUPPRESSING: Final = frozenset({VexStatus.NOT_AFFECTED, VexStatus.FIXED})

# CycloneDX affects[].versions[].status -> the statement statuses it agrees with ("" says nothing)
_AGREES: Final[dict[str, frozenset[VexStatus]]] = {
    "": frozenset(VexStatus),
    "affected": frozenset({VexStatus.AFFECTED, VexStatus.UNDER_INVESTIGATION}),
    "unaffected": frozenset({VexStatus.NOT_AFFECTED, VexStatus.FIXED}),
    "unknown": frozenset({VexStatus.UNDER_INVESTIGATION}),
}
_EPOCH: Final = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class VexAnalysis:
    """The statement that speaks for one finding, with who made it and where it was read."""

    status: VexStatus
    vulnerability: str  # the id the statement named
    justification: str | None = None
    impact_statement: str = ""
    action_statement: str = ""
    responses: tuple[str, ...] = ()
    detail: str = ""
    author: str = ""
    timestamp: datetime | None = None
    source: str = ""  # the document: its file name, else its id

    @property
    def suppresses(self) -> bool:
        """Return whether the finding is out of the result (not affected, or fixed)."""
        return self.status in SUPPRESSING

    def as_json(self) -> dict[str, Any]:
        """Return the ``analysis`` object of the scan report (README, "JSON report contract")."""
        return {
            "state": self.status.value,
            "justification": self.justification,
            "impact_statement": self.impact_statement or None,
            "action_statement": self.action_statement or None,
            "responses": list(self.responses),
            "detail": self.detail or None,
            "author": self.author or None,
            "timestamp": format_timestamp(self.timestamp) if self.timestamp else None,
            "source": self.source,
            "vulnerability": self.vulnerability,
        }


def version_in_scope(spec: VexVersion, status: VexStatus, version: str) -> bool | None:
    """Return whether ``spec`` puts ``version`` in the scope of a statement of ``status``.

    None when ``spec`` is a range that cannot be decided for ``version``. A spec whose own status
    contradicts ``status`` covers nothing (module docstring).
    """
    if not status_agrees(spec, status):
        return False
    if spec.version:
        return spec.version.strip() == version.strip()
    return range_covers(spec.range, version)


def status_agrees(spec: VexVersion, status: VexStatus) -> bool:
    """Return whether ``spec``'s own status (CycloneDX ``versions[].status``) allows it in the
    scope of a statement of ``status``: it says nothing, or agrees (module docstring)."""
    return status in _AGREES.get(spec.status, frozenset())


def range_covers(text: str, version: str) -> bool | None:
    """Return whether the range ``text`` (``vers:<scheme>/...`` or CSAF's range words) contains
    ``version``; None when that cannot be decided (unreadable range, unorderable versions)."""
    entries = version_range_entries(text, "affected")
    if any(e.status == "unknown" for e in entries):
        return None
    verdict = evaluate_versions(
        ProductStatement(vendor="", product="", versions=entries, default_status="unaffected"),
        version,
    )
    if verdict.status == "unknown":
        return None
    return verdict.status == "affected"


def analyse_findings(
    findings: Sequence[Finding],
    documents: Sequence[tuple[str, VexDocument]],
    *,
    subject: Component | None = None,
) -> list[VexAnalysis | None]:
    """Return, for each of ``findings`` in order, the analysis of the newest statement of
    ``documents`` (``(source name, document)`` pairs) that applies to it, or None.

    ``subject`` is what the scanned SBOM describes: statements about it as a whole apply to its
    components (module docstring).
    """
    candidates: list[tuple[datetime, int, VexStatement, str, str]] = []
    order = 0
    for source, doc in documents:
        for statement in doc.statements:
            stamp = statement.timestamp or doc.timestamp or _EPOCH
            candidates.append((stamp, order, statement, source or doc.id, doc.author))
            order += 1
    # newest first; the later of two equally dated statements first
    candidates.sort(key=lambda c: (c[0], c[1]), reverse=True)
    by_id: dict[str, list[int]] = {}
    for index, (_, _, statement, _, _) in enumerate(candidates):
        for name in {statement.vulnerability, *statement.aliases}:
            by_id.setdefault(name.strip().upper(), []).append(index)

    out: list[VexAnalysis | None] = []
    for finding in findings:
        ids = {finding.vulnerability_id, *finding.aliases}
        indexes = sorted({i for name in ids for i in by_id.get(name.strip().upper(), ())})
        analysis = None
        for index in indexes:
            _, _, statement, source, author = candidates[index]
            if _covers(statement, finding.component, subject):
                analysis = _analysis(statement, source, author)
                break
        out.append(analysis)
    return out


def _analysis(statement: VexStatement, source: str, author: str) -> VexAnalysis:
    return VexAnalysis(
        status=statement.status,
        vulnerability=statement.vulnerability,
        justification=statement.justification,
        impact_statement=statement.impact_statement,
        action_statement=statement.action_statement,
        responses=statement.responses,
        detail=statement.detail,
        author=author,
        timestamp=statement.timestamp,
        source=source,
    )


def _covers(statement: VexStatement, component: Component, subject: Component | None) -> bool:
    for product in statement.products:
        if subject is not None and _names(product, subject, statement.status):
            if not product.subcomponents:
                return True
            if any(_names(sub, component, statement.status) for sub in product.subcomponents):
                return True
            continue
        if _names(product, component, statement.status):
            return True
        # a product this SBOM does not describe may still say where the vulnerability lives
        if any(_names(sub, component, statement.status) for sub in product.subcomponents):
            return True
    return False


def _purl(text: str | None) -> PackageURL | None:
    if not text or not text.startswith("pkg:"):
        return None
    try:
        return parse_purl(text)
    except IdentifierError:
        return None


def _names(product: VexProduct, component: Component, status: VexStatus) -> bool:
    """Return whether ``product`` is ``component`` at a version it covers."""
    version = component.version or ""
    wanted = _purl(product.purl)
    have = _purl(component.purl)
    if wanted is not None:
        if have is None or purl_without_version(wanted) != purl_without_version(have):
            return False
        if wanted.version:
            return wanted.version == (have.version or version)
    elif not (
        (product.cpe and product.cpe in component.cpes)
        or (product.ref and product.ref == component.ref)
        or (product.name and product.name.casefold() == component.name.casefold())
    ):
        return False
    if product.version:
        return product.version.strip() == version.strip()
    if product.versions:
        return bool(version) and any(
            version_in_scope(spec, status, version) is True for spec in product.versions
        )
    return True
