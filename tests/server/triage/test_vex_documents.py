"""Importing VEX documents into a product, and exporting its statements in all three formats."""

from __future__ import annotations

import json
from typing import Any

import pytest

from server.triage.vex_world import (
    PYYAML_CVE,
    REQUESTS_CVE,
    build,
    finding,
    new_serial,
    release,
)
from support import FIXTURES, SHARED_DATA, shared_data
from vulndesk.core.vex import (
    VexDocument,
    VexError,
    VexProduct,
    VexVersion,
    csaf_vex_document,
    read_vex,
)
from vulndesk.core.vex import VexStatement as CoreStatement
from vulndesk.server.advisories.services import feeds_import
from vulndesk.server.audit.models import AuditEvent
from vulndesk.server.findings.models import Finding
from vulndesk.server.inventory.models import Product, Release
from vulndesk.server.inventory.services import (
    product_create,
    release_create,
    sbom_analyse,
    sbom_upload,
)
from vulndesk.server.triage.models import VexStatement
from vulndesk.server.triage.vex import StatementText, VexScope, vex_statement_record
from vulndesk.server.triage.vex_documents import vex_export, vex_import

pytestmark = pytest.mark.django_db

SHOP_1 = {"requests": "2.28.1", "pyyaml": "5.3.1"}
VEX_OSV = FIXTURES / "vex/osv"


def openvex(*statements: dict[str, Any], author: str = "Example PSIRT") -> bytes:
    return json.dumps(
        {
            "@context": "https://openvex.dev/ns/v0.2.0",
            "@id": "https://example.com/vex/2024-001",
            "author": author,
            "timestamp": "2024-01-01T00:00:00Z",
            "version": 1,
            "statements": list(statements),
        }
    ).encode()


def purl_sbom(name: str, version: str, purls: list[str], *, serial: str | None = None) -> bytes:
    """Return a CycloneDX SBOM of ``name`` ``version`` listing components by purl."""
    components = []
    for purl in purls:
        bare, _, at = purl.partition("@")
        components.append(
            {
                "type": "library",
                "bom-ref": purl,
                "name": bare.rsplit("/", 1)[-1],
                "version": at.split("?")[0],
                "purl": purl,
            }
        )
    bom: dict[str, Any] = {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1}
    if serial:
        bom["serialNumber"] = serial
    bom["metadata"] = {"component": {"type": "application", "bom-ref": name, "name": name}}
    bom["components"] = components
    return json.dumps(bom).encode()


def analysed(product: Product, version: str, content: bytes, user: Any = None) -> Release:
    created = release_create(product=product, version=version, acting_user=user)
    document = sbom_upload(
        release=created, file_name=f"{version}.cdx.json", content=content, acting_user=user
    )
    sbom_analyse(sbom_id=document.pk)
    return created


# --- import ---------------------------------------------------------------------------------------


