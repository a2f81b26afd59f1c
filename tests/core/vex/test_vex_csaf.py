"""The CSAF VEX codec: reading product status, writing documents that satisfy the VEX profile.

No CSAF JSON schema is in the shared data and ``jsonschema`` is not a dependency, so
:func:`csaf_vex_problems` checks what the CSAF 2.0 schema requires of the fields the writer
emits, and the mandatory tests a CSAF VEX document must pass (6.1.1, 6.1.4, 6.1.6, 6.1.16,
6.1.21, 6.1.23, 6.1.27.4-6.1.27.10, 6.1.33). The checker is itself tested against the OASIS
validator test documents for those tests: each failing example must be caught, each valid one
pass.
"""

from __future__ import annotations

import copy
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from support import FIXTURES, SHARED_DATA, shared_data
from vulndesk.core.errors import AdvisoryError
from vulndesk.core.vex import (
    VexDocument,
    VexError,
    VexProduct,
    VexStatement,
    VexStatus,
    VexVersion,
    csaf_vex_document,
    openvex_document,
    parse_csaf_vex,
    read_vex,
    read_vex_file,
)

CSAF_VEX = "csaf/oasis-examples/csaf/csaf_vex"
VALIDATOR = "csaf/validator-tests"
CHECKED_TESTS = (
    "6.1.1",
    "6.1.4",
    "6.1.6",
    "6.1.16",
    "6.1.21",
    "6.1.23",
    "6.1.27.4",
    "6.1.27.5",
    "6.1.27.6",
    "6.1.27.7",
    "6.1.27.8",
    "6.1.27.9",
    "6.1.27.10",
    "6.1.33",
)


# --- a checker for the CSAF VEX profile -----------------------------------------------------------

