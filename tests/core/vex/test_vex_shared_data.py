"""Every real VEX document in the shared data: read, written back, read again.

CycloneDX: CISA's and CycloneDX's VEX use cases (standalone VEX with bom-refs or BOM-Links, and
the BOMs they link to). CSAF: the OASIS csaf_vex examples.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import orjson
import pytest

from support import SHARED_DATA, shared_data
from vulndesk.core.vex import (
    VexDocument,
    VexProduct,
    VexStatus,
    VexVersion,
    csaf_vex_document,
    cyclonedx_vex_document,
    read_vex,
    read_vex_file,
)
from vulndesk.core.vex.cyclonedx import parse_bom_link

pytestmark = pytest.mark.shared

CYCLONEDX = "vex/cyclonedx"
CSAF_VEX = "csaf/oasis-examples/csaf/csaf_vex"


def _names(folder: str) -> list[str]:
    path = SHARED_DATA / folder
    # absent: one case, which shared_data() skips with the reason
    return sorted(p.name for p in path.glob("*.json")) if path.is_dir() else ["(absent)"]


def cdx(name: str) -> VexDocument:
    return read_vex_file(shared_data(f"{CYCLONEDX}/{name}"))


def csaf(name: str) -> VexDocument:
    return read_vex_file(shared_data(f"{CSAF_VEX}/{name}"))


def again(written: dict[str, object]) -> VexDocument:
    return read_vex(orjson.dumps(written), "written.json")


# --- every file -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", _names(CYCLONEDX))
def test_every_cyclonedx_file_reads(name: str) -> None:
    doc = cdx(name)
    assert doc.format == "cyclonedx"
    if "bom" in name:  # the BOMs the VEX documents link to: no analysed vulnerabilities
        assert doc.statements == ()
        assert doc.id.startswith("urn:uuid:")
    else:
        assert doc.statements
    for s in doc.statements:
        assert s.vulnerability.startswith("CVE-")
        assert isinstance(s.status, VexStatus)


@pytest.mark.parametrize("name", _names(CYCLONEDX))
def test_cyclonedx_round_trip_keeps_every_statement(name: str) -> None:
    doc = cdx(name)
    back = again(cyclonedx_vex_document(doc))
    assert back.statements == doc.statements
    assert (back.id, back.version, back.timestamp, back.author, back.bom_link) == (
        doc.id,
        doc.version,
        doc.timestamp,
        doc.author,
        doc.bom_link,
    )


@pytest.mark.parametrize("name", _names(CSAF_VEX))
def test_every_csaf_vex_example_reads(name: str) -> None:
    doc = csaf(name)
    assert doc.format == "csaf"
    assert doc.author == "Example Company ProductCERT" or name.startswith("sec-")
    assert doc.statements
    for s in doc.statements:
        assert s.products
        assert all(p.ref.startswith("CSAFPID-") for p in s.products)


@pytest.mark.parametrize("name", _names(CSAF_VEX))
def test_csaf_round_trip_keeps_every_statement(name: str) -> None:
    doc = csaf(name)
    back = again(csaf_vex_document(doc))
    assert back.statements == doc.statements
    assert (back.id, back.version, back.timestamp) == (doc.id, doc.version, doc.timestamp)


@pytest.mark.parametrize("name", _names(CSAF_VEX))
def test_csaf_through_cyclonedx_keeps_status_justification_and_products(name: str) -> None:
    # product ids are CSAF's own; through CycloneDX they are renumbered, so compare what the
    # products are (name, version, range) rather than their ids
    doc = csaf(name)
    back = again(csaf_vex_document(again(cyclonedx_vex_document(doc))))

    def facts(d: VexDocument) -> Counter[tuple[object, ...]]:
        return Counter(
            (
                s.vulnerability,
                s.status,
                s.justification,
                s.impact_statement,
                p.name,
                p.version,
                p.versions,
            )
            for s in d.statements
            for p in s.products
        )

    assert facts(back) == facts(doc)


# --- facts pinned from the files ------------------------------------------------------------------


def test_cisa_case_1_not_affected() -> None:
    (s,) = cdx("CISA-Use-Cases__Case-1__vex-not_affected.json").statements
    assert s.vulnerability == "CVE-2021-44228"
    assert s.status is VexStatus.NOT_AFFECTED
    # code_not_present is the first CycloneDX word of its row: no native word needed
    assert (s.justification, s.native_state) == ("vulnerable_code_not_present", "")
    assert s.responses == ("will_not_fix",)
    assert s.detail.endswith("Class with vulnerable code was removed before shipping.")
    # the bom-ref resolves to the document's metadata.component
    assert s.products == (VexProduct("product-ABC", name="ABC", version="4.2"),)


@pytest.mark.parametrize(
    ("name", "status", "responses"),
    [
        ("affected", VexStatus.AFFECTED, ("will_not_fix", "update")),
        ("fixed", VexStatus.FIXED, ()),
        ("under_investigation", VexStatus.UNDER_INVESTIGATION, ()),
    ],
)
def test_cisa_case_1_other_states(name: str, status: VexStatus, responses: tuple[str, ...]) -> None:
    doc = cdx(f"CISA-Use-Cases__Case-1__vex-{name}.json")
    (s,) = doc.statements
    assert (s.status, s.responses, s.justification) == (status, responses, None)
    assert doc.timestamp == datetime(2022, 3, 3, tzinfo=UTC)


def test_cisa_case_7_links_into_two_boms_with_version_lists() -> None:
    doc = cdx("CISA-Use-Cases__Case-7__vex.json")
    bom_abc = cdx("CISA-Use-Cases__Case-7__bom-1.json")
    assert doc.bom_link == ""  # two BOMs: no single one
    exploitable = doc.statements[0]
    abc, jkl = exploitable.products
    link = parse_bom_link(abc.ref)
    assert link is not None
    assert f"urn:uuid:{link[0]}" == bom_abc.id
    assert link[1:] == (1, "product-ABC")
    assert abc.versions == (
        VexVersion(version="2.4", status="affected"),
        VexVersion(version="2.6", status="affected"),
        VexVersion(range="vers:generic/>=2.9|<=4.1", status="affected"),
    )
    assert jkl.versions == (VexVersion(range="vers:generic/>=4.5|<=5.0", status="affected"),)
    assert doc.statements[3].status is VexStatus.FIXED
    assert doc.statements[3].products[0].versions == (VexVersion(version="5.1"),)


def test_use_case_12_protected_by_mitigating_control() -> None:
    statements = {s.vulnerability: s for s in cdx("Use-Cases__Case-12__vex.json").statements}
    s = statements["CVE-2020-14195"]
    assert s.justification == "inline_mitigations_already_exist"
    assert s.native_state == ""  # the first protected_* word: the one written back
    assert statements["CVE-2020-35491"].status is VexStatus.AFFECTED


def test_use_case_7_is_about_no_product_in_particular() -> None:
    doc = cdx("Use-Cases__Case-7__vex.json")
    (s,) = doc.statements
    assert s.products == ()
    assert doc.author == "Acme, Inc."  # the supplier, for lack of authors


def test_standalone_vex_with_bom_link_to_a_purl_bom_ref() -> None:
    doc = cdx("vex.json")
    assert doc.bom_link == "urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1"
    (s,) = doc.statements
    assert s.aliases == ("SNYK-JAVA-COMFASTERXMLJACKSONCORE-1048302",)
    assert s.action_statement.startswith("Upgrade com.fasterxml.jackson.core:jackson-databind")
    (product,) = s.products
    # the BOM-Link's bom-ref is a purl (CycloneDX's Maven plugin names components so)
    assert product.purl == "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.10.0?type=jar"


def test_writing_with_bom_serial_links_every_product_into_that_bom() -> None:
    bom = cdx("CISA-Use-Cases__Case-7__bom-1.json")
    doc = cdx("CISA-Use-Cases__Case-1__vex-not_affected.json")
    written = cyclonedx_vex_document(doc, bom_serial=bom.id, bom_version=bom.version)
    assert written["serialNumber"] != bom.id  # the VEX is a document of its own
    assert "components" not in written  # the products live in the linked BOM
    refs = [a["ref"] for v in written["vulnerabilities"] for a in v["affects"]]
    assert refs == ["urn:cdx:cbb2cd68-2857-43b8-a10b-e8c03d277d18/1#product-ABC"]
    assert again(written).bom_link == "urn:cdx:cbb2cd68-2857-43b8-a10b-e8c03d277d18/1"


def test_csaf_use_case_1_not_affected_is_an_impact_statement() -> None:
    (s,) = csaf("2022-evd-uc-01-na-001.json").statements
    assert (s.vulnerability, s.status, s.justification) == (
        "CVE-2021-44228",
        VexStatus.NOT_AFFECTED,
        None,
    )
    assert s.impact_statement == "Class with vulnerable code was removed before shipping."
    assert s.products == (VexProduct("CSAFPID-0001", name="ABC", version="4.2"),)


def test_csaf_use_case_3_counts_by_status() -> None:
    doc = csaf("2022-evd-uc-03-ms-001.json")
    assert Counter(s.status for s in doc.statements) == {
        VexStatus.UNDER_INVESTIGATION: 5,
        VexStatus.NOT_AFFECTED: 6,
        VexStatus.AFFECTED: 5,
        VexStatus.FIXED: 3,
    }
    affected = [s for s in doc.statements if s.status is VexStatus.AFFECTED]
    # none_available: an action statement, but no CycloneDX response
    assert {(s.responses, s.action_statement[:30]) for s in affected} == {
        ((), "We are working to integrate th")
    }


def test_csaf_use_case_8_groups_products_and_ignores_recommended() -> None:
    doc = csaf("2022-evd-uc-08-001.json")
    log4shell = [s for s in doc.statements if s.vulnerability == "CVE-2021-44228"]
    summary = [(s.status.value, [p.ref[-2:] for p in s.products]) for s in log4shell]
    assert summary == [
        ("fixed", ["10", "11"]),  # 11 is also "recommended": advice, not a second statement
        ("affected", ["02", "03", "04"]),
        ("affected", ["08"]),
        ("not_affected", ["01", "05", "06", "07"]),
        ("not_affected", ["09"]),
    ]
    assert log4shell[1].products[2].versions == (VexVersion(range="vers:generic/>=2.9|<=4.1"),)
    assert log4shell[2].action_statement == "Update to the new version 5.2 or later."


def test_secvisogram_flag_and_version_range() -> None:
    doc = csaf("sec-vex-2022-0001.json")
    assert doc.author == "Secvisogram"
    first = doc.statements[0]
    assert first.justification == "component_not_present"
    assert first.timestamp == datetime(2022, 5, 27, 10, 0, tzinfo=UTC)  # the flag's date
    assert first.impact_statement == "Secvisogram is written in JavaScript. No Java is included."
    assert first.products == (
        VexProduct("CSAFPID-0001", name="Secvisogram", versions=(VexVersion(range="<=1.14.0"),)),
    )
    assert [s.vulnerability for s in doc.statements] == [
        "CVE-2021-44228",
        "CVE-2021-45046",
        "CVE-2021-45105",
    ]
