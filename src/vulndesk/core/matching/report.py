"""The JSON form of a match report: a contract that later tools (CLI, server, CI gates) rely on.

Shape (keys exactly as below; lists in the report's deterministic order)::

    {
      "summary": {"components": int, "evaluated": int, "not_evaluated": int, "findings": int,
                  "by_severity": {"CRITICAL": int, "HIGH": int, "MEDIUM": int, "LOW": int,
                                  "NONE": int, "UNKNOWN": int},
                  "vulnerabilities": int},
      "findings": [
        {"component": {"name": str, "version": str|null, "purl": str|null, "bom_ref": str},
         "vulnerability": {"id": str, "aliases": [str], "summary": str|null,
                           "severity": {"rating": str, "score": float|null, "vector": str|null,
                                        "type": str, "source": str} | null},
         "affected_range": str,
         "fixed_versions": [str],
         "confidence": "high"|"medium"|"low"}      # only with confidence=True, see below
      ],
      "not_evaluated": [{"component": {...}, "reason": str}],
      "undetermined": [{"component": {...}, "vulnerability": {"id": str, "advisories": [str]},
                        "reason": str}]
    }

``vulnerability.id`` is the alias group's display id (its CVE if any, else its smallest id) and
``aliases`` every id of the group, sorted naturally. ``by_severity`` counts findings by rating,
``UNKNOWN`` those without any; its values add up to ``findings``. ``vulnerabilities`` counts
distinct alias groups among the findings. ``undetermined`` lists vulnerabilities that could not be
decided for an evaluated component (a range that could not be evaluated and nothing else matched):
not findings, but not silently dropped either.

``confidence`` says how sure the identification of the component is (``high``: purl or OSV,
hash; ``medium``: CPE; ``low``: vendor and product names, or an unverified platform; see
:mod:`.engine`). It is written when the caller asks for it (``confidence=True``; ``vulndesk
scan`` does): the key was added after this contract was first published, and the default keeps
the published shape byte for byte (tests/fixtures/osv/match-report.golden.json) for readers that
compare it.
"""

from __future__ import annotations

from typing import Any

from vulndesk.core.matching.engine import Finding, MatchReport
from vulndesk.core.sbom.model import Component
from vulndesk.core.scoring.cvss import RATINGS, SeverityRating

__all__ = ["component_to_json", "finding_to_json", "report_to_json", "severity_to_json"]


def component_to_json(component: Component) -> dict[str, Any]:
    """Return the ``component`` object of the report contract."""
    return {
        "name": component.name,
        "version": component.version,
        "purl": component.purl,
        "bom_ref": component.ref,
    }


def severity_to_json(rating: SeverityRating | None) -> dict[str, Any] | None:
    """Return the ``severity`` object of the report contract (None stays None)."""
    if rating is None:
        return None
    return {
        "rating": rating.rating,
        "score": rating.score,
        "vector": rating.vector,
        "type": rating.type,
        "source": rating.source,
    }


def finding_to_json(finding: Finding, *, confidence: bool = False) -> dict[str, Any]:
    """Return one entry of the report's ``findings`` list (with ``confidence`` when asked)."""
    entry = {
        "component": component_to_json(finding.component),
        "vulnerability": {
            "id": finding.vulnerability_id,
            "aliases": list(finding.aliases),
            "summary": finding.summary,
            "severity": severity_to_json(finding.severity),
        },
        "affected_range": finding.affected_range,
        "fixed_versions": list(finding.fixed_versions),
    }
    if confidence:
        entry["confidence"] = finding.confidence
    return entry


def report_to_json(report: MatchReport, *, confidence: bool = False) -> dict[str, Any]:
    """Return the JSON object of ``report`` (see the module docstring for the exact shape);
    ``confidence`` adds each finding's confidence."""
    by_severity: dict[str, int] = {rating: 0 for rating in reversed(RATINGS)}
    by_severity["UNKNOWN"] = 0
    for finding in report.findings:
        by_severity[finding.severity.rating if finding.severity else "UNKNOWN"] += 1
    return {
        "summary": {
            "components": report.components,
            "evaluated": report.evaluated,
            "not_evaluated": len(report.not_evaluated),
            "findings": len(report.findings),
            "by_severity": by_severity,
            "vulnerabilities": len({f.vulnerability_id for f in report.findings}),
        },
        "findings": [finding_to_json(f, confidence=confidence) for f in report.findings],
        "not_evaluated": [
            {"component": component_to_json(n.component), "reason": n.reason}
            for n in report.not_evaluated
        ],
        "undetermined": [
            {
                "component": component_to_json(u.component),
                "vulnerability": {"id": u.vulnerability_id, "advisories": list(u.advisory_ids)},
                "reason": u.reason,
            }
            for u in report.undetermined
        ],
    }