_PUBLISHER_CATEGORIES = {"coordinator", "discoverer", "other", "translator", "user", "vendor"}
_NOTE_CATEGORIES = {
    "description",
    "details",
    "faq",
    "general",
    "legal_disclaimer",
    "other",
    "summary",
}
_BRANCH_CATEGORIES = {
    "architecture",
    "host_name",
    "language",
    "legacy",
    "patch_level",
    "product_family",
    "product_name",
    "product_version",
    "product_version_range",
    "service_pack",
    "specification",
    "vendor",
}
_RELATIONSHIP_CATEGORIES = {
    "default_component_of",
    "external_component_of",
    "installed_on",
    "installed_with",
    "optional_component_of",
}
_FLAG_LABELS = {
    "component_not_present",
    "inline_mitigations_already_exist",
    "vulnerable_code_cannot_be_controlled_by_adversary",
    "vulnerable_code_not_in_execute_path",
    "vulnerable_code_not_present",
}
_REMEDIATION_CATEGORIES = {
    "mitigation",
    "no_fix_planned",
    "none_available",
    "vendor_fix",
    "workaround",
}
_THREAT_CATEGORIES = {"exploit_status", "impact", "target_set"}
_STATUS_GROUPS = {
    "affected": ("first_affected", "known_affected", "last_affected"),
    "not affected": ("known_not_affected",),
    "fixed": ("first_fixed", "fixed"),
    "under investigation": ("under_investigation",),
}
_CVE = re.compile(r"^CVE-[0-9]{4}-[0-9]{4,}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def _products(tree: dict[str, Any]) -> list[dict[str, Any]]:
    """Every full_product_name of the tree: listed, in branches, in relationships."""
    out = list(tree.get("full_product_names", []))
    stack = list(tree.get("branches", []))
    while stack:
        branch = stack.pop()
        if "product" in branch:
            out.append(branch["product"])
        stack.extend(branch.get("branches", []))
    out.extend(
        r["full_product_name"] for r in tree.get("relationships", []) if "full_product_name" in r
    )
    return out


def csaf_vex_problems(doc: dict[str, Any]) -> list[str]:
    """Return what keeps ``doc`` from being a valid CSAF 2.0 document of its category, each
    problem starting with the CSAF test number or ``schema``."""
    problems: list[str] = []

    def need(ok: object, problem: str) -> None:
        if not ok:
            problems.append(problem)

    document = doc.get("document", {})
    for key in ("category", "csaf_version", "publisher", "title", "tracking"):
        need(key in document, f"schema: document.{key} is required")
    need(document.get("csaf_version") == "2.0", "schema: csaf_version must be 2.0")
    publisher = document.get("publisher", {})
    for key in ("category", "name", "namespace"):
        need(key in publisher, f"schema: document.publisher.{key} is required")
    need(publisher.get("category") in _PUBLISHER_CATEGORIES, "schema: publisher.category")
    for i, note in enumerate(document.get("notes", [])):
        need(note.get("category") in _NOTE_CATEGORIES and note.get("text"), f"schema: notes[{i}]")
    tracking = document.get("tracking", {})
    for key in ("current_release_date", "id", "initial_release_date", "revision_history"):
        need(key in tracking, f"schema: tracking.{key} is required")
    for key in ("status", "version"):
        need(key in tracking, f"schema: tracking.{key} is required")
    need(tracking.get("status") in ("draft", "final", "interim"), "schema: tracking.status")
    for key in ("current_release_date", "initial_release_date"):
        need(_DATE.match(str(tracking.get(key, ""))), f"schema: tracking.{key} is not a date-time")
    history = tracking.get("revision_history", [])
    need(history, "schema: revision_history needs an item")
    for i, item in enumerate(history):
        need({"date", "number", "summary"} <= set(item), f"schema: revision_history[{i}]")
    numbers = [str(item.get("number", "")) for item in history]
    if numbers and all(n.isdigit() for n in numbers):
        ordered = [int(str(h["number"])) for h in sorted(history, key=lambda h: h["date"])]
        need(
            ordered[0] in (0, 1)
            and sorted(ordered) == list(range(ordered[0], ordered[0] + len(ordered))),
            "6.1.21: missing item in revision history",
        )
        version = str(tracking.get("version", ""))
        need(
            version.isdigit() and int(version) == max(ordered), "6.1.16: latest revision != version"
        )

    category = document.get("category")
    profiled = category in ("csaf_security_advisory", "csaf_vex")
    tree = doc.get("product_tree")
    if profiled:
        need(tree is not None, "6.1.27.4: missing product_tree")
    if tree is not None:
        need(tree, "schema: product_tree needs at least one property")
    need(doc.get("vulnerabilities", [None]), "schema: vulnerabilities needs at least one item")
    tree = tree or {}
    products = _products(tree)
    for i, product in enumerate(products):
        need(product.get("name") and product.get("product_id"), f"schema: product {i}")
    defined = {p.get("product_id") for p in products}
    stack = list(tree.get("branches", []))
    while stack:
        branch = stack.pop()
        need(branch.get("category") in _BRANCH_CATEGORIES, "schema: branch category")
        need(branch.get("name"), "schema: branch name")
        need(
            ("product" in branch) != ("branches" in branch),
            "schema: branch needs one of product, branches",
        )
        stack.extend(branch.get("branches", []))
    for r in tree.get("relationships", []):
        need(r.get("category") in _RELATIONSHIP_CATEGORIES, "schema: relationship category")
        for key in ("product_reference", "relates_to_product_reference"):
            need(r.get(key) in defined, f"6.1.1: relationship {key} {r.get(key)!r} undefined")
    groups: dict[str, list[str]] = {}
    for g in tree.get("product_groups", []):
        groups[g["group_id"]] = g["product_ids"]
        for pid in g["product_ids"]:
            need(pid in defined, f"6.1.1: product id {pid!r} of group {g['group_id']} undefined")

    def ids_of(item: dict[str, Any], where: str) -> set[str]:
        out = set(item.get("product_ids", []))
        for gid in item.get("group_ids", []):
            need(gid in groups, f"6.1.4: {where} names undefined group {gid!r}")
            out.update(groups.get(gid, []))
        for pid in item.get("product_ids", []):
            need(pid in defined, f"6.1.1: {where} names undefined product {pid!r}")
        return out

    cves: list[str] = []
    for i, v in enumerate(doc.get("vulnerabilities", [])):
        at = f"vulnerabilities[{i}]"
        status = v.get("product_status", {})
        if profiled:
            need(v.get("notes"), f"6.1.27.5: {at} has no notes")
            need(status, f"6.1.27.6: {at} has no product_status")
        if category == "csaf_vex":
            need(
                any(
                    k in status
                    for k in (
                        "fixed",
                        "known_affected",
                        "known_not_affected",
                        "under_investigation",
                    )
                ),
                f"6.1.27.7: {at} has none of the VEX product status",
            )
            need("cve" in v or "ids" in v, f"6.1.27.8: {at} has neither cve nor ids")
        if "cve" in v:
            need(_CVE.match(v["cve"]), f"schema: {at}.cve")
            need(v["cve"] not in cves, f"6.1.23: {v['cve']} used twice")
            cves.append(v["cve"])
        for j, item in enumerate(v.get("ids", [])):
            need(item.get("system_name") and item.get("text"), f"schema: {at}.ids[{j}]")
        for j, note in enumerate(v.get("notes", [])):
            need(
                note.get("category") in _NOTE_CATEGORIES and note.get("text"),
                f"schema: {at}.notes[{j}]",
            )
        for cat, pids in status.items():
            need(pids, f"schema: {at}.product_status.{cat} is empty")
            for pid in pids:
                need(pid in defined, f"6.1.1: {at}.product_status.{cat} names undefined {pid!r}")
        group_of: dict[str, str] = {}
        for group, cats in _STATUS_GROUPS.items():
            for cat in cats:
                for pid in status.get(cat, []):
                    before = group_of.setdefault(pid, group)
                    need(before == group, f"6.1.6: {pid!r} is {before} and {group} in {at}")
        flagged: dict[str, int] = {}
        impact: set[str] = set()
        for j, flag in enumerate(v.get("flags", [])):
            need(flag.get("label") in _FLAG_LABELS, f"schema: {at}.flags[{j}].label")
            need(
                flag.get("product_ids") or flag.get("group_ids"),
                f"schema: {at}.flags[{j}] names no product",
            )
            for pid in ids_of(flag, f"{at}.flags[{j}]"):
                flagged[pid] = flagged.get(pid, 0) + 1
        for pid, count in flagged.items():
            need(count == 1, f"6.1.33: {pid!r} has {count} flags in {at}")
        for j, threat in enumerate(v.get("threats", [])):
            need(
                threat.get("category") in _THREAT_CATEGORIES and threat.get("details"),
                f"schema: {at}.threats[{j}]",
            )
            ids = ids_of(threat, f"{at}.threats[{j}]")
            if threat.get("category") == "impact":
                impact |= ids
        remedied: set[str] = set()
        for j, remedy in enumerate(v.get("remediations", [])):
            need(
                remedy.get("category") in _REMEDIATION_CATEGORIES and remedy.get("details"),
                f"schema: {at}.remediations[{j}]",
            )
            need(
                remedy.get("product_ids") or remedy.get("group_ids"),
                f"schema: {at}.remediations[{j}] names no product",
            )
            remedied |= ids_of(remedy, f"{at}.remediations[{j}]")
        if category == "csaf_vex":
            for pid in status.get("known_not_affected", []):
                need(
                    pid in flagged or pid in impact,
                    f"6.1.27.9: {pid!r} has no impact statement in {at}",
                )
            for pid in status.get("known_affected", []):
                need(pid in remedied, f"6.1.27.10: {pid!r} has no action statement in {at}")
    return problems


def _validator_cases() -> list[Any]:
    index = SHARED_DATA / VALIDATOR / "testcases.json"
    if not index.exists():
        return [pytest.param("-", "(absent)", False, id="shared-data-absent")]
    cases = []
    for test in orjson.loads(index.read_bytes())["tests"]:
        if test["id"] not in CHECKED_TESTS:
            continue
        for kind, fails in (("failures", True), ("valid", False)):
            for item in test.get(kind, []):
                if (SHARED_DATA / VALIDATOR / item["name"]).exists():
                    name = item["name"]
                    cases.append(
                        pytest.param(
                            test["id"], name, fails, id=f"{test['id']}:{Path(name).stem[-5:]}"
                        )
                    )
    return cases


@pytest.mark.shared
@pytest.mark.parametrize(("test_id", "name", "fails"), _validator_cases())
def test_the_checker_agrees_with_the_oasis_validator_tests(
    test_id: str, name: str, fails: bool
) -> None:
    doc = orjson.loads(shared_data(f"{VALIDATOR}/{name}").read_bytes())
    found = [p for p in csaf_vex_problems(doc) if p.startswith(f"{test_id}:")]
    if fails:
        assert found, f"{name} breaks {test_id}, but the checker found nothing"
    else:
        assert found == []


# --- reading --------------------------------------------------------------------------------------


def _names(folder: str) -> list[str]:
    path = SHARED_DATA / folder
    return sorted(p.name for p in path.glob("*.json")) if path.is_dir() else ["(absent)"]


@pytest.mark.shared
@pytest.mark.parametrize("name", _names(CSAF_VEX))
def test_every_oasis_csaf_vex_example_is_itself_valid(name: str) -> None:
    # the checker would otherwise be measuring our writer against rules real documents break
    doc = orjson.loads(shared_data(f"{CSAF_VEX}/{name}").read_bytes())
    assert csaf_vex_problems(doc) == []


def _fixture() -> VexDocument:
    return read_vex_file(FIXTURES / "vex" / "csaf-relationships.json")


def test_relationship_product_is_the_platform_with_the_component_inside() -> None:
    doc = _fixture()
    assert (doc.format, doc.id, doc.author) == (
        "csaf",
        "EXL-VEX-2024-0042",
        "Example Linux Security",
    )
    assert doc.version == 2  # semantic versioning: the number of revisions
    assert doc.timestamp == datetime(2024, 3, 5, 10, 0, tzinfo=UTC)
    openssl = doc.statements[0]
    assert openssl.vulnerability == "CVE-2023-5678"
    assert openssl.aliases == ("EXL-BZ-2248",)
    assert openssl.status is VexStatus.NOT_AFFECTED
    assert openssl.justification == "vulnerable_code_cannot_be_controlled_by_adversary"
    # a threat without product ids is about every product of the vulnerability
    assert openssl.impact_statement == "DH parameters come from trusted configuration only."
    assert openssl.timestamp == datetime(2024, 3, 1, 10, 0, tzinfo=UTC)  # the flag's date
    assert openssl.products == (
        VexProduct(
            ref="exl-9:openssl",
            cpe="cpe:/o:example:linux:9",
            name="Example Linux",
            version="9",
            subcomponents=(
                VexProduct(
                    ref="openssl-3.0.7-24.el9",
                    purl="pkg:rpm/example/openssl@3.0.7-24.el9?arch=x86_64",
                    name="openssl 3.0.7-24.el9",
                ),
            ),
        ),
    )


def test_groups_remediations_first_fixed_and_ids_only_vulnerabilities() -> None:
    affected, fixed = _fixture().statements[1:]
    # no cve: the first ids[].text names it
    assert affected.vulnerability == fixed.vulnerability == "EXL-2024-0007"
    assert affected.status is VexStatus.AFFECTED
    assert [p.ref for p in affected.products] == ["zlib-1.2.11-40.el9"]
    # vendor_fix through the group, mitigation directly
    assert affected.responses == ("update", "workaround_available")
    assert affected.action_statement == (
        "Update zlib to 1.2.11-41.el9.\n\nDo not inflate untrusted archives."
    )
    assert fixed.status is VexStatus.FIXED
    assert fixed.native_state == "first_fixed"
    assert [p.purl for p in fixed.products] == ["pkg:rpm/example/zlib@1.2.11-41.el9?arch=x86_64"]
    # "recommended" is advice, not a status: no third statement about zlib-41


def test_csaf_round_trip_of_the_fixture_is_exact() -> None:
    doc = _fixture()
    written = csaf_vex_document(doc)
    assert csaf_vex_problems(written) == []
    again = read_vex(orjson.dumps(written), "written.json")
    assert again.statements == doc.statements
    assert (again.id, again.version, again.timestamp) == (doc.id, doc.version, doc.timestamp)
    # the relationship keeps its product id; its platform and component are defined beside it
    (relationship,) = written["product_tree"]["relationships"]
    assert relationship["full_product_name"]["product_id"] == "exl-9:openssl"
    assert relationship["product_reference"] == "openssl-3.0.7-24.el9"
    first_fixed = written["vulnerabilities"][1]["product_status"]["first_fixed"]
    assert first_fixed == ["zlib-1.2.11-41.el9"]


def _minimal(**vulnerability: Any) -> dict[str, Any]:
    return {
        "document": {
            "category": "csaf_vex",
            "csaf_version": "2.0",
            "publisher": {"category": "vendor", "name": "X", "namespace": "https://x.example"},
            "title": "t",
            "tracking": {
                "current_release_date": "2024-01-01T00:00:00Z",
                "id": "X-1",
                "initial_release_date": "2024-01-01T00:00:00Z",
                "revision_history": [
                    {"date": "2024-01-01T00:00:00Z", "number": "1", "summary": "s"}
                ],
                "status": "final",
                "version": "1",
            },
        },
        "product_tree": {
            "full_product_names": [
                {"name": "A", "product_id": "A"},
                {"name": "B", "product_id": "B"},
            ]
        },
        "vulnerabilities": [{"cve": "CVE-2024-0001", **vulnerability}],
    }


@pytest.mark.parametrize(
    ("vulnerability", "location", "words"),
    [
        pytest.param(
            {"product_status": {"known_affected": ["A"], "fixed": ["A"]}},
            "$.vulnerabilities[0].product_status.fixed[0]",
            "6.1.6",
            id="contradicting-status",
        ),
        pytest.param(
            {"product_status": {"known_affected": ["C"]}},
            "$.vulnerabilities[0].product_status.known_affected[0]",
            "6.1.1",
            id="undefined-product",
        ),
        pytest.param(
            {
                "product_status": {"known_not_affected": ["A"]},
                "flags": [{"label": "not_reachable", "product_ids": ["A"]}],
            },
            "$.vulnerabilities[0].flags[0].label",
            "expected one of component_not_present",
            id="unknown-flag-label",
        ),
        pytest.param(
            {
                "product_status": {"known_affected": ["A"]},
                "remediations": [{"category": "pray", "details": "x", "product_ids": ["A"]}],
            },
            "$.vulnerabilities[0].remediations[0].category",
            "expected one of vendor_fix",
            id="unknown-remediation",
        ),
        pytest.param(
            {"product_status": {"maybe_affected": ["A"]}},
            "$.vulnerabilities[0].product_status.maybe_affected",
            "unknown product status category 'maybe_affected'",
            id="unknown-status-category",
        ),
        pytest.param(
            {
                "product_status": {"known_not_affected": ["A"]},
                "flags": [
                    {"label": "component_not_present", "product_ids": ["A"]},
                    {"label": "vulnerable_code_not_present", "product_ids": ["A"]},
                ],
            },
            "$.vulnerabilities[0].flags[1].label",
            "6.1.33",
            id="two-justifications",
        ),
        pytest.param(
            {"product_status": {"fixed": "A"}},
            "$.vulnerabilities[0].product_status.fixed",
            "expected an array, got 'A'",
            id="status-not-a-list",
        ),
    ],
)
def test_bad_csaf_is_refused_with_the_json_path(
    vulnerability: dict[str, Any], location: str, words: str
) -> None:
    with pytest.raises(VexError) as caught:
        parse_csaf_vex(_minimal(**vulnerability), source="bad.json")
    assert not isinstance(caught.value, AdvisoryError)
    assert caught.value.source == "bad.json"
    assert caught.value.location == location
    assert words in caught.value.message


def test_a_vulnerability_without_name_is_refused() -> None:
    doc = _minimal(product_status={"fixed": ["A"]})
    del doc["vulnerabilities"][0]["cve"]
    with pytest.raises(VexError, match=r"6\.1\.27\.8"):
        parse_csaf_vex(doc, source="bad.json")


def test_an_informational_advisory_is_refused() -> None:
    doc = _minimal(product_status={"fixed": ["A"]})
    doc["document"]["category"] = "csaf_informational_advisory"
    with pytest.raises(VexError, match="carries no product status") as caught:
        parse_csaf_vex(doc, source="bad.json")
    assert caught.value.location == "$.document.category"


def test_a_security_advisory_is_read_for_its_product_status() -> None:
    doc = _minimal(product_status={"known_affected": ["A"], "fixed": ["B"]})
    doc["document"]["category"] = "csaf_security_advisory"
    statements = parse_csaf_vex(doc, source="advisory.json").statements
    assert [(s.status, [p.ref for p in s.products]) for s in statements] == [
        (VexStatus.AFFECTED, ["A"]),
        (VexStatus.FIXED, ["B"]),
    ]


@pytest.mark.shared
@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("mandatory/oasis_csaf_tc-csaf_2_0-2021-6-1-01-01.json", "6.1.1"),
        ("mandatory/oasis_csaf_tc-csaf_2_0-2021-6-1-06-01.json", "6.1.6"),
        ("mandatory/oasis_csaf_tc-csaf_2_0-2021-6-1-27-08-01.json", "6.1.27.8"),
        ("mandatory/oasis_csaf_tc-csaf_2_0-2021-6-1-33-01.json", "6.1.33"),
    ],
)
def test_the_reader_refuses_validator_failures_that_would_make_statements_wrong(
    name: str, words: str
) -> None:
    path = shared_data(f"{VALIDATOR}/{name}")
    with pytest.raises(VexError, match=re.escape(words)) as caught:
        read_vex_file(path)
    assert caught.value.source == str(path)