def test_import_maps_purls_versions_and_ranges_and_says_what_it_could_not_store() -> None:
    world = build()
    first = release(world, "1.0", SHOP_1)
    second = release(world, "1.1", {"requests": "2.30.0", "pyyaml": "5.3.1"})
    data = openvex(
        {  # exact version in the purl
            "vulnerability": {"name": PYYAML_CVE},
            "products": [{"@id": "pkg:pypi/pyyaml@5.3.1"}],
            "status": "not_affected",
            "justification": "vulnerable_code_not_in_execute_path",
        },
        {  # versionless purl: every version, named by an alias of the group
            "vulnerability": {"name": "GHSA-j8r2-6x86-q33q"},
            "products": [{"@id": "pkg:pypi/requests"}],
            "status": "affected",
            "action_statement": "upgrade to 2.31.0",
        },
        {  # a component this product does not have (yet)
            "vulnerability": {"name": "CVE-2099-0001"},
            "products": [{"@id": "pkg:npm/left-pad@1.0.0"}],
            "status": "under_investigation",
        },
        {  # no reason at all: refused, said so
            "vulnerability": {"name": "CVE-2099-0002"},
            "products": [{"@id": "pkg:npm/left-pad@1.0.0"}],
            "status": "not_affected",
            "impact_statement": "",
        },
    )
    outcome = vex_import(
        data=data, name="psirt.json", product=world.product, acting_user=world.edith
    )
    assert outcome.format == "openvex"
    assert outcome.read == 4
    stored = {
        (s.vulnerability_id, s.component_key, s.component_version): n for s, n in outcome.recorded
    }
    assert stored == {
        (PYYAML_CVE, "pkg:pypi/pyyaml", "5.3.1"): 2,
        # the alias GHSA-j8r2... is stored under the group's key, as findings are
        (REQUESTS_CVE, "pkg:pypi/requests", "*"): 2,
        ("CVE-2099-0001", "pkg:npm/left-pad", "1.0.0"): 0,
    }
    assert [s.vulnerability_id for s in outcome.unmatched] == ["CVE-2099-0001"]
    assert len(outcome.not_stored) == 1
    assert outcome.not_stored[0].vulnerability == "CVE-2099-0002"
    # (OpenVEX's reader gives the missing reason its own words; either way it is not lost)
    for release_ in (first, second):
        assert finding(release_, "pyyaml", PYYAML_CVE).analysis_state == "not_affected"
        assert finding(release_, "requests", REQUESTS_CVE).analysis_state == "affected"
    statement = VexStatement.objects.get(vulnerability_id=PYYAML_CVE)
    assert (statement.author_label, statement.origin) == ("Example PSIRT", "import")
    assert statement.document_id == "https://example.com/vex/2024-001"
    assert statement.affected_range == ""
    assert statement.author == world.edith
    audit = AuditEvent.objects.get(action="vex.import")
    assert audit.actor == world.edith
    assert len(audit.data["recorded"]) == 3


def test_an_unmatched_statement_applies_when_the_component_appears() -> None:
    world = build()
    release(world, "1.0", {"pyyaml": "5.3.1"})
    data = openvex(
        {
            "vulnerability": {"name": REQUESTS_CVE},
            "products": [{"@id": "pkg:pypi/requests@2.28.1"}],
            "status": "not_affected",
            "justification": "vulnerable_code_not_present",
        }
    )
    outcome = vex_import(data=data, name="v.json", product=world.product, acting_user=None)
    assert [n for _, n in outcome.recorded] == [0]
    later = release(world, "1.1", SHOP_1)
    assert finding(later, "requests", REQUESTS_CVE).analysis_state == "not_affected"


def cyclonedx_vex(*versions: dict[str, str], state: str = "not_affected") -> bytes:
    """Return a CycloneDX VEX saying ``state`` for CVE-2023-32681 in pkg:pypi/requests, limited
    to ``versions`` (CycloneDX ``affects[].versions[]`` entries)."""
    analysis = {"state": state}
    if state == "not_affected":
        analysis["justification"] = "code_not_reachable"
    doc = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "version": 1,
        "components": [
            {"type": "library", "bom-ref": "req", "name": "requests", "purl": "pkg:pypi/requests"}
        ],
        "vulnerabilities": [
            {
                "id": REQUESTS_CVE,
                "analysis": analysis,
                "affects": [{"ref": "req", "versions": list(versions)}],
            }
        ],
    }
    return json.dumps(doc).encode()


