"""Prioritisation with SSVC: CERT/CC's decision tables and their inputs, filled from evidence.

:mod:`.ssvc` holds the tables and evaluates them; :mod:`.inputs` fills every decision point
from evidence about the vulnerability (KEV, EUVD, CSAF threats, exploit references, CVSS
vectors, CISA Vulnrichment) and about the asset (set by the product's owner), records where each
value came from, lets a person override any of them with a reason, and explains the result.
"""

from vulndesk.core.prioritization.inputs import (
    Assessment,
    AssetContext,
    Evidence,
    Override,
    PointValue,
    assess,
    automatable_of,
    decision_points,
    exploitation_of,
    technical_impact_of,
)
from vulndesk.core.prioritization.ssvc import (
    POINT_NAMES,
    POINTS,
    TABLES,
    Decision,
    DecisionTable,
    SsvcError,
    canonical_value,
    get_table,
)

__all__ = [
    "POINTS",
    "POINT_NAMES",
    "TABLES",
    "Assessment",
    "AssetContext",
    "Decision",
    "DecisionTable",
    "Evidence",
    "Override",
    "PointValue",
    "SsvcError",
    "assess",
    "automatable_of",
    "canonical_value",
    "decision_points",
    "exploitation_of",
    "get_table",
    "technical_impact_of",
]