# --- writing --------------------------------------------------------------------------------------

_T = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


def _doc(*statements: VexStatement, version: int = 1, fmt: str = "openvex") -> VexDocument:
    return VexDocument(fmt, "urn:example:vex", "Example PSIRT", _T, version, statements)


def test_a_later_statement_about_the_same_product_wins() -> None:
    app = VexProduct("pkg:npm/app@1.0.0", purl="pkg:npm/app@1.0.0")
    other = VexProduct("pkg:npm/other@2.0.0", purl="pkg:npm/other@2.0.0")
    written = csaf_vex_document(
        _doc(
            VexStatement("CVE-2024-0001", VexStatus.UNDER_INVESTIGATION, (app, other)),
            VexStatement(
                "CVE-2024-0001",
                VexStatus.NOT_AFFECTED,
                (app,),
                justification="component_not_present",
            ),
        )
    )
    assert csaf_vex_problems(written) == []
    (vulnerability,) = written["vulnerabilities"]
    assert vulnerability["product_status"] == {
        "under_investigation": ["CSAFPID-0002"],
        "known_not_affected": ["CSAFPID-0001"],
    }
    assert vulnerability["flags"] == [
        {"label": "component_not_present", "product_ids": ["CSAFPID-0001"]}
    ]


def test_statements_without_products_cannot_be_written() -> None:
    with pytest.raises(VexError, match="CVE-2024-0001 name no product"):
        csaf_vex_document(_doc(VexStatement("CVE-2024-0001", VexStatus.FIXED, ())))