def test_a_range_is_stored_once_and_what_cannot_be_kept_is_reported() -> None:
    world = build()
    first = release(world, "1.0", SHOP_1)
    second = release(world, "1.1", {"requests": "2.30.0"})
    data = cyclonedx_vex(
        {"range": "vers:pypi/>=2.28.0|<2.29.0", "status": "unaffected"},
        {"range": "vers:pypi/>=3.0.0", "status": "unaffected"},  # no release has it (yet)
        {"version": "2.30.0", "status": "affected"},
        {"range": "vers:pypi/>=2.0|<2.1", "status": "affected"},
        {"range": "vers:pypi/>=x"},
        {"range": "vers:cargo/>=1.0.0"},
        {"range": "vers:semver/<7.0.0|>=1.5.0"},
        {"range": "vers:npm/>=2.0.0|<3.0.0"},
    )
    outcome = vex_import(data=data, name="embedded.json", product=world.product, acting_user=None)
    # each range once, with its range: it covers today's releases and later ones alike
    assert [(s.component_key, s.component_version, n) for s, n in outcome.recorded] == [
        ("pkg:pypi/requests", "vers:pypi/>=2.28.0|<2.29.0", 1),
        ("pkg:pypi/requests", "vers:pypi/>=3.0.0", 0),
    ]
    assert finding(first, "requests", REQUESTS_CVE).analysis_state == "not_affected"
    assert finding(second, "requests", REQUESTS_CVE).analysis_state == ""
    reasons = [p.reason for p in outcome.not_stored]
    assert {(p.vulnerability, p.product) for p in outcome.not_stored} == {
        (REQUESTS_CVE, "pkg:pypi/requests")
    }
    assert reasons == [
        "version 2.30.0 is listed as affected, which contradicts a not_affected statement: not "
        "stored for it",
        "range vers:pypi/>=2.0|<2.1 is listed as affected, which contradicts a not_affected "
        "statement: not stored for it",
        "range 'vers:pypi/>=x' cannot be read: 'x' is not a version (it has no digit): not stored",
        "range 'vers:cargo/>=1.0.0' cannot be evaluated: vulndesk does not order versions of "
        "the vers scheme 'cargo' (it orders apk, composer, deb, debian, dpkg, gem, generic, "
        "go, golang, maven, npm, nuget, pep440, pypi, python, rpm, rubygems, semver): not stored",
        "range 'vers:semver/<7.0.0|>=1.5.0' cannot be read: vers constraints must be in "
        "ascending version order without repeats, and '1.5.0' does not come after '7.0.0': "
        "not stored",
        "range 'vers:npm/>=2.0.0|<3.0.0' orders versions as npm, but pkg:pypi/requests is a "
        "pypi package: write vers:pypi/...: not stored",
    ]


def test_an_imported_range_applies_to_releases_uploaded_later() -> None:
    world = build()
    release(world, "1.0", {"pyyaml": "5.3.1"})
    outcome = vex_import(
        data=cyclonedx_vex({"range": "vers:pypi/>=2.28.0|<2.30.0"}),
        name="psirt.cdx.json",
        product=world.product,
        acting_user=None,
    )
    [(statement, matched)] = outcome.recorded
    assert (statement.component_version, matched) == ("vers:pypi/>=2.28.0|<2.30.0", 0)
    assert outcome.not_stored == []
    # the next releases: requests 2.29.0 is in the range, 2.30.0 (as vulnerable) is not
    inside = finding(release(world, "1.1", {"requests": "2.29.0"}), "requests", REQUESTS_CVE)
    outside = finding(release(world, "1.2", {"requests": "2.30.0"}), "requests", REQUESTS_CVE)
    assert (inside.analysis_state, inside.vex_statement_id) == ("not_affected", statement.pk)
    assert (outside.analysis_state, outside.vex_statement_id) == ("", None)
    assert VexStatement.objects.count() == 1


def test_an_imported_range_that_cannot_be_decided_applies_to_nothing() -> None:
    world = build()
    first = release(world, "1.0", SHOP_1)
    # "r3" cannot be ordered against 2.28.1: the range is kept, and covers nothing it cannot decide
    outcome = vex_import(
        data=cyclonedx_vex({"range": "vers:generic/<r3"}),
        name="odd.cdx.json",
        product=world.product,
        acting_user=None,
    )
    assert [(s.component_version, n) for s, n in outcome.recorded] == [("vers:generic/<r3", 0)]
    assert finding(first, "requests", REQUESTS_CVE).analysis_state == ""
    later = release(world, "1.1", {"requests": "2.29.0"})
    assert finding(later, "requests", REQUESTS_CVE).analysis_state == ""


def test_csaf_range_words_are_kept_as_a_vers_range() -> None:
    world = build()
    release(world, "1.0", SHOP_1)
    requests = VexProduct(
        "CSAFPID-0001",
        purl="pkg:pypi/requests",
        name="requests",
        versions=(VexVersion(range="All versions < 2.29.0"),),
    )
    document = csaf_vex_document(
        VexDocument(
            format="csaf",
            id="PSIRT-2024-1",
            statements=(
                CoreStatement(
                    REQUESTS_CVE,
                    "not_affected",
                    (requests,),
                    justification="vulnerable_code_not_present",
                ),
            ),
        )
    )
    outcome = vex_import(
        data=json.dumps(document).encode(),
        name="psirt.csaf.json",
        product=world.product,
        acting_user=None,
    )
    assert [(s.component_version, n) for s, n in outcome.recorded] == [("vers:generic/<2.29.0", 1)]
    later = release(world, "1.1", {"requests": "2.29.0"})
    assert finding(later, "requests", REQUESTS_CVE).analysis_state == ""


