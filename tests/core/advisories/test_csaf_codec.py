"""The CSAF codec on real documents (CISA ICS, OASIS examples) and on broken ones."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from support import FIXTURES, shared_data
from vulndesk.core.advisories.csaf import (
    csaf_document_id,
    parse_csaf,
    read_csaf,
    version_range_entries,
)
from vulndesk.core.advisories.model import (
    Advisory,
    ExploitEvidence,
    LocalizedText,
    Severity,
    VersionEntry,
)
from vulndesk.core.advisories.sources import RecordProblem
from vulndesk.core.errors import AdvisoryError

pytestmark = pytest.mark.shared


def load(relative: str) -> Any:
    return orjson.loads(shared_data(relative).read_bytes())


def by_id(advisories: tuple[Advisory, ...]) -> dict[str, Advisory]:
    return {a.id: a for a in advisories}


# --- every real document --------------------------------------------------------------------------


def test_every_cisa_ot_document_parses() -> None:
    folder = shared_data("csaf/cisa-ot")
    items = list(read_csaf(folder, display="cisa-ot"))
    advisories = [i for i in items if isinstance(i, Advisory)]
    problems = [i for i in items if isinstance(i, RecordProblem)]
    # the provider's ROLIE feed lies in the same folder: recognised, not parsed as CSAF
    assert [(p.location, p.kind) for p in problems] == [
        ("cisa-ot/cisa-csaf-ot-feed-tlp-white.json", "ignored")
    ]
    documents = {csaf_document_id(a) for a in advisories}
    assert len(documents) == 385
    assert len(advisories) == 1235  # one per (document, vulnerability)
    assert len({a.id for a in advisories}) == len(advisories)
    for advisory in advisories:
        assert advisory.source == "csaf"
        assert advisory.id.startswith(csaf_document_id(advisory) + ":")
        assert advisory.products, advisory.id
        assert advisory.aliases and advisory.aliases[0].startswith("CVE-")
        assert all(s.source == "CISA" for s in advisory.severity)


def test_mitsubishi_melsec_products_versions_and_rating() -> None:
    advisories = by_id(parse_csaf(load("csaf/cisa-ot/2022/icsa-22-356-03.json"), source="x"))
    advisory = advisories["ICSA-22-356-03:CVE-2022-33324"]
    assert len(advisories) == 1
    assert advisory.aliases == ("CVE-2022-33324",)
    assert advisory.modified == datetime(2024, 9, 5, 6, tzinfo=UTC)
    assert advisory.published is not None and advisory.published.year == 2022
    assert advisory.titles == (
        LocalizedText(
            "en-US", "Mitsubishi Electric MELSEC iQ-R, iQ-L Series and MELIPC Series (Update E)"
        ),
    )
    assert advisory.cwes == ("CWE-404",)
    assert advisory.severity == (
        Severity("CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", "CISA"),
    )
    assert advisory.details is not None and "denial-of-service" in advisory.details
    products = {p.product_id: p for p in advisory.products}
    assert len(products) == 22
    r00 = products["CSAFPID-0001"]
    assert (r00.vendor, r00.product) == ("Mitsubishi Electric", "MELSEC iQ-R Series R00CPU")
    assert r00.versions == (VersionEntry("0", "affected", less_than_or_equal="firmware_32"),)
    assert r00.default_status == "unknown"  # versions above firmware 32 are not described
    r04 = products["CSAFPID-0004"]
    assert r04.product == "MELSEC iQ-R Series R04(EN)CPU"
    assert r04.versions[0].less_than_or_equal == "firmware_65"
    assert all(p.vendor == "Mitsubishi Electric" for p in products.values())
    assert advisory.database_specific["csaf"]["document"] == "ICSA-22-356-03"


def test_melsec_is_found_across_the_cisa_data() -> None:
    melsec = [
        a
        for a in read_csaf(shared_data("csaf/cisa-ot/2022"))
        if isinstance(a, Advisory) and any("MELSEC" in p.product for p in a.products)
    ]
    assert {csaf_document_id(a) for a in melsec} >= {"ICSA-22-356-03", "ICSA-22-172-01"}


def test_one_advisory_per_vulnerability_with_its_own_products() -> None:
    advisories = parse_csaf(load("csaf/cisa-ot/2022/icsa-22-069-04.json"), source="x")
    assert [a.id for a in advisories] == [
        "ICSA-22-069-04:CVE-2022-26313",
        "ICSA-22-069-04:CVE-2022-26314",
    ]
    first, second = advisories
    assert len(first.products) == 1 and len(second.products) == 2
    assert first.aliases == ("CVE-2022-26313",)  # the other CVE is not an alias
    assert "ICSA-22-069-04" not in first.aliases + second.aliases


# --- the OASIS examples ---------------------------------------------------------------------------


def test_bsi_example_fixed_versions_cpes_and_ids() -> None:
    (advisory,) = parse_csaf(load("csaf/oasis-examples/csaf/bsi-2022-0001.json"), source="x")
    assert advisory.id == "BSI-2022-0001:CVE-2022-27193"
    assert advisory.aliases == ("CVE-2022-27193", "csaf-tools/CVRF-CSAF-Converter#78")
    products = {p.product_id: p for p in advisory.products}
    rc1, rc2 = products["CSAFPID-0005"], products["CSAFPID-0006"]
    assert (rc1.vendor, rc1.product) == ("CSAF Tools", "CVRF-CSAF-Converter")
    assert rc1.versions == (VersionEntry("1.0.0-rc1", "affected"),)
    assert rc1.cpes == ("cpe:/a:csaf-tools:cvrf-csaf-converter:1.0.0-rc1",)
    # fixed and first_fixed: the fixed version, unaffected; the categories stay findable
    assert rc2.versions == (VersionEntry("1.0.0-rc2", "unaffected"),)
    raw = advisory.database_specific["csaf"]["product_status"]
    assert sorted(raw["CSAFPID-0006"]) == ["first_fixed", "fixed"]


def test_cisco_example_service_packs_are_the_versions() -> None:
    (advisory,) = parse_csaf(
        load("csaf/oasis-examples/csaf/cisco-sa-20180328-smi2.json"), source="x"
    )
    assert advisory.aliases == ("CVE-2018-0171", "CSCvg76186")
    products = {p.product_id: p for p in advisory.products}
    assert len(products) == 259
    ios = products["CVRFPID-103763"]
    assert (ios.vendor, ios.product) == ("Cisco", "IOS")
    assert ios.versions == (VersionEntry("12.2(55)SE", "affected"),)


def test_vex_example_vers_range() -> None:
    (advisory,) = parse_csaf(
        load("csaf/oasis-examples/csaf/csaf_vex/2022-evd-uc-04-001.json"), source="x"
    )
    products = {p.product_id: p for p in advisory.products}
    assert products["CSAFPID-0004"].versions == (
        VersionEntry("2.9", "affected", less_than_or_equal="4.1"),
    )
    assert products["CSAFPID-0002"].versions == (VersionEntry("2.4", "affected"),)


def test_red_hat_relationships_and_products_without_versions() -> None:
    advisories = parse_csaf(load("csaf/oasis-examples/csaf/rhsa-2021_5186.json"), source="x")
    statements = [p for a in advisories for p in a.products]
    component = next(
        p for p in statements if p.product_id and p.product_id.startswith("8Base-RHOSE-4.6:")
    )
    assert component.platforms and component.platforms[0].startswith("default_component_of:")
    assert "OpenShift Container Platform 4.6" in component.platforms[0]
    (sso,) = parse_csaf(load("csaf/oasis-examples/csaf/rhsa-2021_5217.json"), source="x")
    (product,) = sso.products
    # a product named without a version: the statement covers every version of it
    assert (product.vendor, product.product, product.versions) == (
        "Red Hat",
        "Red Hat Single Sign-On",
        (),
    )
    assert product.default_status == "unaffected"  # "fixed"


def test_oasis_examples_directory() -> None:
    items = list(read_csaf(shared_data("csaf/oasis-examples"), display="oasis"))
    problems = {p.location: p for p in items if isinstance(p, RecordProblem)}
    assert all(p.kind == "ignored" for p in problems.values()), problems
    assert "no vulnerabilities" in problems["oasis/csaf/rhsa-2019_1862.json"].message
    assert "ROLIE feed" in problems["oasis/ROLIE/example-01-feed-tlp-white.json"].message
    assert "provider metadata" in (
        problems["oasis/provider-metadata/example-01-provider-metadata.json"].message
    )
    assert sum(isinstance(i, Advisory) for i in items) > 20


# --- version ranges -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("vers:all/*", [VersionEntry("0", "affected", less_than="*")]),
        ("vers:generic/<=57", [VersionEntry("0", "affected", less_than_or_equal="57")]),
        ("vers:all/<V4.4", [VersionEntry("0", "affected", less_than="V4.4")]),
        ("vers:all/>=2.3<V3.0", [VersionEntry("2.3", "affected", less_than="V3.0")]),
        ("vers:all/>=V5.1.1", [VersionEntry("V5.1.1", "affected", less_than="*")]),
        (
            "vers:semver/>=1.0.0|<1.4.2|>=2.0.0|<2.1.0",
            [
                VersionEntry("1.0.0", "affected", "semver", less_than="1.4.2"),
                VersionEntry("2.0.0", "affected", "semver", less_than="2.1.0"),
            ],
        ),
        ("<=V2.1", [VersionEntry("0", "affected", less_than_or_equal="V2.1")]),
        ("< V17 Update 5", [VersionEntry("0", "affected", less_than="V17 Update 5")]),
        ("All versions < V1.0 SP2", [VersionEntry("0", "affected", less_than="V1.0 SP2")]),
        (">= V6.2 < V7.1", [VersionEntry("V6.2", "affected", less_than="V7.1")]),
        (">= 1.3 | <= 3.1", [VersionEntry("1.3", "affected", less_than_or_equal="3.1")]),
        (
            "<=8.1 | >= 8.1.10",
            [
                VersionEntry("0", "affected", less_than_or_equal="8.1"),
                VersionEntry("8.1.10", "affected", less_than="*"),
            ],
        ),
        (
            "5.5.10.30 | 5.5.10.32",
            [VersionEntry("5.5.10.30", "affected"), VersionEntry("5.5.10.32", "affected")],
        ),
        ("All versions", [VersionEntry("0", "affected", less_than="*")]),
        # not expressible: kept as written, status unknown
        ("> 8.0.4", [VersionEntry("> 8.0.4", "unknown")]),
        ("vers:generic/!=2.0", [VersionEntry("vers:generic/!=2.0", "unknown")]),
        (
            "< V10.3.3.3 only if web components are used",
            [VersionEntry("< V10.3.3.3 only if web components are used", "unknown")],
        ),
        ("All versions with Ethernet interface", None),
        ("<=with_the_first_5_digits_of_serial_number_24061", None),
        ("< 1.49 (1.29 for NX7)", None),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_version_range_entries(text: str, expected: list[VersionEntry] | None) -> None:
    if expected is None:
        expected = [VersionEntry(text, "unknown")]
    assert list(version_range_entries(text, "affected")) == expected


# --- hand-made documents and bad input ------------------------------------------------------------


def minimal(**vulnerability: Any) -> dict[str, Any]:
    return {
        "document": {
            "category": "csaf_security_advisory",
            "csaf_version": "2.0",
            "publisher": {"category": "vendor", "name": "Example", "namespace": "https://e.x"},
            "title": "Example advisory",
            "tracking": {
                "id": "EX-2024-1",
                "current_release_date": "2024-02-01T00:00:00Z",
                "initial_release_date": "2024-01-01T00:00:00Z",
                "status": "final",
                "version": "2",
            },
        },
        "product_tree": {
            "branches": [
                {
                    "category": "vendor",
                    "name": "Example",
                    "branches": [
                        {
                            "category": "product_name",
                            "name": "PLC",
                            "branches": [
                                {
                                    "category": "product_version_range",
                                    "name": "vers:generic/<=57",
                                    "product": {
                                        "name": "Example PLC <=57",
                                        "product_id": "P1",
                                        "product_identification_helper": {
                                            "model_numbers": ["PLC-1*"],
                                            "skus": ["SKU-9"],
                                            "purl": "pkg:generic/example/plc",
                                            "hashes": [
                                                {
                                                    "filename": "fw.bin",
                                                    "file_hashes": [
                                                        {"algorithm": "SHA256", "value": "AB12"}
                                                    ],
                                                }
                                            ],
                                        },
                                    },
                                },
                                {
                                    "category": "product_version",
                                    "name": "58",
                                    "product": {"name": "Example PLC 58", "product_id": "P2"},
                                },
                            ],
                        }
                    ],
                }
            ]
        },
        "vulnerabilities": [
            {
                "cve": "CVE-2024-0001",
                "product_status": {"known_affected": ["P1"], "fixed": ["P2"]},
                **vulnerability,
            }
        ],
    }


def test_hand_made_document_every_field() -> None:
    doc = minimal(
        scores=[
            {"cvss_v2": {"vectorString": "AV:N/AC:L/Au:N/C:P/I:P/A:P"}, "products": ["P1"]},
            {"cvss_v3": {"vectorString": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}},
        ],
        threats=[
            {"category": "impact", "details": "High"},
            {
                "category": "exploit_status",
                "details": "Exploited in the wild",
                "date": "2024-01-15T00:00:00Z",
            },
        ],
        cwe={"id": "CWE-79", "name": "XSS"},
        title="Cross-site scripting",
        notes=[{"category": "description", "text": "Details here."}],
        remediations=[{"category": "vendor_fix", "details": "update", "url": "https://e.x/fix"}],
    )
    (advisory,) = parse_csaf(doc, source="x")
    assert advisory.summary == "Cross-site scripting"
    assert advisory.details == "Details here."
    assert advisory.titles == (LocalizedText("und", "Example advisory"),)
    assert [s.type for s in advisory.severity] == ["CVSS_V2", "CVSS_V3"]
    assert advisory.exploitation == (
        ExploitEvidence(
            "csaf-threat",
            "Example",
            datetime(2024, 1, 15, tzinfo=UTC),
            "Exploited in the wild",
        ),
    )
    assert ("FIX", "https://e.x/fix") in [(r.type, r.url) for r in advisory.references]
    p1, p2 = advisory.products
    assert p1.versions == (VersionEntry("0", "affected", less_than_or_equal="57"),)
    assert (p1.model_numbers, p1.skus, p1.purls) == (
        ("PLC-1*",),
        ("SKU-9",),
        ("pkg:generic/example/plc",),
    )
    assert p1.hashes == ("sha256:ab12",)
    assert p2.versions == (VersionEntry("58", "unaffected"),)


def test_vulnerability_without_cve_uses_ids_then_index() -> None:
    doc = minimal()
    del doc["vulnerabilities"][0]["cve"]
    second = copy.deepcopy(doc["vulnerabilities"][0])
    doc["vulnerabilities"][0]["ids"] = [{"system_name": "Example", "text": "EX-BUG-7"}]
    doc["vulnerabilities"].append(second)
    assert [a.id for a in parse_csaf(doc, source="x")] == ["EX-2024-1:EX-BUG-7", "EX-2024-1:1"]


def test_csaf_document_id() -> None:
    doc = minimal()
    assert csaf_document_id(doc) == "EX-2024-1"
    (advisory,) = parse_csaf(doc, source="x")
    assert csaf_document_id(advisory) == "EX-2024-1"
    with pytest.raises(AdvisoryError, match=r"\$\.document"):
        csaf_document_id({"feed": {}})


def broken(mutate: Any) -> dict[str, Any]:
    doc = minimal()
    mutate(doc)
    return doc


@pytest.mark.parametrize(
    ("name", "mutate", "path", "message"),
    [
        ("not an object", lambda d: d.clear(), "$.document", "expected an object"),
        (
            "missing tracking id",
            lambda d: d["document"]["tracking"].pop("id"),
            "$.document.tracking",
            "missing required field 'id'",
        ),
        (
            "bad date",
            lambda d: d["document"]["tracking"].update(current_release_date="yesterday"),
            "$.document.tracking.current_release_date",
            "RFC 3339",
        ),
        (
            "branch without name",
            lambda d: d["product_tree"]["branches"][0]["branches"][0].pop("name"),
            "$.product_tree.branches[0].branches[0]",
            "missing required field 'name'",
        ),
        (
            "undefined product id",
            lambda d: d["vulnerabilities"][0]["product_status"]["fixed"].append("P9"),
            "$.vulnerabilities[0].product_status.fixed[1]",
            "'P9' is not defined",
        ),
        (
            "contradicting status",
            lambda d: d["vulnerabilities"][0]["product_status"].update(known_not_affected=["P1"]),
            "$.vulnerabilities[0].product_status.known_not_affected[0]",
            "contradicting",
        ),
        (
            "unknown status",
            lambda d: d["vulnerabilities"][0]["product_status"].update(maybe=["P1"]),
            "$.vulnerabilities[0].product_status.maybe",
            "unknown product status category",
        ),
        (
            "duplicate cve",
            lambda d: d["vulnerabilities"].append(copy.deepcopy(d["vulnerabilities"][0])),
            "$.vulnerabilities[1].cve",
            "6.1.23",
        ),
        (
            "score vector type",
            lambda d: d["vulnerabilities"][0].update(scores=[{"cvss_v3": {"vectorString": 3}}]),
            "$.vulnerabilities[0].scores[0].cvss_v3.vectorString",
            "expected a non-empty string, got 3",
        ),
        (
            "model numbers type",
            lambda d: d["product_tree"]["branches"][0]["branches"][0]["branches"][0]["product"][
                "product_identification_helper"
            ].update(model_numbers="PLC"),
            "$.product_tree.branches[0].branches[0].branches[0].product"
            ".product_identification_helper.model_numbers",
            "expected an array",
        ),
    ],
    ids=lambda v: v if isinstance(v, str) and " " in v else None,
)
def test_bad_input_names_the_json_path(name: str, mutate: Any, path: str, message: str) -> None:
    with pytest.raises(AdvisoryError) as raised:
        parse_csaf(broken(mutate), source="bad.json")
    assert raised.value.source == "bad.json"
    assert raised.value.location == path
    assert message in raised.value.message


def test_reader_reports_bad_documents_and_goes_on(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_bytes(orjson.dumps(minimal()))
    (tmp_path / "b.json").write_bytes(b"{not json")
    bad = minimal()
    bad["vulnerabilities"][0]["product_status"]["fixed"] = ["P9"]
    (tmp_path / "c.json").write_bytes(orjson.dumps(bad))
    empty = minimal()
    del empty["vulnerabilities"]
    (tmp_path / "d.json").write_bytes(orjson.dumps(empty))
    items = list(read_csaf(tmp_path, display="in"))
    assert [a.id for a in items if isinstance(a, Advisory)] == ["EX-2024-1:CVE-2024-0001"]
    problems = [(p.location, p.kind, p.message) for p in items if isinstance(p, RecordProblem)]
    assert [p[:2] for p in problems] == [
        ("in/b.json", "invalid"),
        ("in/c.json", "invalid"),
        ("in/d.json", "ignored"),
    ]
    assert problems[0][2].startswith("not valid JSON")
    assert problems[1][2].startswith("$.vulnerabilities[0].product_status.fixed[0]: ")


def test_csaf_2_1_metrics_are_read_like_scores() -> None:
    v3 = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
    v4 = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"
    doc = minimal(
        metrics=[
            {"content": {"cvss_v3": {"vectorString": v3}}, "products": ["P1"]},
            {"content": {"cvss_v4": {"vectorString": v4}, "epss": {}}, "products": ["P1"]},
        ]
    )
    (advisory,) = parse_csaf(doc, source="x")
    assert advisory.severity == (
        Severity("CVSS_V3", v3, "Example"),
        Severity("CVSS_V4", v4, "Example"),
    )


# --- JVN iPedia documents: the tracking id is a vulnerability id ----------------------------------

JVN_CSAF = FIXTURES / "feeds" / "online" / "myjvn-csaf-JVNDB-2026-012345-ja.json"


def test_a_jvn_document_with_one_vulnerability_is_named_by_its_jvndb_id() -> None:
    doc = orjson.loads(JVN_CSAF.read_bytes())
    (advisory,) = parse_csaf(doc, source="jvn.json")
    assert (advisory.id, advisory.source) == ("JVNDB-2026-012345", "csaf")
    assert advisory.aliases == ("CVE-2026-10001",)
    assert csaf_document_id(advisory) == "JVNDB-2026-012345"
    assert advisory.severity[0].source == "IPA"  # the publisher rates, in the CSAF format
    doc["vulnerabilities"][0]["cve"] = ""  # what JVN writes when there is no CVE
    (without_cve,) = parse_csaf(doc, source="jvn.json")
    assert (without_cve.id, without_cve.aliases) == ("JVNDB-2026-012345", ())


def test_a_jvn_document_with_several_vulnerabilities_keeps_them_apart() -> None:
    doc = orjson.loads(JVN_CSAF.read_bytes())
    second = copy.deepcopy(doc["vulnerabilities"][0]) | {"cve": "CVE-2026-10009"}
    doc["vulnerabilities"].append(second)
    assert [a.id for a in parse_csaf(doc, source="jvn.json")] == [
        "JVNDB-2026-012345:CVE-2026-10001",
        "JVNDB-2026-012345:CVE-2026-10009",
    ]


def test_a_jvn_csaf_file_imports_as_csaf(tmp_path: Path) -> None:
    # offline import: a CSAF file from JVN is read like any other CSAF file
    folder = tmp_path / "jvn"
    folder.mkdir()
    for lang in ("ja", "en"):
        name = f"myjvn-csaf-JVNDB-2026-012345-{lang}.json"
        (folder / name).write_bytes((JVN_CSAF.parent / name).read_bytes())
    records = list(read_csaf(folder))
    assert [(a.id, a.titles[0].lang) for a in records if isinstance(a, Advisory)] == [
        ("JVNDB-2026-012345", "en"),
        ("JVNDB-2026-012345", "ja"),
    ]
