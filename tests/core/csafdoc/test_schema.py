"""The structural (JSON schema) checks: JSON paths, messages, and hostile documents."""

from __future__ import annotations

from typing import Any

import pytest

from vulndesk.core.csafdoc import SCHEMA_TEST, validate_document


def schema_failures(doc: Any) -> list[tuple[str, str]]:
    return [(f.path, f.message) for f in validate_document(doc).failures if f.test_id == "schema"]


def test_the_fixture_is_valid(advisory: dict[str, Any]) -> None:
    result = validate_document(advisory)
    assert result.valid, result.failures
    assert result.tests_run[0] == SCHEMA_TEST
    assert "6.1.27.9" in result.tests_skipped  # a VEX-only test, skipped for an advisory


def test_a_bad_revision_number_is_reported_at_its_path(advisory: dict[str, Any]) -> None:
    advisory["document"]["tracking"]["revision_history"][1]["number"] = "2.0"
    [(path, message)] = schema_failures(advisory)
    assert path == "$.document.tracking.revision_history[1].number"
    assert "integer (1, 2...) or semantic (1.0.0) version" in message
    assert "'2.0'" in message


@pytest.mark.parametrize(
    ("change", "path", "expected"),
    [
        (lambda d: d["document"].pop("title"), "$.document.title", "'title' is missing"),
        (
            lambda d: d["document"]["tracking"].update(status="released"),
            "$.document.tracking.status",
            "expected one of 'draft', 'final', 'interim', got 'released'",
        ),
        (
            lambda d: d["document"]["distribution"]["tlp"].update(label="CLEAR"),
            "$.document.distribution.tlp.label",
            "'AMBER', 'GREEN', 'RED', 'WHITE'",
        ),
        (
            lambda d: d["document"].update(csaf_version="2.1"),
            "$.document.csaf_version",
            "expected one of '2.0'",
        ),
        (
            lambda d: d["document"]["tracking"].update(initial_release_date="2024-01-15"),
            "$.document.tracking.initial_release_date",
            "RFC 3339 date-time",
        ),
        (
            lambda d: d["document"]["publisher"].update(namespace="psirt example"),
            "$.document.publisher.namespace",
            "absolute URI",
        ),
        (
            lambda d: d["vulnerabilities"][0]["product_status"].update(unknown=["R1"]) or None,
            None,
            None,
        ),
        (
            lambda d: d["vulnerabilities"][0]["product_status"].update(fixed="R2"),
            "$.vulnerabilities[0].product_status.fixed",
            "expected an array, got string",
        ),
        (
            lambda d: d["vulnerabilities"][0]["product_status"].update(fixed=["R2", "R2"]),
            "$.vulnerabilities[0].product_status.fixed[1]",
            "duplicate of item 0",
        ),
        (
            lambda d: d["vulnerabilities"][0]["remediations"][0].update(category="patch"),
            "$.vulnerabilities[0].remediations[0].category",
            "'mitigation', 'no_fix_planned', 'none_available', 'vendor_fix', 'workaround'",
        ),
        (
            lambda d: d["vulnerabilities"][0]["scores"][0].update(products=[]),
            "$.vulnerabilities[0].scores[0].products",
            "expected at least 1 item, got 0",
        ),
        (
            lambda d: d["product_tree"]["product_groups"][0].update(product_ids=["R1"]),
            "$.product_tree.product_groups[0].product_ids",
            "expected at least 2 items, got 1",
        ),
        (
            lambda d: d["vulnerabilities"][0].update(cve="CVE-24-1"),
            "$.vulnerabilities[0].cve",
            "CVE id",
        ),
        (
            lambda d: d["product_tree"]["branches"][0].update(
                product={"name": "x", "product_id": "X"}
            ),
            "$.product_tree.branches[0]",
            "expected at most 3 properties, got 4",
        ),
        (
            lambda d: d["document"].update(category=" csaf_base"),
            "$.document.category",
            "not starting or ending with white space",
        ),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_schema_rules(advisory: dict[str, Any], change: Any, path: str, expected: str) -> None:
    change(advisory)
    failures = schema_failures(advisory)
    if path is None:  # an unknown property is allowed: the published schema does not forbid it
        assert failures == []
        return
    assert [p for p, _ in failures] == [path], failures
    assert expected in failures[0][1]


@pytest.mark.parametrize("value", [[], "csaf", 3, None, True])
def test_a_top_level_that_is_not_an_object_fails_the_schema_only(value: Any) -> None:
    result = validate_document(value)
    assert result.tests_run == ("schema",)
    assert [(f.path, f.message.split(",")[0]) for f in result.failures] == [
        ("$", "expected an object")
    ]


def test_wrong_types_everywhere_do_not_crash_the_mandatory_tests(
    advisory: dict[str, Any],
) -> None:
    advisory["product_tree"]["branches"] = {"not": "a list"}
    advisory["product_tree"]["product_groups"] = [3, None, {"group_id": 7, "product_ids": "R1"}]
    advisory["vulnerabilities"] = [None, {"product_status": [], "scores": [{"cvss_v3": "x"}]}]
    advisory["document"]["tracking"]["revision_history"] = [{"date": 1, "number": 2}]
    result = validate_document(advisory)
    assert not result.valid
    assert len(result.tests_run) > 30


def test_deeply_nested_branches_are_walked_without_recursion(advisory: dict[str, Any]) -> None:
    # orjson refuses JSON nested deeper than 1024 levels; a document built in memory is not
    # limited, and must not exhaust Python's recursion limit either.
    branch: dict[str, Any] = {
        "category": "product_version",
        "name": "1",
        "product": {"name": "deep", "product_id": "DEEP"},
    }
    for _ in range(5000):
        branch = {"category": "product_family", "name": "f", "branches": [branch]}
    advisory["product_tree"]["branches"].append(branch)
    advisory["vulnerabilities"][0]["product_status"]["fixed"].append("DEEP")
    result = validate_document(advisory)
    assert result.valid, result.failures[:3]
