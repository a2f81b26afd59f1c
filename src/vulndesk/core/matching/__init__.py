"""The matching engine: which advisories affect which components, with exact OSV semantics.

- :mod:`.evaluation`: one version against one OSV ``affected[]`` entry (schema §Evaluation);
- :mod:`.identity`: component purl -> lookup keys; ``affected[]`` entry -> its key;
- :mod:`.engine`: components x advisories -> findings, one per (component, alias group);
- :mod:`.report`: the JSON contract of a match report.
"""

from vulndesk.core.matching.engine import (
    AdvisoryIndex,
    AliasResolver,
    Finding,
    MatchReport,
    Undetermined,
    match_components,
)
from vulndesk.core.matching.evaluation import Evaluation, OsvRangeEvaluator, evaluate
from vulndesk.core.matching.identity import (
    Candidate,
    ComponentQuery,
    LookupKey,
    NotEvaluated,
    affected_lookup_key,
    component_query,
    index_ecosystem,
)
from vulndesk.core.matching.report import report_to_json

__all__ = [
    "AdvisoryIndex",
    "AliasResolver",
    "Candidate",
    "ComponentQuery",
    "Evaluation",
    "Finding",
    "LookupKey",
    "MatchReport",
    "NotEvaluated",
    "OsvRangeEvaluator",
    "Undetermined",
    "affected_lookup_key",
    "component_query",
    "evaluate",
    "index_ecosystem",
    "match_components",
    "report_to_json",
]
