"""Mandatory tests 6.1.8 to 6.1.10: CVSS objects against FIRST's CVSS JSON schemas and vectors.

The CSAF schema delegates ``cvss_v2`` and ``cvss_v3`` to FIRST's schemas (cvss-v2.0.json,
cvss-v3.0.json, cvss-v3.1.json); their facts are written out below as the structural rules
(required properties, enums, the vector pattern) for 6.1.8. Scores are then recomputed from the
vector with the ``cvss`` library (6.1.9, the vector takes precedence) and the spelled-out metric
properties compared with the vector (6.1.10).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from cvss import CVSS2, CVSS3
from cvss.exceptions import CVSSError

from vulndesk.core.csafdoc.access import arr, child, vulnerabilities
from vulndesk.core.csafdoc.registry import Finding, mandatory
from vulndesk.core.jsontypes import json_type

_V3_METRIC = (
    r"(AV:[NALP]|AC:[LH]|PR:[NLH]|UI:[NR]|S:[UC]|[CIA]:[NLH]|E:[XUPFH]|RL:[XOTWU]|RC:[XURC]"
    r"|[CIA]R:[XLMH]|MAV:[XNALP]|MAC:[XLH]|MPR:[XNLH]|MUI:[XNR]|MS:[XUC]|M[CIA]:[XNLH])"
)
_V2_METRIC = (
    r"(AV:[NAL]|AC:[LMH]|Au:[MSN]|[CIA]:[NPC]|E:(U|POC|F|H|ND)|RL:(OF|TF|W|U|ND)|RC:(UC|UR|C|ND)"
    r"|CDP:(N|L|LM|MH|H|ND)|TD:(N|L|M|H|ND)|[CIA]R:(L|M|H|ND))"
)
_VECTORS = {
    "2.0": re.compile(rf"({_V2_METRIC}/)*{_V2_METRIC}"),
    "3.0": re.compile(rf"CVSS:3[.]0/({_V3_METRIC}/)*{_V3_METRIC}"),
    "3.1": re.compile(rf"CVSS:3[.]1/({_V3_METRIC}/)*{_V3_METRIC}"),
}

_SEVERITY = ("NONE", "LOW", "MEDIUM", "HIGH", "CRITICAL")
_V3_CIA = ("NONE", "LOW", "HIGH")
_V3_MODIFIED_CIA = (*_V3_CIA, "NOT_DEFINED")
_REQUIREMENT = ("LOW", "MEDIUM", "HIGH", "NOT_DEFINED")

#: property -> (vector metric, allowed values) of FIRST's CVSS v3.0/v3.1 schemas
_V3_PROPERTIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "attackVector": ("AV", ("NETWORK", "ADJACENT_NETWORK", "LOCAL", "PHYSICAL")),
    "attackComplexity": ("AC", ("HIGH", "LOW")),
    "privilegesRequired": ("PR", ("HIGH", "LOW", "NONE")),
    "userInteraction": ("UI", ("NONE", "REQUIRED")),
    "scope": ("S", ("UNCHANGED", "CHANGED")),
    "confidentialityImpact": ("C", _V3_CIA),
    "integrityImpact": ("I", _V3_CIA),
    "availabilityImpact": ("A", _V3_CIA),
    "exploitCodeMaturity": (
        "E",
        ("UNPROVEN", "PROOF_OF_CONCEPT", "FUNCTIONAL", "HIGH", "NOT_DEFINED"),
    ),
    "remediationLevel": (
        "RL",
        ("OFFICIAL_FIX", "TEMPORARY_FIX", "WORKAROUND", "UNAVAILABLE", "NOT_DEFINED"),
    ),
    "reportConfidence": ("RC", ("UNKNOWN", "REASONABLE", "CONFIRMED", "NOT_DEFINED")),
    "confidentialityRequirement": ("CR", _REQUIREMENT),
    "integrityRequirement": ("IR", _REQUIREMENT),
    "availabilityRequirement": ("AR", _REQUIREMENT),
    "modifiedAttackVector": (
        "MAV",
        ("NETWORK", "ADJACENT_NETWORK", "LOCAL", "PHYSICAL", "NOT_DEFINED"),
    ),
    "modifiedAttackComplexity": ("MAC", ("HIGH", "LOW", "NOT_DEFINED")),
    "modifiedPrivilegesRequired": ("MPR", ("HIGH", "LOW", "NONE", "NOT_DEFINED")),
    "modifiedUserInteraction": ("MUI", ("NONE", "REQUIRED", "NOT_DEFINED")),
    "modifiedScope": ("MS", ("UNCHANGED", "CHANGED", "NOT_DEFINED")),
    "modifiedConfidentialityImpact": ("MC", _V3_MODIFIED_CIA),
    "modifiedIntegrityImpact": ("MI", _V3_MODIFIED_CIA),
    "modifiedAvailabilityImpact": ("MA", _V3_MODIFIED_CIA),
}
_V3_SCORES = ("baseScore", "temporalScore", "environmentalScore")
_V3_SEVERITIES = ("baseSeverity", "temporalSeverity", "environmentalSeverity")

_V2_CIA = ("NONE", "PARTIAL", "COMPLETE")
#: property -> (vector metric, allowed values) of FIRST's CVSS v2.0 schema
_V2_PROPERTIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "accessVector": ("AV", ("NETWORK", "ADJACENT_NETWORK", "LOCAL")),
    "accessComplexity": ("AC", ("HIGH", "MEDIUM", "LOW")),
    "authentication": ("Au", ("MULTIPLE", "SINGLE", "NONE")),
    "confidentialityImpact": ("C", _V2_CIA),
    "integrityImpact": ("I", _V2_CIA),
    "availabilityImpact": ("A", _V2_CIA),
    "exploitability": (
        "E",
        ("UNPROVEN", "PROOF_OF_CONCEPT", "FUNCTIONAL", "HIGH", "NOT_DEFINED"),
    ),
    "remediationLevel": (
        "RL",
        ("OFFICIAL_FIX", "TEMPORARY_FIX", "WORKAROUND", "UNAVAILABLE", "NOT_DEFINED"),
    ),
    "reportConfidence": ("RC", ("UNCONFIRMED", "UNCORROBORATED", "CONFIRMED", "NOT_DEFINED")),
    "collateralDamagePotential": (
        "CDP",
        ("NONE", "LOW", "LOW_MEDIUM", "MEDIUM_HIGH", "HIGH", "NOT_DEFINED"),
    ),
    "targetDistribution": ("TD", ("NONE", "LOW", "MEDIUM", "HIGH", "NOT_DEFINED")),
    "confidentialityRequirement": ("CR", _REQUIREMENT),
    "integrityRequirement": ("IR", _REQUIREMENT),
    "availabilityRequirement": ("AR", _REQUIREMENT),
}
_V2_SCORES = ("baseScore", "temporalScore", "environmentalScore")
_V2_ENVIRONMENTAL = frozenset({"CDP", "TD", "CR", "IR", "AR"})
_V2_TEMPORAL = frozenset({"E", "RL", "RC"})


def _cvss_objects(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any] | Any]]:
    """Yield ``(path, key, value)`` for each ``cvss_v2`` / ``cvss_v3`` in the scores."""
    for vpath, vuln in vulnerabilities(doc):
        for i, score in enumerate(arr(vuln.get("scores"))):
            if not isinstance(score, dict):
                continue
            for key in ("cvss_v2", "cvss_v3"):
                if key in score:
                    yield child(child(child(vpath, "scores"), i), key), key, score[key]


@mandatory("6.1.8", "Invalid CVSS")
def invalid_cvss(doc: dict[str, Any]) -> Iterator[Finding]:
    """Every CVSS object is valid by FIRST's schema for its version."""
    for path, key, cvss in _cvss_objects(doc):
        if not isinstance(cvss, dict):
            yield path, f"expected a CVSS object, got {json_type(cvss)}"
            continue
        version = cvss.get("version")
        allowed = ("2.0",) if key == "cvss_v2" else ("3.0", "3.1")
        if "version" not in cvss:
            yield child(path, "version"), "required property 'version' is missing"
        elif version not in allowed:
            yield (
                child(path, "version"),
                (f"expected {' or '.join(repr(v) for v in allowed)} in {key}, got {version!r}"),
            )
        required = ["version", "vectorString", "baseScore"]
        if key == "cvss_v3":
            required.append("baseSeverity")
        for name in required[1:]:
            if name not in cvss:
                yield child(path, name), f"required property {name!r} is missing"
        vector = cvss.get("vectorString")
        pattern = _VECTORS.get(version if isinstance(version, str) else "")
        if "vectorString" in cvss:
            if not isinstance(vector, str):
                yield child(path, "vectorString"), f"expected a string, got {json_type(vector)}"
            elif pattern is not None and not pattern.fullmatch(vector):
                yield (
                    child(path, "vectorString"),
                    (f"{vector!r} is not a CVSS v{version} vector string"),
                )
        properties = _V2_PROPERTIES if key == "cvss_v2" else _V3_PROPERTIES
        for name, (_, values) in properties.items():
            if name in cvss and cvss[name] not in values:
                yield (
                    child(path, name),
                    (f"expected one of {', '.join(values)}, got {cvss[name]!r}"),
                )
        for name in _V2_SCORES if key == "cvss_v2" else _V3_SCORES:
            if name in cvss and not _is_score(cvss[name]):
                yield child(path, name), f"expected a number from 0 to 10, got {cvss[name]!r}"
        if key == "cvss_v3":
            for name in _V3_SEVERITIES:
                if name in cvss and cvss[name] not in _SEVERITY:
                    yield (
                        child(path, name),
                        (f"expected one of {', '.join(_SEVERITY)}, got {cvss[name]!r}"),
                    )


