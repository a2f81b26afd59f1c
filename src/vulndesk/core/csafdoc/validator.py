"""Validating a CSAF 2.0 document: the JSON schema's rules, then the mandatory tests (6.1).

Every problem is reported, not only the first: a CSAF author fixing a document wants the whole
list. A document that is not even a JSON object gets the one schema failure that says so.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

# The test modules register their tests on import (registry.mandatory).
from vulndesk.core.csafdoc import cvss_checks, products, profiles, revisions  # noqa: F401
from vulndesk.core.csafdoc.access import category
from vulndesk.core.csafdoc.registry import SCHEMA_TEST, TESTS, Failure
from vulndesk.core.csafdoc.schema import schema_findings

_IN_SECTION_ORDER = sorted(TESTS.values(), key=lambda t: [int(p) for p in t.test_id.split(".")])

#: the mandatory tests this validator implements, in section order
IMPLEMENTED_TESTS: tuple[str, ...] = tuple(t.test_id for t in _IN_SECTION_ORDER)

#: mandatory tests of CSAF 2.0 not implemented, and why
NOT_IMPLEMENTED: dict[str, str] = {
    "6.1.11": "needs the CWE catalogue (ids and names) to check against; none is shipped",
    "6.1.12": "needs the IANA language subtag registry to check that subtags exist; the "
    "schema check covers the BCP 47 syntax only",
}


@dataclass(frozen=True, slots=True)
class ValidationResult:
    """What :func:`validate_document` found.

    ``tests_run`` lists ``"schema"`` and each mandatory test that applied to the document;
    ``tests_skipped`` the implemented ones that did not (profile tests of other categories).
    """

    tests_run: tuple[str, ...]
    tests_skipped: tuple[str, ...]
    failures: tuple[Failure, ...]

    @property
    def valid(self) -> bool:
        """Return whether no test failed."""
        return not self.failures

    def failed_tests(self) -> set[str]:
        """Return the ids of the tests that failed."""
        return {f.test_id for f in self.failures}


def validate_document(doc: Any, *, tests: Iterable[str] | None = None) -> ValidationResult:
    """Return the result of checking ``doc`` (parsed JSON) against the schema and the mandatory
    tests (``tests``: only these ids; the schema check always runs)."""
    failures = [Failure(SCHEMA_TEST, path, message) for path, message in schema_findings(doc)]
    if not isinstance(doc, dict):
        return ValidationResult((SCHEMA_TEST,), (), tuple(failures))
    selected = set(TESTS) if tests is None else set(tests)
    unknown = selected - set(TESTS)
    if unknown:
        raise ValueError(f"unknown or unimplemented CSAF test id(s): {', '.join(sorted(unknown))}")
    doc_category = category(doc)
    run, skipped = [SCHEMA_TEST], []
    for test in _IN_SECTION_ORDER:
        if test.test_id not in selected:
            continue
        if not test.applies_to(doc_category):
            skipped.append(test.test_id)
            continue
        run.append(test.test_id)
        failures.extend(
            Failure(test.test_id, path, message) for path, message in test.function(doc)
        )
    return ValidationResult(tuple(run), tuple(skipped), tuple(failures))
