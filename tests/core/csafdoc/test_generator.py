"""The CSAF generator: what it writes passes the validator, for the shapes a case produces."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from vulndesk.core.csafdoc import CsafGenerationError, build_csaf_document, validate_document
from vulndesk.core.csafdoc.model import (
    Advisory,
    Cwe,
    Flag,
    Note,
    Product,
    ProductStatus,
    Publisher,
    Reference,
    Remediation,
    Revision,
    Score,
    Threat,
    Tracking,
    Vulnerability,
    VulnerabilityId,
)

PUBLISHER = Publisher(name="Example PSIRT", namespace="https://psirt.example.com")
JAN = datetime(2024, 1, 15, 9, 30, tzinfo=UTC)
TRACKING = Tracking(
    id="EX-2024-001",
    status="final",
    revisions=(
        Revision(JAN, "1", "Initial release."),
        Revision(JAN + timedelta(days=10), "2", "Fixed versions added."),
    ),
)
ROUTER_1 = Product("R1", "Example", "Router", "1.0", purl="pkg:generic/example/router@1.0")
ROUTER_2 = Product("R2", "Example", "Router", "2.0", purl="pkg:generic/example/router@2.0")
SWITCH = Product(
    "S1",
    "Other Corp",
    "Switch",
    "3.1",
    cpe="cpe:2.3:h:othercorp:switch:3.1:*:*:*:*:*:*:*",
)
OLD_SWITCHES = Product("S0", "Other Corp", "Switch", "vers:generic/<3.0", version_range=True)
SUMMARY = (Note("description", "A stack buffer overflow in the web interface."),)


def multi_product_advisory() -> Advisory:
    return Advisory(
        category="csaf_security_advisory",
        title="Buffer overflow in Example Router and Other Corp Switch",
        publisher=PUBLISHER,
        tracking=TRACKING,
        tlp="GREEN",
        notes=(Note("summary", "Upgrade now.", title="Summary"),),
        references=(Reference("https://psirt.example.com/EX-2024-001", "Advisory", "self"),),
        products=(ROUTER_1, ROUTER_2, SWITCH, OLD_SWITCHES),
        vulnerabilities=(
            Vulnerability(
                cve="CVE-2024-0001",
                title="Web UI overflow",
                cwe=Cwe("CWE-121", "Stack-based Buffer Overflow"),
                notes=SUMMARY,
                discovery_date=JAN - timedelta(days=30),
                product_status=ProductStatus(
                    known_affected=("R1", "S0"), fixed=("R2", "S1"), recommended=("R2",)
                ),
                scores=(
                    Score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", ("R1",)),
                    Score("CVSS:3.0/AV:A/AC:H/PR:L/UI:R/S:C/C:L/I:L/A:N/E:P", ("S0",)),
                ),
                remediations=(
                    Remediation(
                        "vendor_fix",
                        "Upgrade to Router 2.0.",
                        ("R1",),
                        url="https://example.com/dl",
                        date=JAN,
                    ),
                    Remediation("no_fix_planned", "End of life: replace it.", ("S0",)),
                ),
                threats=(Threat("exploit_status", "No known exploitation.", ("R1", "S0")),),
            ),
            Vulnerability(
                cve="CVE-2024-0002",
                notes=SUMMARY,
                ids=(VulnerabilityId("Example PSIRT case", "CASE-17"),),
                product_status=ProductStatus(known_affected=("S1",), under_investigation=("R2",)),
                remediations=(Remediation("workaround", "Disable the web UI.", ("S1",)),),
            ),
        ),
    )


def vex_document() -> Advisory:
    return Advisory(
        category="csaf_vex",
        title="Example Router and CVE-2024-0003",
        publisher=PUBLISHER,
        tracking=TRACKING,
        products=(ROUTER_1, ROUTER_2),
        vulnerabilities=(
            Vulnerability(
                cve="CVE-2024-0003",
                notes=(Note("description", "A flaw in libfoo's parser."),),
                product_status=ProductStatus(known_not_affected=("R1", "R2")),
                flags=(Flag("vulnerable_code_not_in_execute_path", ("R1", "R2"), date=JAN),),
                threats=(Threat("impact", "The parser is never called.", ("R1", "R2")),),
            ),
        ),
    )


@pytest.mark.parametrize("make", [multi_product_advisory, vex_document])
def test_generated_documents_are_valid(make: object) -> None:
    assert callable(make)
    doc = build_csaf_document(make())
    result = validate_document(json.loads(json.dumps(doc)))
    assert result.valid, result.failures
    assert len(result.tests_run) > 30


def test_a_vex_document_with_an_affected_product_and_its_action() -> None:
    vex = vex_document()
    [vulnerability] = vex.vulnerabilities
    affected = Vulnerability(
        cve="CVE-2024-0004",
        notes=vulnerability.notes,
        product_status=ProductStatus(known_affected=("R1",), fixed=("R2",)),
        remediations=(Remediation("vendor_fix", "Upgrade to 2.0.", ("R1",)),),
    )
    doc = build_csaf_document(
        Advisory(
            category="csaf_vex",
            title=vex.title,
            publisher=vex.publisher,
            tracking=vex.tracking,
            products=vex.products,
            vulnerabilities=(vulnerability, affected),
        )
    )
    assert doc["vulnerabilities"][1]["product_status"] == {
        "fixed": ["R2"],
        "known_affected": ["R1"],
    }


def test_the_product_tree_is_vendor_product_version() -> None:
    tree = build_csaf_document(multi_product_advisory())["product_tree"]
    assert [(b["category"], b["name"]) for b in tree["branches"]] == [
        ("vendor", "Example"),
        ("vendor", "Other Corp"),
    ]
    router = tree["branches"][0]["branches"][0]
    assert (router["category"], router["name"]) == ("product_name", "Router")
    assert router["branches"][1] == {
        "category": "product_version",
        "name": "2.0",
        "product": {
            "name": "Example Router 2.0",
            "product_id": "R2",
            "product_identification_helper": {"purl": "pkg:generic/example/router@2.0"},
        },
    }
    switches = tree["branches"][1]["branches"][0]["branches"]
    assert [b["category"] for b in switches] == ["product_version", "product_version_range"]
    assert switches[0]["product"]["product_identification_helper"] == {"cpe": SWITCH.cpe}


def test_tracking_and_scores_are_derived() -> None:
    doc = build_csaf_document(multi_product_advisory())
    tracking = doc["document"]["tracking"]
    assert tracking["initial_release_date"] == "2024-01-15T09:30:00.000Z"
    assert tracking["current_release_date"] == "2024-01-25T09:30:00.000Z"
    assert tracking["version"] == "2"
    assert doc["document"]["distribution"]["tlp"]["label"] == "GREEN"
    v31, v30 = (s["cvss_v3"] for s in doc["vulnerabilities"][0]["scores"])
    assert (v31["version"], v31["baseScore"], v31["baseSeverity"]) == ("3.1", 9.8, "CRITICAL")
    assert v31["attackVector"] == "NETWORK"
    assert v30["version"] == "3.0"
    assert v30["vectorString"] == "CVSS:3.0/AV:A/AC:H/PR:L/UI:R/S:C/C:L/I:L/A:N/E:P"
    assert "temporalScore" in v30


def test_dates_in_other_zones_are_written_in_utc() -> None:
    tokyo = timezone(timedelta(hours=9))
    advisory = vex_document()
    revision = Revision(datetime(2024, 3, 1, 9, 0, tzinfo=tokyo), "1", "Initial.")
    tracking = Tracking("T-1", "final", (revision,))
    doc = build_csaf_document(
        Advisory(
            category="csaf_vex",
            title=advisory.title,
            publisher=PUBLISHER,
            tracking=tracking,
            products=advisory.products,
            vulnerabilities=advisory.vulnerabilities,
        )
    )
    assert doc["document"]["tracking"]["current_release_date"] == "2024-03-01T00:00:00.000Z"


def test_a_known_not_affected_product_without_justification_is_refused() -> None:
    vex = vex_document()
    [vulnerability] = vex.vulnerabilities
    unjustified = Vulnerability(
        cve=vulnerability.cve,
        notes=vulnerability.notes,
        product_status=vulnerability.product_status,
        flags=(Flag("component_not_present", ("R1",)),),
    )
    bad = Advisory(
        category="csaf_vex",
        title=vex.title,
        publisher=PUBLISHER,
        tracking=TRACKING,
        products=vex.products,
        vulnerabilities=(unjustified,),
    )
    with pytest.raises(CsafGenerationError, match=r"6\.1\.27\.9") as caught:
        build_csaf_document(bad)
    assert [f.path for f in caught.value.failures] == [
        "$.vulnerabilities[0].product_status.known_not_affected[1]"
    ]
    assert build_csaf_document(bad, check=False)["vulnerabilities"][0]["flags"]


def test_an_unknown_product_id_is_refused() -> None:
    advisory = vex_document()
    [vulnerability] = advisory.vulnerabilities
    stray = Vulnerability(
        cve="CVE-2024-0005",
        notes=vulnerability.notes,
        product_status=ProductStatus(under_investigation=("R9",)),
    )
    with pytest.raises(CsafGenerationError, match="'R9' is not defined"):
        build_csaf_document(
            Advisory(
                category="csaf_vex",
                title="t",
                publisher=PUBLISHER,
                tracking=TRACKING,
                products=advisory.products,
                vulnerabilities=(stray,),
            )
        )


@pytest.mark.parametrize(
    ("vector", "message"),
    [
        ("AV:N/AC:L/Au:N/C:P/I:P/A:P", "not CVSS v3.0 or v3.1"),
        ("CVSS:3.1/AV:N/AC:L", "invalid CVSS vector"),
    ],
)
def test_bad_vectors_are_refused(vector: str, message: str) -> None:
    advisory = vex_document()
    [vulnerability] = advisory.vulnerabilities
    scored = Vulnerability(
        cve=vulnerability.cve,
        notes=vulnerability.notes,
        product_status=vulnerability.product_status,
        flags=vulnerability.flags,
        scores=(Score(vector, ("R1",)),),
    )
    with pytest.raises(CsafGenerationError, match=message):
        build_csaf_document(
            Advisory(
                category="csaf_vex",
                title="t",
                publisher=PUBLISHER,
                tracking=TRACKING,
                products=advisory.products,
                vulnerabilities=(scored,),
            )
        )


def test_naive_datetimes_and_empty_histories_are_refused() -> None:
    advisory = vex_document()
    naive = Tracking("T-1", "final", (Revision(datetime(2024, 1, 1), "1", "Initial."),))
    empty = Tracking("T-1", "final", ())
    for tracking, message in ((naive, "no time zone"), (empty, "no revision")):
        with pytest.raises(CsafGenerationError, match=message):
            build_csaf_document(
                Advisory(
                    category="csaf_vex",
                    title="t",
                    publisher=PUBLISHER,
                    tracking=tracking,
                    products=advisory.products,
                    vulnerabilities=advisory.vulnerabilities,
                )
            )