def test_revision_history_has_no_gaps_up_to_the_version() -> None:
    app = VexProduct("pkg:npm/app@1.0.0", purl="pkg:npm/app@1.0.0")
    written = csaf_vex_document(
        _doc(VexStatement("CVE-2024-0001", VexStatus.FIXED, (app,)), version=3),
        tracking_id="EX-2024-1",
        publisher_name="Example PSIRT",
        publisher_namespace="https://psirt.example.com",
    )
    tracking = written["document"]["tracking"]
    assert tracking["id"] == "EX-2024-1"
    assert tracking["version"] == "3"
    assert [r["number"] for r in tracking["revision_history"]] == ["1", "2", "3"]
    assert written["document"]["publisher"]["namespace"] == "https://psirt.example.com"
    assert csaf_vex_problems(written) == []


def test_non_cve_names_go_to_ids_and_versions_to_branches() -> None:
    product = VexProduct(
        "product-ABC",
        name="ABC",
        versions=(
            VexVersion(version="2.4", status="affected"),
            VexVersion(range="vers:generic/>=2.9|<=4.1"),
        ),
    )
    written = csaf_vex_document(
        _doc(
            VexStatement(
                "GHSA-aaaa-bbbb-cccc",
                VexStatus.AFFECTED,
                (product,),
                aliases=("CVE-2024-0002",),
                responses=("will_not_fix", "update"),
                detail="Upgrade to 4.2.",
            )
        )
    )
    assert csaf_vex_problems(written) == []
    (vulnerability,) = written["vulnerabilities"]
    assert "cve" not in vulnerability  # the name is the GHSA; the CVE alias is one more id
    assert vulnerability["ids"] == [
        {"system_name": "GHSA", "text": "GHSA-aaaa-bbbb-cccc"},
        {"system_name": "CVE", "text": "CVE-2024-0002"},
    ]
    # will_not_fix + update: "not in this version, update": vendor_fix alone
    assert vulnerability["remediations"] == [
        {
            "category": "vendor_fix",
            "details": "Upgrade to 4.2.",
            "product_ids": ["CSAFPID-0001", "CSAFPID-0002"],
        }
    ]
    (abc,) = written["product_tree"]["branches"]
    assert [(b["category"], b["name"]) for b in abc["branches"]] == [
        ("product_version", "2.4"),
        ("product_version_range", "vers:generic/>=2.9|<=4.1"),
    ]
    again = read_vex(orjson.dumps(written), "w.json").statements[0]
    assert again.vulnerability == "GHSA-aaaa-bbbb-cccc"
    assert again.aliases == ("CVE-2024-0002",)
    assert [(p.name, p.version, p.versions) for p in again.products] == [
        ("ABC", "2.4", ()),
        ("ABC", "", (VexVersion(range="vers:generic/>=2.9|<=4.1"),)),
    ]