def test_a_bad_document_stores_nothing() -> None:
    world = build()
    release(world, "1.0", SHOP_1)
    with pytest.raises(VexError, match="line 1"):
        vex_import(data=b"{not json", name="broken.json", product=world.product, acting_user=None)
    with pytest.raises(VexError, match="SPDX"):
        vex_import(
            data=b'{"spdxVersion": "SPDX-2.3"}',
            name="s.json",
            product=world.product,
            acting_user=None,
        )
    assert not VexStatement.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="vex.").exists()


# --- real documents -------------------------------------------------------------------------------


def test_the_jackson_vex_of_the_cyclonedx_examples_applies_through_its_bom_ref_purl() -> None:
    world = build()
    feeds_import(paths=[VEX_OSV], actor_label="test")
    bom = shared_data("vex/cyclonedx/bom.json").read_bytes()
    first = analysed(world.product, "1.0.0", bom, world.alice)
    jackson = Finding.objects.get(release=first, vulnerability_id="CVE-2020-25649")
    outcome = vex_import(
        data=shared_data("vex/cyclonedx/vex.json").read_bytes(),
        name="vex.json",
        product=world.product,
        acting_user=world.edith,
    )
    [(statement, matched)] = outcome.recorded
    assert matched == 1
    assert statement.component_key == "pkg:maven/com.fasterxml.jackson.core/jackson-databind"
    assert statement.component_version == "2.10.0"
    assert statement.justification == "vulnerable_code_not_in_execute_path"
    jackson.refresh_from_db()
    assert jackson.analysis_state == "not_affected"


def test_a_statement_about_the_product_as_a_whole_covers_its_components() -> None:
    world = build()
    feeds_import(paths=[VEX_OSV], actor_label="test")
    abc = product_create(name="ABC", acting_user=world.alice)
    log4j = "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"
    covered = analysed(abc, "4.2", purl_sbom("ABC", "4.2", [log4j]))
    other = analysed(abc, "4.1", purl_sbom("ABC", "4.1", [log4j.replace("2.14.1", "2.13.0")]))
    outcome = vex_import(
        data=shared_data(
            "vex/cyclonedx/CISA-Use-Cases__Case-1__vex-not_affected.json"
        ).read_bytes(),
        name="case-1.json",
        product=abc,
        acting_user=None,
    )
    # "ABC 4.2 is not affected": the statement is stored for ABC 4.2's log4j-core
    assert [(s.component_key, s.component_version, n) for s, n in outcome.recorded] == [
        ("pkg:maven/org.apache.logging.log4j/log4j-core", "2.14.1", 1)
    ]
    assert Finding.objects.get(release=covered).analysis_state == "not_affected"
    assert Finding.objects.get(release=other).analysis_state == ""


def test_bom_links_resolve_through_the_products_own_sboms() -> None:
    world = build()
    abc = product_create(name="ABC", acting_user=world.alice)
    analysed(
        abc, "2.4", shared_data("vex/cyclonedx/CISA-Use-Cases__Case-7__bom-1.json").read_bytes()
    )
    outcome = vex_import(
        data=shared_data("vex/cyclonedx/CISA-Use-Cases__Case-7__vex.json").read_bytes(),
        name="case-7.json",
        product=abc,
        acting_user=None,
    )
    assert outcome.recorded == []
    reasons = [p.reason for p in outcome.not_stored]
    # product-ABC is the subject of bom-1, which is ABC 2.4's SBOM: a statement about ABC as a
    # whole, and ABC 2.4 has no component with Log4Shell
    assert any("about ABC as a whole" in r and "release 2.4" in r for r in reasons)
    # product-JKL lives in a BOM this product does not have
    assert any("urn:uuid:e4c3eedc-4978-470c-ad02-6ffff63738ff" in r for r in reasons)


