"""Hand-written cases for the mandatory tests, beyond the upstream documents in ../shared.

Each case changes the valid fixture (conftest.py) in one way, following the wording of the
standard's section 6.1, and checks which JSON paths the named test reports.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from vulndesk.core.csafdoc import IMPLEMENTED_TESTS, NOT_IMPLEMENTED, validate_document


def failing(doc: dict[str, Any], test_id: str) -> list[str]:
    """Return the paths at which ``test_id`` fails (running that test only)."""
    return [
        f.path for f in validate_document(doc, tests=[test_id]).failures if f.test_id != "schema"
    ]


def vuln(doc: dict[str, Any]) -> dict[str, Any]:
    return doc["vulnerabilities"][0]


def make_vex(doc: dict[str, Any]) -> dict[str, Any]:
    doc["document"]["category"] = "csaf_vex"
    vuln(doc)["product_status"] = {"known_not_affected": ["R1", "S3"], "fixed": ["R2"]}
    vuln(doc)["flags"] = [{"label": "component_not_present", "group_ids": ["G1"]}]
    vuln(doc).pop("remediations")
    return doc


def test_every_mandatory_test_is_implemented_or_explained() -> None:
    numbered = [f"6.1.{n}" for n in range(1, 34) if n != 27] + [f"6.1.27.{n}" for n in range(1, 12)]
    assert sorted(set(IMPLEMENTED_TESTS) | set(NOT_IMPLEMENTED)) == sorted(numbered)
    assert not set(IMPLEMENTED_TESTS) & set(NOT_IMPLEMENTED)


def test_unknown_test_ids_are_refused(advisory: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"6\.1\.11"):
        validate_document(advisory, tests=["6.1.11"])


def test_6_1_1_undefined_products_in_every_kind_of_reference(advisory: dict[str, Any]) -> None:
    advisory["product_tree"]["product_groups"][0]["product_ids"].append("NOPE1")
    vuln(advisory)["flags"] = [{"label": "component_not_present", "product_ids": ["NOPE2"]}]
    vuln(advisory)["threats"] = [{"category": "impact", "details": "x", "product_ids": ["NOPE3"]}]
    assert failing(advisory, "6.1.1") == [
        "$.product_tree.product_groups[0].product_ids[2]",
        "$.vulnerabilities[0].threats[0].product_ids[0]",
        "$.vulnerabilities[0].flags[0].product_ids[0]",
    ]


def test_6_1_2_a_product_id_defined_twice(advisory: dict[str, Any]) -> None:
    advisory["product_tree"]["full_product_names"].append({"name": "Dup", "product_id": "R1"})
    assert failing(advisory, "6.1.2") == ["$.product_tree.full_product_names[1].product_id"]


def test_6_1_3_an_indirect_cycle(advisory: dict[str, Any]) -> None:
    advisory["product_tree"]["relationships"] = [
        {
            "category": "installed_on",
            "full_product_name": {"name": "A on B", "product_id": "AB"},
            "product_reference": "R1",
            "relates_to_product_reference": "BA",
        },
        {
            "category": "installed_on",
            "full_product_name": {"name": "B on A", "product_id": "BA"},
            "product_reference": "AB",
            "relates_to_product_reference": "S3",
        },
    ]
    assert failing(advisory, "6.1.3") == [
        "$.product_tree.relationships[0].full_product_name.product_id",
        "$.product_tree.relationships[1].full_product_name.product_id",
    ]
    advisory["product_tree"]["relationships"][1]["product_reference"] = "R2"
    assert failing(advisory, "6.1.3") == []


def test_6_1_4_and_6_1_5_group_ids(advisory: dict[str, Any]) -> None:
    vuln(advisory)["remediations"][0]["group_ids"] = ["G1", "G9"]
    assert failing(advisory, "6.1.4") == ["$.vulnerabilities[0].remediations[0].group_ids[1]"]
    advisory["product_tree"]["product_groups"].append(
        {"group_id": "G1", "product_ids": ["R1", "R2"]}
    )
    assert failing(advisory, "6.1.5") == ["$.product_tree.product_groups[1].group_id"]


@pytest.mark.parametrize(
    ("status", "contradicts"),
    [
        ({"first_fixed": ["R1"], "last_affected": ["R1"]}, True),
        ({"under_investigation": ["R1"], "known_not_affected": ["R1"]}, True),
        ({"fixed": ["R1"], "first_fixed": ["R1"]}, False),  # the same group
        ({"known_affected": ["R1"], "recommended": ["R1"]}, False),  # recommended is in none
    ],
)
def test_6_1_6_contradicting_status(
    advisory: dict[str, Any], status: dict[str, list[str]], contradicts: bool
) -> None:
    vuln(advisory)["product_status"] = status
    assert failing(advisory, "6.1.6") == (
        ["$.vulnerabilities[0].product_status"] if contradicts else []
    )


def test_6_1_7_two_scores_of_one_version(advisory: dict[str, Any]) -> None:
    scores = vuln(advisory)["scores"]
    v30 = copy.deepcopy(scores[0])
    v30["cvss_v3"].update(
        version="3.0", vectorString=v30["cvss_v3"]["vectorString"].replace("3.1", "3.0")
    )
    scores.append(v30)
    assert failing(advisory, "6.1.7") == []  # 3.0 and 3.1 are different versions
    scores.append(copy.deepcopy(scores[0]) | {"products": ["S3"]})
    assert failing(advisory, "6.1.7") == ["$.vulnerabilities[0].scores[2]"]


def cvss(advisory: dict[str, Any]) -> dict[str, Any]:
    cvss_v3: dict[str, Any] = vuln(advisory)["scores"][0]["cvss_v3"]
    return cvss_v3


def test_6_1_8_cvss_against_first_schema(advisory: dict[str, Any]) -> None:
    del cvss(advisory)["baseSeverity"]
    cvss(advisory)["attackVector"] = "INTERNET"
    assert failing(advisory, "6.1.8") == [
        "$.vulnerabilities[0].scores[0].cvss_v3.baseSeverity",
        "$.vulnerabilities[0].scores[0].cvss_v3.attackVector",
    ]


def test_6_1_8_a_vector_of_another_version(advisory: dict[str, Any]) -> None:
    cvss(advisory)["version"] = "3.0"
    assert failing(advisory, "6.1.8") == ["$.vulnerabilities[0].scores[0].cvss_v3.vectorString"]


def test_6_1_9_scores_are_recomputed(advisory: dict[str, Any]) -> None:
    cvss(advisory).update(baseScore=10.0, baseSeverity="LOW")
    assert failing(advisory, "6.1.9") == [
        "$.vulnerabilities[0].scores[0].cvss_v3.baseScore",
        "$.vulnerabilities[0].scores[0].cvss_v3.baseSeverity",
    ]


def test_6_1_9_cvss_v2(advisory: dict[str, Any]) -> None:
    vuln(advisory)["scores"][0]["cvss_v2"] = {
        "version": "2.0",
        "vectorString": "AV:N/AC:L/Au:N/C:P/I:P/A:P",
        "baseScore": 7.5,
    }
    assert failing(advisory, "6.1.9") == []
    vuln(advisory)["scores"][0]["cvss_v2"]["baseScore"] = 7.4
    assert failing(advisory, "6.1.9") == ["$.vulnerabilities[0].scores[0].cvss_v2.baseScore"]


def test_6_1_10_properties_contradicting_the_vector(advisory: dict[str, Any]) -> None:
    cvss(advisory).update(attackVector="LOCAL", scope="UNCHANGED", availabilityImpact="LOW")
    assert failing(advisory, "6.1.10") == [
        "$.vulnerabilities[0].scores[0].cvss_v3.attackVector",
        "$.vulnerabilities[0].scores[0].cvss_v3.availabilityImpact",
    ]


def test_6_1_10_explicitly_undefined_metrics(advisory: dict[str, Any]) -> None:
    vector = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:X/MAV:X/MC:H"
    cvss(advisory).update(vectorString=vector, exploitCodeMaturity="NOT_DEFINED")
    cvss(advisory).update(modifiedAttackVector="NOT_DEFINED", modifiedConfidentialityImpact="HIGH")
    assert failing(advisory, "6.1.10") == []
    cvss(advisory)["modifiedAttackVector"] = "NETWORK"
    assert failing(advisory, "6.1.10") == [
        "$.vulnerabilities[0].scores[0].cvss_v3.modifiedAttackVector"
    ]


def test_6_1_13_a_purl_without_name(advisory: dict[str, Any]) -> None:
    helper = advisory["product_tree"]["branches"][0]["branches"][0]["branches"][1]["product"]
    helper["product_identification_helper"]["purl"] = "pkg:maven/@1.3.4"
    [path] = failing(advisory, "6.1.13")
    assert path.endswith("branches[1].product.product_identification_helper.purl")


def history(doc: dict[str, Any], *items: tuple[str, str], version: str, status: str) -> None:
    tracking = doc["document"]["tracking"]
    tracking["revision_history"] = [
        {"date": f"2024-01-{day}T10:00:00Z", "number": number, "summary": "x"}
        for day, number in items
    ]
    tracking.update(version=version, status=status)


def test_revision_history_tests_on_a_good_semver_draft(advisory: dict[str, Any]) -> None:
    history(advisory, ("01", "0.1.0"), ("02", "0.2.0"), version="0.2.0-rc.1", status="draft")
    result = validate_document(advisory)
    assert result.valid, result.failures  # 6.1.16 ignores the pre-release part of a draft


@pytest.mark.parametrize(
    ("items", "version", "status", "test_id", "paths"),
    [
        ((("02", "1"), ("01", "2")), "2", "final", "6.1.14", ["revision_history[0].number"]),
        ((("01", "1"), ("02", "2")), "1", "final", "6.1.16", ["version"]),
        ((("01", "1.0.0"),), "1.0.0+build.7", "final", "6.1.16", []),
        ((("01", "0.9.5"),), "0.9.5", "final", "6.1.17", ["status"]),
        ((("01", "0"), ("02", "1")), "1", "interim", "6.1.18", ["revision_history[0].number"]),
        (
            (("01", "1.0.0-rc"), ("02", "1.0.0")),
            "1.0.0",
            "final",
            "6.1.19",
            ["revision_history[0].number"],
        ),
        ((("01", "1.0.0"),), "1.0.0-alpha", "interim", "6.1.20", ["version"]),
        ((("01", "1"), ("02", "3")), "3", "final", "6.1.21", ["revision_history"]),
        ((("01", "2"), ("02", "3")), "3", "final", "6.1.21", ["revision_history[0].number"]),
        ((("01", "1.0.0"), ("02", "2.4.1"), ("03", "3.0.0")), "3.0.0", "final", "6.1.21", []),
        ((("01", "1"), ("02", "1")), "1", "final", "6.1.22", ["revision_history[1].number"]),
        (
            (("01", "1.0.0"), ("02", "2")),
            "2",
            "final",
            "6.1.30",
            ["revision_history[1].number", "version"],
        ),
    ],
)
def test_revision_history(
    advisory: dict[str, Any],
    items: tuple[tuple[str, str], ...],
    version: str,
    status: str,
    test_id: str,
    paths: list[str],
) -> None:
    history(advisory, *items, version=version, status=status)
    assert failing(advisory, test_id) == [f"$.document.tracking.{p}" for p in paths]


def test_6_1_15_and_6_1_28_translations(advisory: dict[str, Any]) -> None:
    advisory["document"]["publisher"]["category"] = "translator"
    assert failing(advisory, "6.1.15") == ["$.document.source_lang"]
    advisory["document"].update(lang="en-US", source_lang="EN-us")
    assert failing(advisory, "6.1.15") == []
    assert failing(advisory, "6.1.28") == ["$.document.source_lang"]
    advisory["document"]["source_lang"] = "en-GB"
    assert failing(advisory, "6.1.28") == []


def test_6_1_23_the_same_cve_twice(advisory: dict[str, Any]) -> None:
    advisory["vulnerabilities"].append(copy.deepcopy(vuln(advisory)))
    assert failing(advisory, "6.1.23") == ["$.vulnerabilities[1].cve"]


def test_6_1_24_the_same_party_at_the_same_instant(advisory: dict[str, Any]) -> None:
    vuln(advisory)["involvements"] = [
        {"party": "vendor", "status": "completed", "date": "2024-04-23T10:00:00Z"},
        {"party": "vendor", "status": "in_progress", "date": "2024-04-23T12:00:00+02:00"},
        {"party": "vendor", "status": "open", "date": "2024-04-24T10:00:00Z"},
    ]
    assert failing(advisory, "6.1.24") == ["$.vulnerabilities[0].involvements[1]"]


def test_6_1_25_a_hash_algorithm_twice(advisory: dict[str, Any]) -> None:
    advisory["product_tree"]["full_product_names"][0]["product_identification_helper"] = {
        "hashes": [
            {
                "filename": "a.so",
                "file_hashes": [
                    {"algorithm": "sha256", "value": "0" * 64},
                    {"algorithm": "sha256", "value": "1" * 64},
                ],
            }
        ]
    }
    [path] = failing(advisory, "6.1.25")
    assert path.endswith("hashes[0].file_hashes[1].algorithm")


@pytest.mark.parametrize(
    ("category", "prohibited"),
    [
        ("Csaf_a", True),
        ("Informational Advisory", True),
        ("security-incident-response", True),
        ("Security      Advisory", True),
        ("veX", True),
        ("V_eX", True),
        ("Security_Incident_Response", True),
        ("CSAF_BASE", True),
        ("csaf_base", False),
        ("csaf_vex", False),
        ("Example Company Security Notice", False),
        ("base", False),
    ],
)
def test_6_1_26_category_names(advisory: dict[str, Any], category: str, prohibited: bool) -> None:
    advisory["document"]["category"] = category
    result = validate_document(advisory, tests=["6.1.26"])
    if category.startswith("csaf_") and category.islower():
        assert result.tests_skipped == ("6.1.26",)
    assert [f.path for f in result.failures if f.test_id == "6.1.26"] == (
        ["$.document.category"] if prohibited else []
    )


def test_6_1_27_informational_advisory(advisory: dict[str, Any]) -> None:
    advisory["document"]["category"] = "csaf_informational_advisory"
    advisory["document"]["notes"][0]["category"] = "legal_disclaimer"
    result = validate_document(advisory)
    assert {f.test_id for f in result.failures} == {"6.1.27.1", "6.1.27.2", "6.1.27.3"}


def test_6_1_27_security_advisory_requirements(advisory: dict[str, Any]) -> None:
    del vuln(advisory)["notes"]
    del vuln(advisory)["product_status"]
    assert failing(advisory, "6.1.27.5") == ["$.vulnerabilities[0].notes"]
    assert failing(advisory, "6.1.27.6") == ["$.vulnerabilities[0].product_status"]
    del advisory["vulnerabilities"]
    del advisory["product_tree"]
    assert failing(advisory, "6.1.27.4") == ["$.product_tree"]
    assert failing(advisory, "6.1.27.11") == ["$.vulnerabilities"]


def test_the_vex_fixture_is_valid(advisory: dict[str, Any]) -> None:
    result = validate_document(make_vex(advisory))
    assert result.valid, result.failures
    assert {"6.1.27.7", "6.1.27.8", "6.1.27.9", "6.1.27.10"} <= set(result.tests_run)


def test_6_1_27_9_impact_statement_through_groups_and_threats(advisory: dict[str, Any]) -> None:
    make_vex(advisory)
    vuln(advisory)["product_status"]["known_not_affected"].append("R2")
    vuln(advisory)["product_status"].pop("fixed")
    assert failing(advisory, "6.1.27.9") == [
        "$.vulnerabilities[0].product_status.known_not_affected[2]"
    ]
    vuln(advisory)["threats"] = [{"category": "impact", "details": "n/a", "product_ids": ["R2"]}]
    assert failing(advisory, "6.1.27.9") == []


def test_6_1_27_10_action_statement(advisory: dict[str, Any]) -> None:
    make_vex(advisory)
    vuln(advisory)["product_status"] = {"known_affected": ["R1", "R2"]}
    vuln(advisory)["remediations"] = [
        {"category": "no_fix_planned", "details": "EOL", "group_ids": ["G1"]}
    ]
    assert failing(advisory, "6.1.27.10") == [
        "$.vulnerabilities[0].product_status.known_affected[1]"
    ]


def test_6_1_27_7_and_8_vex_status_and_id(advisory: dict[str, Any]) -> None:
    make_vex(advisory)
    vuln(advisory)["product_status"] = {"recommended": ["R2"]}
    del vuln(advisory)["cve"]
    assert failing(advisory, "6.1.27.7") == ["$.vulnerabilities[0].product_status"]
    assert failing(advisory, "6.1.27.8") == ["$.vulnerabilities[0]"]


def test_6_1_29_and_6_1_32_items_without_products(advisory: dict[str, Any]) -> None:
    vuln(advisory)["remediations"][0].pop("group_ids")
    vuln(advisory)["flags"] = [{"label": "component_not_present"}]
    assert failing(advisory, "6.1.29") == ["$.vulnerabilities[0].remediations[0]"]
    assert failing(advisory, "6.1.32") == ["$.vulnerabilities[0].flags[0]"]


@pytest.mark.parametrize(
    ("name", "is_range"),
    [
        ("prior to 4.2", True),
        ("<= 3.1", True),
        ("All versions", True),
        ("4.2.1", False),
        ("V2.0 SP1", False),
    ],
)
def test_6_1_31_ranges_in_product_version(
    advisory: dict[str, Any], name: str, is_range: bool
) -> None:
    advisory["product_tree"]["branches"][0]["branches"][0]["branches"][0]["name"] = name
    assert bool(failing(advisory, "6.1.31")) is is_range
    advisory["product_tree"]["branches"][0]["branches"][0]["branches"][0]["category"] = (
        "product_version_range"
    )
    assert failing(advisory, "6.1.31") == []


def test_6_1_33_two_justifications_for_one_product_through_a_group(
    advisory: dict[str, Any],
) -> None:
    make_vex(advisory)
    vuln(advisory)["flags"].append(
        {"label": "vulnerable_code_cannot_be_controlled_by_adversary", "product_ids": ["R1"]}
    )
    assert failing(advisory, "6.1.33") == ["$.vulnerabilities[0].flags[1]"]
