"""The matching engine: which advisories affect which components, with exact OSV semantics.

- :mod:`.evaluation`: one version against one OSV ``affected[]`` entry (schema §Evaluation);
- :mod:`.identity`: component purl, CPE, supplier and hashes -> lookup keys; an advisory -> the
  keys it is filed under;
- :mod:`.cpe_match`: NVD configurations against a component's CPEs (IR 7696);
- :mod:`.products`: vendor/product statements (CVE 5, CSAF, JVN) against a component;
- :mod:`.engine`: components x advisories -> findings, one per (component, alias group), each
  with its confidence;
- :mod:`.report`: the JSON contract of a match report.
"""

from vulndesk.core.matching.engine import (
    CONFIDENCES,
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
    advisory_lookup_keys,
    affected_lookup_key,
    component_query,
    index_ecosystem,
)
from vulndesk.core.matching.report import report_to_json

__all__ = [
    "CONFIDENCES",
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
    "advisory_lookup_keys",
    "affected_lookup_key",
    "component_query",
    "evaluate",
    "index_ecosystem",
    "match_components",
    "report_to_json",
]
