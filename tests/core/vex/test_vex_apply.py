"""Which VEX statement speaks for which finding of a scan (core.vex.apply)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from vulndesk.core.matching.engine import Finding
from vulndesk.core.sbom.model import Component
from vulndesk.core.vex.apply import analyse_findings, range_covers, version_in_scope
from vulndesk.core.vex.model import VexDocument, VexProduct, VexStatement, VexStatus, VexVersion

REQUESTS = Component(ref="req", name="requests", version="2.28.1", purl="pkg:pypi/requests@2.28.1")
FIRMWARE = Component(
    ref="fw",
    name="router-firmware",
    version="1.0",
    cpes=("cpe:2.3:o:acme:router_firmware:1.0:*:*:*:*:*:*:*",),
)
APP = Component(ref="app", name="shop", version="1.8.0")


def finding(component: Component, vulnerability: str = "CVE-2023-32681") -> Finding:
    return Finding(
        component=component,
        vulnerability_id=vulnerability,
        aliases=(vulnerability, "GHSA-j8r2-6x86-q33q"),
        advisory_ids=(vulnerability,),
        summary=None,
        severity=None,
        affected_range=">=2.3.0, <2.31.0",
        fixed_versions=("2.31.0",),
    )


def document(*statements: VexStatement, author: str = "PSIRT") -> tuple[str, VexDocument]:
    return (
        "vex.json",
        VexDocument(format="openvex", id="urn:x", author=author, statements=statements),
    )


def statement(
    *products: VexProduct,
    status: VexStatus = VexStatus.NOT_AFFECTED,
    vulnerability: str = "CVE-2023-32681",
    at: int = 1,
) -> VexStatement:
    return VexStatement(
        vulnerability=vulnerability,
        status=status,
        products=products,
        justification="component_not_present" if status is VexStatus.NOT_AFFECTED else None,
        timestamp=datetime(2024, 1, at, tzinfo=UTC),
    )


@pytest.mark.parametrize(
    ("product", "applies"),
    [
        (VexProduct(ref="pkg:pypi/requests@2.28.1", purl="pkg:pypi/requests@2.28.1"), True),
        (VexProduct(ref="x", purl="pkg:pypi/Requests@2.28.1"), True),  # canonical compare
        (VexProduct(ref="x", purl="pkg:pypi/requests@2.28.0"), False),
        (VexProduct(ref="x", purl="pkg:pypi/requests"), True),  # every version
        (VexProduct(ref="x", purl="pkg:npm/requests@2.28.1"), False),
        (VexProduct(ref="x", purl="pkg:pypi/requests", version="2.28.1"), True),
        (
            VexProduct(
                ref="x",
                purl="pkg:pypi/requests",
                versions=(VexVersion(range="vers:pypi/>=2.28|<2.29", status="unaffected"),),
            ),
            True,
        ),
        (
            # an affected version does not fall in a not-affected statement's scope
            VexProduct(
                ref="x",
                purl="pkg:pypi/requests",
                versions=(VexVersion(version="2.28.1", status="affected"),),
            ),
            False,
        ),
        (VexProduct(ref="requests"), False),  # a bare ref is not a name
        (VexProduct(ref="req"), True),  # the bom-ref of the scanned SBOM (embedded VEX)
        (VexProduct(ref="x", name="REQUESTS", version="2.28.1"), True),
    ],
    ids=[
        "purl", "canonical", "other version", "versionless", "other type", "version field",
        "range", "contradicting status", "bare ref", "bom-ref", "name",
    ],
)  # fmt: skip
def test_a_product_names_the_component(product: VexProduct, applies: bool) -> None:
    [analysis] = analyse_findings([finding(REQUESTS)], [document(statement(product))])
    assert (analysis is not None) is applies


def test_an_alias_names_the_vulnerability_and_the_author_is_kept() -> None:
    said = statement(
        VexProduct(ref="x", purl="pkg:pypi/requests"), vulnerability="GHSA-j8r2-6x86-q33q"
    )
    [analysis] = analyse_findings([finding(REQUESTS)], [document(said, author="Example PSIRT")])
    assert analysis is not None
    assert analysis.suppresses
    assert analysis.as_json() == {
        "state": "not_affected",
        "justification": "component_not_present",
        "impact_statement": None,
        "action_statement": None,
        "responses": [],
        "detail": None,
        "author": "Example PSIRT",
        "timestamp": "2024-01-01T00:00:00Z",
        "source": "vex.json",
        "vulnerability": "GHSA-j8r2-6x86-q33q",
    }
    other = statement(VexProduct(ref="x", purl="pkg:pypi/requests"), vulnerability="CVE-2099-1")
    assert analyse_findings([finding(REQUESTS)], [document(other)]) == [None]


def test_a_cpe_names_a_component_without_purl() -> None:
    said = statement(VexProduct(ref="x", cpe=FIRMWARE.cpes[0]))
    assert analyse_findings([finding(FIRMWARE)], [document(said)])[0] is not None


def test_the_product_as_a_whole_covers_its_components_or_its_subcomponents() -> None:
    findings = [finding(REQUESTS), finding(FIRMWARE)]
    whole = statement(VexProduct(ref="app", name="shop", version="1.8.0"))
    assert all(analyse_findings(findings, [document(whole)], subject=APP))
    # without knowing the subject, a product that is not a component covers nothing
    assert analyse_findings(findings, [document(whole)]) == [None, None]
    part = statement(
        VexProduct(
            ref="app", name="shop", subcomponents=(VexProduct(ref="y", purl="pkg:pypi/requests"),)
        )
    )
    found = analyse_findings(findings, [document(part)], subject=APP)
    assert [a is not None for a in found] == [True, False]
    other_version = statement(VexProduct(ref="other", name="shop", version="1.7.0"))
    assert analyse_findings(findings, [document(other_version)], subject=APP) == [None, None]


def test_the_newest_statement_wins_and_a_later_one_wins_a_tie() -> None:
    product = VexProduct(ref="x", purl="pkg:pypi/requests")
    old = statement(product, status=VexStatus.NOT_AFFECTED, at=1)
    new = statement(product, status=VexStatus.AFFECTED, at=2)
    for order in ([old, new], [new, old]):
        [analysis] = analyse_findings([finding(REQUESTS)], [document(*order)])
        assert analysis is not None and analysis.status is VexStatus.AFFECTED
        assert not analysis.suppresses
    tie_a = statement(product, status=VexStatus.FIXED, at=3)
    tie_b = statement(product, status=VexStatus.UNDER_INVESTIGATION, at=3)
    [analysis] = analyse_findings([finding(REQUESTS)], [document(tie_a), document(tie_b)])
    assert analysis is not None and analysis.status is VexStatus.UNDER_INVESTIGATION


@pytest.mark.parametrize(
    ("text", "version", "covers"),
    [
        ("vers:pypi/>=2.0|<3.0", "2.28.1", True),
        ("vers:pypi/>=3.0", "2.28.1", False),
        ("vers:generic/>=2.9|<=4.1", "4.1", True),
        ("vers:semver/>=2.2.0|<=2.4.0", "2.5.0", False),
        ("vers:pypi/>2.0", "2.28.1", None),  # an open lower bound the model cannot say
        ("whatever", "2.28.1", None),
    ],
)
def test_range_covers(text: str, version: str, covers: bool | None) -> None:
    assert range_covers(text, version) is covers


def test_version_in_scope_respects_the_version_status() -> None:
    spec = VexVersion(version="1.0", status="unaffected")
    assert version_in_scope(spec, VexStatus.NOT_AFFECTED, "1.0") is True
    assert version_in_scope(spec, VexStatus.AFFECTED, "1.0") is False
    assert version_in_scope(VexVersion(version="1.0"), VexStatus.AFFECTED, "1.1") is False
    unknown = VexVersion(range="vers:pypi/>=1", status="unknown")
    assert version_in_scope(unknown, VexStatus.UNDER_INVESTIGATION, "2") is True
    assert version_in_scope(unknown, VexStatus.FIXED, "2") is False