@pytest.mark.parametrize(
    "name",
    sorted(p.name for p in (SHARED_DATA / "vex/cyclonedx").glob("*.json") if "bom" not in p.name)
    or ["(absent)"],
)
def test_every_cyclonedx_example_is_stored_or_explained(name: str) -> None:
    path = shared_data(f"vex/cyclonedx/{name}")
    world = build()
    feeds_import(paths=[VEX_OSV], actor_label="test")
    analysed(world.product, "1.0.0", shared_data("vex/cyclonedx/bom.json").read_bytes())
    doc = read_vex(path.read_bytes(), name)
    outcome = vex_import(data=path.read_bytes(), name=name, product=world.product, acting_user=None)
    assert outcome.read == len(doc.statements) > 0
    explained = {s.vulnerability_id for s, _ in outcome.recorded} | {
        p.vulnerability for p in outcome.not_stored
    }
    assert {s.vulnerability for s in doc.statements} <= explained
    assert all(p.reason for p in outcome.not_stored)


# --- export ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["openvex", "cyclonedx", "csaf"])
def test_export_reads_back_and_imports_into_another_product_the_same(fmt: str) -> None:
    world = build()
    first = release(world, "1.0", SHOP_1, serial=new_serial())
    vex_statement_record(
        finding=finding(first, "requests", REQUESTS_CVE),
        text=StatementText(
            state="not_affected",
            justification="component_not_present",
            detail="not shipped",
            responses=("will_not_fix",),
        ),
        acting_user=world.edith,
    )
    vex_statement_record(
        finding=finding(first, "pyyaml", PYYAML_CVE),
        text=StatementText(state="affected", action_statement="upgrade to 5.4"),
        acting_user=world.edith,
    )
    exported = vex_export(product=world.product, format=fmt)
    doc = read_vex(exported.content, exported.file_name)
    assert doc.format == fmt
    assert doc.author == world.product.organisation.name or fmt == "csaf"
    said = {s.vulnerability: s for s in doc.statements}
    assert set(said) == {REQUESTS_CVE, PYYAML_CVE}
    assert said[REQUESTS_CVE].justification == "component_not_present"
    assert said[PYYAML_CVE].status.value == "affected"
    assert "upgrade to 5.4" in said[PYYAML_CVE].action_statement

    twin = product_create(name="twin", acting_user=world.alice)
    analysed(
        twin, "1.0", purl_sbom("twin", "1.0", ["pkg:pypi/requests@2.28.1", "pkg:pypi/pyyaml@5.3.1"])
    )
    outcome = vex_import(data=exported.content, name="round.json", product=twin, acting_user=None)
    assert outcome.not_stored == []
    again = {
        (s.vulnerability_id, s.component_key, s.component_version, s.state, s.justification)
        for s, _ in outcome.recorded
    }
    assert again == {
        (REQUESTS_CVE, "pkg:pypi/requests", "2.28.1", "not_affected", "component_not_present"),
        (PYYAML_CVE, "pkg:pypi/pyyaml", "5.3.1", "affected", ""),
    }
    assert all(n == 1 for _, n in outcome.recorded)


def test_a_release_export_links_to_its_sbom_and_adds_unstated_findings() -> None:
    world = build()
    serial = new_serial()
    first = release(world, "1.0", SHOP_1, serial=serial)
    vex_statement_record(
        finding=finding(first, "requests", REQUESTS_CVE),
        text=StatementText(state="not_affected", justification="component_not_present"),
        acting_user=world.edith,
    )
    exported = vex_export(
        product=world.product, release=first, format="cyclonedx", include_unstated=True
    )
    body = json.loads(exported.content)
    refs = {v["id"]: v["affects"][0]["ref"] for v in body["vulnerabilities"]}
    bare = serial.removeprefix("urn:uuid:")
    assert refs == {
        REQUESTS_CVE: f"urn:cdx:{bare}/1#pkg:pypi/requests@2.28.1",
        PYYAML_CVE: f"urn:cdx:{bare}/1#pkg:pypi/pyyaml@5.3.1",
    }
    states = {v["id"]: v["analysis"]["state"] for v in body["vulnerabilities"]}
    assert states == {REQUESTS_CVE: "not_affected", PYYAML_CVE: "in_triage"}
    doc = read_vex(exported.content, "x")
    assert doc.bom_link == f"urn:cdx:{bare}/1"
    # and the BOM-Links come back to the same components when imported
    outcome = vex_import(data=exported.content, name="x", product=world.product, acting_user=None)
    assert {(s.component_key, s.component_version) for s, _ in outcome.recorded} == {
        ("pkg:pypi/requests", "2.28.1"),
        ("pkg:pypi/pyyaml", "5.3.1"),
    }


