"""The validator against the standard's own test documents and against real advisories.

Upstream: oasis-tcs/csaf ``csaf_2.0/test/validator`` (``testcases.json``: for each test id,
documents that must fail it and documents that must pass), a subset of which is in
../shared/data; only the files present there are checked. Real documents: CISA's 2022 ICS
advisories and the standard's examples must be valid, except for the violations they really
have, listed exactly in ``known_violations.json``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from support import SHARED_DATA
from vulndesk.core.csafdoc import IMPLEMENTED_TESTS, validate_document

CSAF = SHARED_DATA / "csaf"
TESTCASES = CSAF / "validator-tests" / "testcases.json"
ABSENT = "/work/shared absent: ../shared/data/csaf is not here"
KNOWN_VIOLATIONS = Path(__file__).with_name("known_violations.json")


def _testcases() -> list[Any]:
    """Return one param per (test id, document, expectation) present in the shared data."""
    if not TESTCASES.exists():
        return [pytest.param(None, None, None, marks=pytest.mark.skip(reason=ABSENT))]
    params = []
    for test in json.loads(TESTCASES.read_text())["tests"]:
        if test["group"] != "mandatory":
            continue
        for kind in ("failures", "valid"):
            for entry in test.get(kind, []):
                path = TESTCASES.parent / entry["name"]
                if path.exists():
                    params.append(
                        pytest.param(
                            test["id"], path, kind, id=f"{test['id']}-{kind}-{path.stem[-5:]}"
                        )
                    )
    return params


def _real_documents() -> list[Any]:
    if not CSAF.exists():
        return [pytest.param(None, marks=pytest.mark.skip(reason=ABSENT))]
    paths = sorted((CSAF / "cisa-ot").rglob("*.json")) + sorted(
        (CSAF / "oasis-examples" / "csaf").rglob("*.json")
    )
    # The ROLIE feed in cisa-ot/ is not a CSAF document.
    paths = [p for p in paths if p.parent.name != "cisa-ot"]
    return [pytest.param(p, id=str(p.relative_to(CSAF))) for p in paths]


@pytest.mark.shared
@pytest.mark.parametrize(("test_id", "path", "kind"), _testcases())
def test_upstream_testcases(test_id: str, path: Path, kind: str) -> None:
    if test_id not in IMPLEMENTED_TESTS:
        pytest.skip(f"mandatory test {test_id} is not implemented")
    result = validate_document(json.loads(path.read_text()))
    if kind == "failures":
        assert test_id in result.failed_tests(), result
        assert test_id in result.tests_run
    else:
        assert result.failures == (), result


@pytest.mark.shared
def test_the_shared_testcases_exercise_every_implemented_test() -> None:
    if not TESTCASES.exists():
        pytest.skip(ABSENT)
    failing = {p.values[0] for p in _testcases() if p.values[2] == "failures"}
    assert set(IMPLEMENTED_TESTS) <= failing


@pytest.mark.shared
@pytest.mark.parametrize("path", _real_documents())
def test_real_documents_are_valid_but_for_known_violations(path: Path) -> None:
    result = validate_document(json.loads(path.read_text()))
    known = json.loads(KNOWN_VIOLATIONS.read_text()).get(str(path.relative_to(CSAF)), [])
    # The only violations found: product_version branches named "vers:all/*" (a range, which
    # belongs in product_version_range) in CISA's 2022 advisories.
    assert [(f.test_id, f.path) for f in result.failures] == [("6.1.31", p) for p in known]
    assert all("'vers:all/*'" in f.message for f in result.failures)


@pytest.mark.shared
def test_real_documents_cover_the_expected_sets() -> None:
    if not CSAF.exists():
        pytest.skip(ABSENT)
    real = _real_documents()
    assert len([p for p in real if "cisa-ot" in p.id]) == 385
    assert len([p for p in real if "csaf_vex" in p.id]) >= 10