def test_not_affected_without_reason_still_satisfies_the_profile() -> None:
    app = VexProduct("pkg:npm/app@1.0.0", purl="pkg:npm/app@1.0.0")
    written = csaf_vex_document(
        _doc(
            VexStatement("CVE-2024-0001", VexStatus.NOT_AFFECTED, (app,)),
            VexStatement("CVE-2024-0002", VexStatus.AFFECTED, (app,)),
        )
    )
    assert csaf_vex_problems(written) == []
    broken = copy.deepcopy(written)
    del broken["vulnerabilities"][0]["threats"]
    assert csaf_vex_problems(broken) == [
        "6.1.27.9: 'CSAFPID-0001' has no impact statement in vulnerabilities[0]"
    ]


@pytest.mark.shared
@pytest.mark.parametrize(
    "name",
    [f"vex/cyclonedx/{n}" for n in _names("vex/cyclonedx")]
    + [f"{CSAF_VEX}/{n}" for n in _names(CSAF_VEX)],
)
def test_every_real_document_written_as_csaf_satisfies_the_vex_profile(name: str) -> None:
    doc = read_vex_file(shared_data(name))
    if not doc.statements or any(not s.products for s in doc.statements):
        # a BOM without analysis, CISA's "no product in particular": CSAF has no way to say it
        with pytest.raises(VexError):
            csaf_vex_document(doc)
        return
    assert csaf_vex_problems(csaf_vex_document(doc)) == []


def test_openvex_fixture_written_as_csaf_satisfies_the_vex_profile() -> None:
    doc = read_vex_file(FIXTURES / "vex" / "openvex-example.json")
    written = csaf_vex_document(doc)
    assert csaf_vex_problems(written) == []
    # and back to OpenVEX: what both formats carry survives
    back = read_vex(orjson.dumps(written), "w.json")
    assert openvex_document(back)["statements"][0]["products"][0]["subcomponents"] == [
        {"@id": "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"}
    ]