def test_the_csaf_export_names_the_organisation_and_the_configured_namespace(settings: Any) -> None:
    settings.CSAF_PUBLISHER_NAMESPACE = "https://psirt.example.com"
    world = build()
    first = release(world, "1.0", SHOP_1)
    vex_statement_record(
        finding=finding(first, "requests", REQUESTS_CVE),
        text=StatementText(state="fixed"),
        acting_user=world.edith,
    )
    body = json.loads(vex_export(product=world.product, format="csaf").content)
    publisher = body["document"]["publisher"]
    assert publisher == {
        "category": "vendor",
        "name": world.product.organisation.name,
        "namespace": "https://psirt.example.com",
    }
    assert body["document"]["category"] == "csaf_vex"
    assert "fixed" in body["vulnerabilities"][0]["product_status"]


RANGE = "vers:pypi/>=2.28.0|<2.30.0"


def _range_statement(world: Any) -> VexStatement:
    first = release(world, "1.0", SHOP_1)
    release(world, "1.1", {"requests": "2.29.0"})
    release(world, "1.2", {"requests": "2.30.0"})
    return vex_statement_record(
        finding=finding(first, "requests", REQUESTS_CVE),
        text=StatementText(state="not_affected", justification="vulnerable_code_not_present"),
        scope=VexScope.RANGE,
        version_range=RANGE,
        acting_user=world.edith,
    )


def test_a_range_statement_exports_as_its_range_in_cyclonedx() -> None:
    world = build()
    _range_statement(world)
    body = json.loads(vex_export(product=world.product, format="cyclonedx").content)
    [vulnerability] = body["vulnerabilities"]
    assert vulnerability["affects"] == [
        {"ref": "pkg:pypi/requests", "versions": [{"range": RANGE}]}
    ]
    assert body["components"] == [
        {
            "type": "application",
            "bom-ref": "pkg:pypi/requests",
            "name": "requests",
            "purl": "pkg:pypi/requests",
        }
    ]


def test_a_range_statement_exports_as_a_product_version_range_in_csaf() -> None:
    world = build()
    _range_statement(world)
    body = json.loads(vex_export(product=world.product, format="csaf").content)
    [family] = body["product_tree"]["branches"]
    assert (family["category"], family["name"]) == ("product_name", "requests")
    [branch] = family["branches"]
    assert (branch["category"], branch["name"]) == ("product_version_range", RANGE)
    product_id = branch["product"]["product_id"]
    assert branch["product"]["product_identification_helper"] == {"purl": "pkg:pypi/requests"}
    assert body["vulnerabilities"][0]["product_status"] == {"known_not_affected": [product_id]}


def test_openvex_names_the_shipped_versions_a_range_covers() -> None:
    world = build()
    _range_statement(world)
    body = json.loads(vex_export(product=world.product, format="openvex").content)
    [statement] = body["statements"]
    # OpenVEX has no ranges: 2.28.1 and 2.29.0 are shipped and in it, 2.30.0 is not
    assert [p["@id"] for p in statement["products"]] == [
        "pkg:pypi/requests@2.28.1",
        "pkg:pypi/requests@2.29.0",
    ]


@pytest.mark.parametrize("fmt", ["cyclonedx", "csaf"])
def test_an_exported_range_imports_as_the_same_range(fmt: str) -> None:
    world = build()
    _range_statement(world)
    exported = vex_export(product=world.product, format=fmt)
    twin = product_create(name="twin", acting_user=world.alice)
    analysed(twin, "1.0", purl_sbom("twin", "1.0", ["pkg:pypi/pyyaml@5.3.1"]))
    outcome = vex_import(data=exported.content, name="round.json", product=twin, acting_user=None)
    assert outcome.not_stored == []
    assert [(s.component_key, s.component_version, n) for s, n in outcome.recorded] == [
        ("pkg:pypi/requests", RANGE, 0)
    ]
    later = analysed(twin, "1.1", purl_sbom("twin", "1.1", ["pkg:pypi/requests@2.29.0"]))
    assert Finding.objects.get(release=later).analysis_state == "not_affected"
