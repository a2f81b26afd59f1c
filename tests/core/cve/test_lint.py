"""The CVE record linter: a good record is clean, and each rule fires on a record broken for it."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

from core.cve.cve_examples import PROVIDER, good_record
from support import FIXTURES
from vulndesk.core.cve.lint import (
    RULES,
    Finding,
    errors,
    has_errors,
    lint_cna_container,
    lint_cna_record,
    lint_cve_record,
    lint_document,
    lint_rejected_container,
)
from vulndesk.core.cve.record import Text, cve_record, rejected_container

CVE5_FIXTURES = sorted((FIXTURES / "feeds/cve5").rglob("CVE-*.json"))
Doc = dict[str, Any]


def good_document() -> Doc:
    return cve_record(good_record(), provider=PROVIDER)


def cna(doc: Doc) -> Doc:
    return doc["containers"]["cna"]


def english(doc: Doc, text: str) -> None:
    cna(doc)["descriptions"][0]["value"] = text


def only_unaffected(doc: Doc) -> None:
    cna(doc)["affected"] = [
        {
            "vendor": "Example Corp",
            "product": "Example Web Console",
            "versions": [{"version": "2.4.1", "status": "unaffected"}],
            "defaultStatus": "unaffected",
        }
    ]


def version(doc: Doc, **changes: object) -> None:
    entry = cna(doc)["affected"][0]["versions"][0]
    entry.update(changes)
    for key in [k for k, v in changes.items() if v is None]:
        del entry[key]


def cvss31(doc: Doc, **changes: object) -> None:
    cna(doc)["metrics"][0]["cvssV3_1"].update(changes)


CREDIT = "A path traversal in Example Web Console 2.0 before 2.4.1 lets attackers read files."
#: (rule expected, severity, JSON path, how to break the good record)
CASES: dict[str, tuple[str, str, str, Callable[[Doc], None]]] = {
    "only-unaffected-versions": (
        "affected-status",
        "error",
        "$.containers.cna.affected",
        only_unaffected,
    ),
    "no-problem-type": (
        "problem-type",
        "error",
        "$.containers.cna.problemTypes",
        lambda d: cna(d).pop("problemTypes"),
    ),
    "problem-type-free-text-only": (
        "problem-type-cwe",
        "warning",
        "$.containers.cna.problemTypes",
        lambda d: cna(d).update(
            problemTypes=[
                {"descriptions": [{"lang": "en", "description": "path traversal", "type": "text"}]}
            ]
        ),
    ),
    "no-english-description": (
        "description-english",
        "error",
        "$.containers.cna.descriptions",
        lambda d: cna(d).update(
            descriptions=[{"lang": "ja", "value": "パストラバーサルの脆弱性があります。"}]
        ),
    ),
    "en-US-counts-as-english": (
        "",
        "",
        "",
        lambda d: cna(d)["descriptions"][0].update(lang="en-US"),
    ),
    "trivial-description": (
        "description-trivial",
        "error",
        "$.containers.cna.descriptions[0].value",
        lambda d: english(d, "Path traversal bug."),
    ),
    "thanks-to-in-description": (
        "description-credit",
        "error",
        "$.containers.cna.descriptions[0].value",
        lambda d: english(d, CREDIT + " Thanks to Jane Doe."),
    ),
    "reported-by-in-description": (
        "description-credit",
        "error",
        "$.containers.cna.descriptions[0].value",
        lambda d: english(d, CREDIT + " Reported by Jane Doe."),
    ),
    "discovered-by-in-description": (
        "description-credit",
        "error",
        "$.containers.cna.descriptions[0].value",
        lambda d: english(d, "Discovered by Jane Doe: " + CREDIT),
    ),
    "credit-in-description": (
        "description-credit",
        "error",
        "$.containers.cna.descriptions[0].value",
        lambda d: english(d, CREDIT + " Credit: Jane Doe."),
    ),
    "credit-card-is-no-credit": (
        "",
        "",
        "",
        lambda d: english(d, CREDIT + " Stored credit card numbers leak."),
    ),
    "vendor-n/a": (
        "placeholder",
        "error",
        "$.containers.cna.affected[0].vendor",
        lambda d: cna(d)["affected"][0].update(vendor="n/a"),
    ),
    "product-N/A": (
        "placeholder",
        "error",
        "$.containers.cna.affected[0].product",
        lambda d: cna(d)["affected"][0].update(product="N/A"),
    ),
    "empty-package-name": (
        "placeholder",
        "error",
        "$.containers.cna.affected[1].packageName",
        lambda d: cna(d)["affected"][1].update(packageName=""),
    ),
    "version-unknown": (
        "placeholder",
        "error",
        "$.containers.cna.affected[0].versions[1].version",
        lambda d: cna(d)["affected"][0]["versions"][1].update(version="unknown"),
    ),
    "lessThan-dash": (
        "placeholder",
        "error",
        "$.containers.cna.affected[0].versions[0].lessThan",
        lambda d: version(d, lessThan="-"),
    ),
    "description-n/a": (
        "placeholder",
        "error",
        "$.containers.cna.descriptions[0].value",
        lambda d: english(d, "n/a"),
    ),
    "problem-type-n/a": (
        "placeholder",
        "error",
        "$.containers.cna.problemTypes[0].descriptions[0].description",
        lambda d: cna(d)["problemTypes"][0]["descriptions"][0].update(description="n/a"),
    ),
    "no-http-reference": (
        "reference-public",
        "error",
        "$.containers.cna.references",
        lambda d: cna(d).update(references=[{"url": "ftp://ftp.example.com/advisory.txt"}]),
    ),
    "malformed-cve-id": (
        "cve-id",
        "error",
        "$.cveMetadata.cveId",
        lambda d: d["cveMetadata"].update(cveId="CVE-25-123"),
    ),
    "range-without-version-type": (
        "version-range",
        "error",
        "$.containers.cna.affected[0].versions[0]",
        lambda d: version(d, versionType=None),
    ),
    "range-with-both-limits": (
        "version-range",
        "error",
        "$.containers.cna.affected[0].versions[0]",
        lambda d: version(d, lessThanOrEqual="2.4.0"),
    ),
    "changes-without-range": (
        "version-range",
        "error",
        "$.containers.cna.affected[0].versions[0].changes",
        lambda d: version(d, lessThan=None, changes=[{"at": "2.1", "status": "unaffected"}]),
    ),
    "custom-version-type": (
        "version-type-custom",
        "warning",
        "$.containers.cna.affected[0].versions[0].versionType",
        lambda d: version(d, versionType="custom"),
    ),
    "invalid-vector": (
        "cvss",
        "error",
        "$.containers.cna.metrics[0].cvssV3_1.vectorString",
        lambda d: cvss31(d, vectorString="CVSS:3.1/AV:N/AC:L"),
    ),
    "score-not-the-vectors": (
        "cvss",
        "error",
        "$.containers.cna.metrics[0].cvssV3_1.baseScore",
        lambda d: cvss31(d, baseScore=9.8),
    ),
    "severity-not-the-vectors": (
        "cvss",
        "error",
        "$.containers.cna.metrics[0].cvssV3_1.baseSeverity",
        lambda d: cvss31(d, baseSeverity="CRITICAL"),
    ),
    "v3.0-vector-under-cvssV3_1": (
        "cvss",
        "error",
        "$.containers.cna.metrics[0].cvssV3_1.vectorString",
        lambda d: cvss31(d, vectorString="CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"),
    ),
    "no-title": ("title", "warning", "$.containers.cna.title", lambda d: cna(d).pop("title")),
    "unknown-property-of-a-product": (
        "schema",
        "warning",
        "$.containers.cna.affected[0].vendorName",
        lambda d: cna(d)["affected"][0].update(vendorName="Example"),
    ),
    "unknown-property-of-a-reference": (
        "schema",
        "error",
        "$.containers.cna.references[0].link",
        lambda d: cna(d)["references"][0].update(link="https://example.com"),
    ),
    "x_-extension-allowed": (
        "",
        "",
        "",
        lambda d: cna(d).update(x_generator={"engine": "vulndesk"}),
    ),
    "status-not-in-enum": (
        "schema",
        "error",
        "$.containers.cna.affected[0].versions[1].status",
        lambda d: cna(d)["affected"][0]["versions"][1].update(status="vulnerable"),
    ),
    "org-id-not-uuid": (
        "schema",
        "error",
        "$.containers.cna.providerMetadata.orgId",
        lambda d: cna(d)["providerMetadata"].update(orgId="example"),
    ),
    "unknown-reference-tag": (
        "schema",
        "error",
        "$.containers.cna.references[0].tags[0]",
        lambda d: cna(d)["references"][0].update(tags=["advisory"]),
    ),
    "unknown-credit-type": (
        "schema",
        "error",
        "$.containers.cna.credits[0].type",
        lambda d: cna(d)["credits"][0].update(type="researcher"),
    ),
    "cwe-id-malformed": (
        "schema",
        "error",
        "$.containers.cna.problemTypes[0].descriptions[0].cweId",
        lambda d: cna(d)["problemTypes"][0]["descriptions"][0].update(cweId="CWE-022"),
    ),
    "impossible-date": (
        "schema",
        "error",
        "$.containers.cna.datePublic",
        lambda d: cna(d).update(datePublic="2025-02-30T00:00:00Z"),
    ),
    "no-references": (
        "schema",
        "error",
        "$.containers.cna.references",
        lambda d: cna(d).pop("references"),
    ),
    "product-without-versions-or-default": (
        "schema",
        "error",
        "$.containers.cna.affected[1]",
        lambda d: [cna(d)["affected"][1].pop(k) for k in ("versions", "defaultStatus")],
    ),
    "package-without-collection": (
        "schema",
        "error",
        "$.containers.cna.affected[1]",
        lambda d: cna(d)["affected"][1].pop("collectionURL"),
    ),
    "duplicate-reference": (
        "schema",
        "error",
        "$.containers.cna.references[2]",
        lambda d: cna(d)["references"].append(cna(d)["references"][0]),
    ),
    "bad-cpe": (
        "schema",
        "error",
        "$.containers.cna.affected[0].cpes[0]",
        lambda d: cna(d)["affected"][0].update(cpes=["example:web_console"]),
    ),
    "unknown-cna-tag": (
        "schema",
        "error",
        "$.containers.cna.tags[0]",
        lambda d: cna(d).update(tags=["root-cause"]),
    ),
    "schema-5.2-cna-tag": (
        "schema",
        "warning",
        "$.containers.cna.tags[0]",
        lambda d: cna(d).update(tags=["software-root-cause"]),
    ),
    "data-version-4": ("schema", "error", "$.dataVersion", lambda d: d.update(dataVersion="4.0")),
    "record-level-unknown-key": ("schema", "error", "$.extra", lambda d: d.update(extra=1)),
}


def test_a_good_record_has_no_findings() -> None:
    assert lint_cna_record(good_record(), provider=PROVIDER) == []
    assert lint_document(good_document()) == []


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_each_rule_fires_on_a_record_broken_for_it(case: str) -> None:
    rule, severity, path, breaking = CASES[case]
    document = good_document()
    breaking(document)
    findings = lint_document(document)
    if not rule:  # a change that must not be taken for a problem
        assert findings == []
        return
    assert {(f.rule, f.severity, f.path) for f in findings} == {(rule, severity, path)}, findings
    assert has_errors(findings) == (severity == "error")


def test_every_rule_is_exercised() -> None:
    assert {rule for rule, *_ in CASES.values() if rule} == set(RULES)


def test_findings_name_the_offending_value() -> None:
    document = good_document()
    cna(document)["affected"][0]["vendor"] = "n/a"
    (finding,) = lint_document(document)
    assert "'n/a'" in finding.message
    assert str(finding) == (
        "error $.containers.cna.affected[0].vendor: placeholder value 'n/a': say what it is "
        "[placeholder]"
    )


def test_errors_are_the_findings_that_block() -> None:
    findings = [Finding("warning", "$.a", "w", "title"), Finding("error", "$.b", "e", "cvss")]
    assert errors(findings) == [findings[1]]
    assert has_errors(findings) and not has_errors(findings[:1])


def test_a_bare_container_and_a_publish_body_are_linted_too() -> None:
    container = copy.deepcopy(cna(good_document()))
    assert lint_document(container) == []
    assert lint_document({"cnaContainer": container}) == []
    container["affected"][0]["vendor"] = "N/A"
    assert [f.path for f in lint_document({"cnaContainer": container})] == [
        "$.cnaContainer.affected[0].vendor"
    ]
    assert [f.path for f in lint_cna_container(container)] == ["$.affected[0].vendor"]


def test_the_cve_id_given_with_a_container_is_checked() -> None:
    container = cna(good_document())
    (finding,) = lint_cna_container(container, cve_id="CVE-2025-12")
    assert (finding.rule, finding.path) == ("cve-id", "cveId")


def test_a_rejected_container_needs_an_english_reason() -> None:
    good = rejected_container(
        [Text("Withdrawn: not a vulnerability in the product.")], provider=PROVIDER
    )
    assert lint_rejected_container(good) == []
    assert lint_document(good) == []
    bad = rejected_container([Text("取り下げ", "ja")], provider=PROVIDER, replaced_by=["CVE-1"])
    assert {(f.rule, f.path) for f in lint_rejected_container(bad)} == {
        ("description-english", "$.rejectedReasons"),
        ("cve-id", "$.replacedBy[0]"),
    }


def test_not_an_object_is_a_finding_not_a_crash() -> None:
    (finding,) = lint_document([1, 2])
    assert (finding.severity, finding.path, finding.rule) == ("error", "$", "schema")
    assert lint_cve_record({"dataType": "CVE_RECORD"})  # missing everything: findings, no crash


@pytest.mark.parametrize("path", CVE5_FIXTURES, ids=lambda p: p.name)
def test_the_cve5_fixtures_have_no_errors(path: Path) -> None:
    findings = lint_document(orjson.loads(path.read_bytes()))
    assert errors(findings) == []