def _is_score(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 10


def _parsed(key: str, cvss: Any) -> CVSS2 | CVSS3 | None:
    """Return the parsed vector of a CVSS object that 6.1.8 accepts the vector of, else None."""
    if not isinstance(cvss, dict):
        return None
    vector, version = cvss.get("vectorString"), cvss.get("version")
    pattern = _VECTORS.get(version if isinstance(version, str) else "")
    if not isinstance(vector, str) or pattern is None or not pattern.fullmatch(vector):
        return None
    if (key == "cvss_v2") != (version == "2.0"):
        return None
    try:
        return CVSS2(vector) if key == "cvss_v2" else CVSS3(vector)
    except CVSSError:
        return None


@mandatory("6.1.9", "Invalid CVSS computation")
def invalid_cvss_computation(doc: dict[str, Any]) -> Iterator[Finding]:
    """Every score and severity given equals the one computed from the vector."""
    for path, key, cvss in _cvss_objects(doc):
        parsed = _parsed(key, cvss)
        if parsed is None:
            if isinstance(cvss, dict) and isinstance(cvss.get("vectorString"), str):
                vector = cvss["vectorString"]
                pattern = _VECTORS.get(str(cvss.get("version")))
                if pattern is not None and pattern.fullmatch(vector):
                    # Right shape, yet not a computable vector (a base metric is missing or
                    # repeated): no score can be right.
                    yield (
                        child(path, "vectorString"),
                        (f"cannot compute scores from {vector!r}: not a complete CVSS vector"),
                    )
            continue
        assert isinstance(cvss, dict)
        scores = parsed.scores()
        if isinstance(parsed, CVSS3):
            severities = [s.upper() for s in parsed.severities()]
            pairs = list(zip(_V3_SCORES, scores, strict=True)) + list(
                zip(_V3_SEVERITIES, severities, strict=True)
            )
        else:
            metrics = {metric for metric, value in parsed.metrics.items() if value != "ND"}
            pairs = [("baseScore", scores[0])]
            if metrics & _V2_TEMPORAL or "temporalScore" in cvss:
                pairs.append(("temporalScore", scores[1]))
            if metrics & _V2_ENVIRONMENTAL:
                pairs.append(("environmentalScore", scores[2]))
        for name, computed in pairs:
            if name in cvss and computed is not None and cvss[name] != computed:
                given = cvss[name]
                if (
                    isinstance(computed, float)
                    and _is_score(given)
                    and abs(given - computed) < 1e-9
                ):
                    continue
                yield (
                    child(path, name),
                    (
                        f"{name} is {given!r}, but the vector {cvss['vectorString']!r} "
                        f"gives {computed!r}"
                    ),
                )


@mandatory("6.1.10", "Inconsistent CVSS")
def inconsistent_cvss(doc: dict[str, Any]) -> Iterator[Finding]:
    """No metric property contradicts the same metric in the vector."""
    for path, key, cvss in _cvss_objects(doc):
        parsed = _parsed(key, cvss)
        if parsed is None:
            continue
        assert isinstance(cvss, dict)
        in_vector = _vector_metrics(cvss["vectorString"])
        spelled = parsed.as_json(minimal=False)
        properties = _V2_PROPERTIES if key == "cvss_v2" else _V3_PROPERTIES
        for name, (metric, _) in properties.items():
            # Only metrics the vector states: one it leaves out is not a statement to contradict.
            if name not in cvss or metric not in in_vector:
                continue
            # The library spells an explicit "not defined" modified metric as the base value.
            expected = "NOT_DEFINED" if in_vector[metric] in ("X", "ND") else spelled.get(name)
            if cvss[name] != expected:
                yield (
                    child(path, name),
                    (
                        f"{name} is {cvss[name]!r}, but the vector says "
                        f"{metric}:{in_vector[metric]} ({expected})"
                    ),
                )


def _vector_metrics(vector: str) -> dict[str, str]:
    parts = vector.split("/")
    if parts and parts[0].startswith("CVSS:"):
        parts = parts[1:]
    return dict(part.split(":", 1) for part in parts if ":" in part)
