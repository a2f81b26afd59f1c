"""Vendor/product statements: name normalisation, identity and CVE 5 version evaluation."""

from __future__ import annotations

import pytest

from vulndesk.core.advisories.model import ProductStatement, VersionEntry
from vulndesk.core.matching.products import (
    ProductQuery,
    evaluate_versions,
    identify_product,
    match_product,
    match_products,
    normalize_hash,
    normalize_name,
    normalize_vendor,
    product_query,
    same_product,
)
from vulndesk.core.sbom.model import Component, Hash

# --- names


@pytest.mark.parametrize(
    ("a", "b"),
    [
        pytest.param("Mitsubishi Electric", "mitsubishielectric", id="spaces dropped"),
        pytest.param("Mitsubishi Electric Corporation", "Mitsubishi Electric", id="corporation"),
        pytest.param("MITSUBISHI ELECTRIC CO., LTD.", "mitsubishi_electric", id="co ltd"),
        pytest.param("Hitachi, Ltd.", "hitachi", id="hitachi ltd"),
        pytest.param("OMRON Corporation", "omron", id="omron corporation"),
        pytest.param("Yokogawa Electric Corporation", "yokogawa-electric", id="yokogawa"),
        pytest.param("FUJI ELECTRIC CO.,LTD.", "Fuji Electric", id="fuji no space"),
        pytest.param("CONTEC CO., LTD.", "contec", id="contec"),
        pytest.param("Panasonic Holdings Corporation", "Panasonic", id="holdings"),
        pytest.param("Toshiba Corp.", "TOSHIBA", id="corp dot"),
        pytest.param("Seiko Epson Kabushiki Kaisha", "seiko epson", id="kabushiki kaisha"),
        pytest.param("三菱電機株式会社", "三菱電機", id="kabushiki gaisha suffix"),
        pytest.param("株式会社日立製作所", "日立製作所", id="kabushiki gaisha prefix"),
        pytest.param("\uff2f\uff2d\uff32\uff2f\uff2e", "omron", id="full-width letters OMRON"),
        pytest.param("Siemens AG", "siemens", id="ag"),
        pytest.param("Phoenix Contact GmbH & Co. KG", "Phoenix Contact", id="gmbh co kg"),
        pytest.param("Acme, Inc.", "ACME", id="inc"),
        pytest.param("Schneider Electric SE", "schneider_electric", id="se"),
    ],
)
def test_vendor_names_that_are_one_vendor(a: str, b: str) -> None:
    assert normalize_vendor(a) == normalize_vendor(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        pytest.param("Mitsubishi", "Mitsubishi Electric", id="a prefix is not the vendor"),
        pytest.param("Sony Group Corporation", "Sony", id="group is kept"),
        pytest.param("Electric", "Fuji Electric", id="a suffix word is not the vendor"),
        pytest.param("Oracle", "Oracle Japan", id="a subsidiary is another vendor"),
    ],
)
def test_vendor_names_that_are_different_vendors(a: str, b: str) -> None:
    assert normalize_vendor(a) != normalize_vendor(b)


def test_a_designator_alone_stays_a_name() -> None:
    assert normalize_vendor("Limited") == "limited"


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        pytest.param("MELSEC iQ-R", "melsec_iq-r", True, id="separators and case"),
        pytest.param("MELSEC iQ-R", "MELSEC IQ R", True, id="spaces"),
        pytest.param("MELSEC iQ-R", "MELSEC iQ-R Series", False, id="no substring"),
        pytest.param("CX-Programmer", "cx_programmer", True, id="omron tool"),
        pytest.param("Node.js", "nodejs", True, id="dot"),
    ],
)
def test_product_names(a: str, b: str, same: bool) -> None:
    assert (normalize_name(a) == normalize_name(b)) is same


@pytest.mark.parametrize(
    ("pair_a", "pair_b", "same"),
    [
        pytest.param(
            ("Mitsubishi Electric Corporation", "MELSEC iQ-R Series"),
            ("mitsubishielectric", "melsec_iq-r_series"),
            True,
            id="both equal once normalised",
        ),
        pytest.param(("n/a", "n/a"), ("N/A", "n/a"), False, id="n/a is no name"),
        pytest.param(("Oracle", "MySQL"), ("", "MySQL"), False, id="no vendor"),
        pytest.param(("Oracle", "MySQL"), ("Oracle", "MySQL Server"), False, id="other product"),
    ],
)
def test_same_product(pair_a: tuple[str, str], pair_b: tuple[str, str], same: bool) -> None:
    assert same_product(*pair_a, *pair_b) is same


def test_hash_normalisation() -> None:
    assert normalize_hash("SHA-256:ABCD") == normalize_hash("sha256:abcd") == "sha256:abcd"


# --- CVE 5 versions


def statement(*versions: VersionEntry, default: str = "unaffected") -> ProductStatement:
    return ProductStatement("Example", "Widget", versions=versions, default_status=default)


def entry(
    version: str,
    status: str = "affected",
    version_type: str | None = "semver",
    *,
    less_than: str | None = None,
    less_than_or_equal: str | None = None,
    changes: tuple[tuple[str, str], ...] = (),
) -> VersionEntry:
    return VersionEntry(
        version,
        status,
        version_type,
        less_than=less_than,
        less_than_or_equal=less_than_or_equal,
        changes=changes,
    )


LESS_THAN = statement(entry("0", less_than="2.3.1"))
LESS_THAN_OR_EQUAL = statement(entry("1.0.0", less_than_or_equal="2.3.1"))
CHANGES = statement(
    entry(
        "1.0.0",
        less_than="2.0.0",
        changes=(("1.0.5", "unaffected"), ("1.1.0", "affected"), ("1.1.3", "unaffected")),
    )
)
DEFAULT_AFFECTED = statement(entry("3.2", "unaffected", None), default="affected")


@pytest.mark.parametrize(
    ("product", "version", "status"),
    [
        pytest.param(LESS_THAN, "0.1.0", "affected", id="lessThan from 0"),
        pytest.param(LESS_THAN, "2.3.0", "affected", id="lessThan below"),
        pytest.param(LESS_THAN, "2.3.1", "unaffected", id="lessThan at bound"),
        pytest.param(LESS_THAN_OR_EQUAL, "2.3.1", "affected", id="lessThanOrEqual at bound"),
        pytest.param(LESS_THAN_OR_EQUAL, "2.3.2", "unaffected", id="lessThanOrEqual above"),
        pytest.param(LESS_THAN_OR_EQUAL, "0.9.0", "unaffected", id="below range start"),
        pytest.param(LESS_THAN_OR_EQUAL, "1.0.0", "affected", id="at range start"),
        pytest.param(CHANGES, "1.0.4", "affected", id="changes before first"),
        pytest.param(CHANGES, "1.0.5", "unaffected", id="changes at first"),
        pytest.param(CHANGES, "1.1.2", "affected", id="changes back to affected"),
        pytest.param(CHANGES, "1.1.3", "unaffected", id="changes at last"),
        pytest.param(CHANGES, "2.0.0", "unaffected", id="changes range end default"),
        pytest.param(DEFAULT_AFFECTED, "3.1", "affected", id="defaultStatus affected"),
        pytest.param(DEFAULT_AFFECTED, "3.2", "unaffected", id="listed version unaffected"),
        pytest.param(DEFAULT_AFFECTED, "3.2.0", "unaffected", id="listed version equal in order"),
        pytest.param(statement(default="unknown"), "1.0", "unknown", id="no entries default"),
    ],
)
def test_cve5_versions(product: ProductStatement, version: str, status: str) -> None:
    assert evaluate_versions(product, version).status == status


def test_the_rule_that_decided_is_named() -> None:
    assert evaluate_versions(LESS_THAN, "1.0").rule == "<2.3.1 (semver)"
    assert evaluate_versions(LESS_THAN, "3.0").rule == "defaultStatus"
    assert "changed to unaffected at 1.0.5" in evaluate_versions(CHANGES, "1.0.7").rule


@pytest.mark.parametrize(
    ("version_entry", "version", "status"),
    [
        pytest.param(
            entry("V1.10", version_type="custom", less_than="V1.30"),
            "V1.20",
            "affected",
            id="custom firmware in generic order",
        ),
        pytest.param(
            entry("0", version_type="custom", less_than="05.00"),
            "4.9",
            "affected",
            id="custom zero padded bound",
        ),
        pytest.param(
            entry("0", version_type="custom", less_than="1.30"),
            "Ver.1.20",
            "unknown",
            id="custom word against number undetermined",
        ),
        pytest.param(
            entry("0", version_type="vendor-firmware", less_than="57"),
            "56",
            "affected",
            id="unknown versionType uses generic order",
        ),
        pytest.param(
            entry("0", version_type="semver", less_than="2.1"),
            "2.0",
            "affected",
            id="semver type with non-semver versions falls back",
        ),
        pytest.param(
            entry("0", version_type="python", less_than="1.0"),
            "1.0rc1",
            "affected",
            id="python versionType uses PEP 440",
        ),
        pytest.param(
            entry("a1b2c3d", version_type="git", less_than="f9e8d7c"),
            "0c0c0c0",
            "unknown",
            id="git commits cannot be ordered",
        ),
        pytest.param(
            entry("a1b2c3d", version_type="git"), "a1b2c3d", "affected", id="git equal commit"
        ),
        pytest.param(entry("*", version_type=None), "9.9", "affected", id="star single entry"),
        pytest.param(entry("n/a", version_type=None), "9.9", "unknown", id="n/a single entry"),
        pytest.param(
            entry("unspecified", version_type="custom", less_than="4.2"),
            "4.1",
            "affected",
            id="unspecified start is from the beginning",
        ),
        pytest.param(
            entry("2.0", version_type="semver", less_than="*"),
            "99.0.0",
            "affected",
            id="lessThan star has no end",
        ),
    ],
)
def test_version_types(version_entry: VersionEntry, version: str, status: str) -> None:
    assert evaluate_versions(statement(version_entry), version).status == status


def test_undetermined_says_why() -> None:
    result = evaluate_versions(statement(entry("0", "affected", "custom", less_than="1.3")), "R2")
    assert result.status == "unknown"
    assert result.problems == ("version 'R2' cannot be ordered against '1.3'",)


@pytest.mark.parametrize(
    ("product", "status"),
    [
        pytest.param(LESS_THAN, "unknown", id="entries but no version"),
        pytest.param(statement(default="affected"), "affected", id="every version affected"),
    ],
)
def test_component_without_version(product: ProductStatement, status: str) -> None:
    assert evaluate_versions(product, None).status == status


# --- identity and confidence

MELSEC = ProductStatement(
    vendor="Mitsubishi Electric",
    product="MELSEC iQ-R series R04CPU",
    versions=(VersionEntry("0", "affected", "custom", less_than="57"),),
    default_status="unaffected",
    cpes=("cpe:2.3:o:mitsubishielectric:melsec_iq-r_r04cpu_firmware:*:*:*:*:*:*:*:*",),
    model_numbers=("R04CPU",),
    product_id="CSAFPID-0001",
)


@pytest.mark.parametrize(
    ("query", "matched_by", "confidence"),
    [
        pytest.param(
            ProductQuery(
                "firmware",
                "56",
                cpes=("cpe:2.3:o:mitsubishielectric:melsec_iq-r_r04cpu_firmware:56:*:*:*:*:*:*:*",),
            ),
            "cpe",
            "medium",
            id="cpe",
        ),
        pytest.param(
            ProductQuery("R04 CPU", "56", vendors=("Mitsubishi Electric Corporation",)),
            "model_number",
            "medium",
            id="name equals model number with vendor",
        ),
        pytest.param(
            ProductQuery("PLC", "56", model_numbers=("r04cpu",)),
            "model_number",
            "low",
            id="model number without vendor",
        ),
        pytest.param(
            ProductQuery(
                "MELSEC iQ-R Series R04CPU", "56", vendors=("MITSUBISHI ELECTRIC CO., LTD.",)
            ),
            "name",
            "low",
            id="vendor and product names",
        ),
    ],
)
def test_identity_and_confidence(query: ProductQuery, matched_by: str, confidence: str) -> None:
    found = match_product(query, MELSEC)
    assert found is not None
    assert (found.matched_by, found.confidence) == (matched_by, confidence)
    assert (found.status, found.product_id) == ("affected", "CSAFPID-0001")


@pytest.mark.parametrize(
    "query",
    [
        pytest.param(ProductQuery("R04CPU", "56", vendors=("Omron",)), id="model of another"),
        pytest.param(ProductQuery("MELSEC iQ-R series R04CPU", "56"), id="product without vendor"),
        pytest.param(
            ProductQuery("MELSEC iQ-R", "56", vendors=("Mitsubishi Electric",)), id="substring"
        ),
        pytest.param(
            ProductQuery(
                "x", "56", cpes=("cpe:2.3:o:*:melsec_iq-r_r04cpu_firmware:56:*:*:*:*:*:*:*",)
            ),
            id="cpe with vendor ANY",
        ),
    ],
)
def test_no_identity(query: ProductQuery) -> None:
    assert identify_product(query, MELSEC) is None


def test_cpe_vendor_and_product_count_as_names() -> None:
    query = ProductQuery(
        "driver",
        "1.0",
        cpes=("cpe:2.3:a:mitsubishielectric:melsec_iq-r_series_r04cpu:1.0:*:*:*:*:*:*:*",),
    )
    found = match_product(query, MELSEC)
    assert found is not None and found.matched_by == "name"


def test_purl_and_hash_are_high_confidence() -> None:
    django = ProductStatement(
        "Django Software Foundation",
        "Django",
        versions=(VersionEntry("4.2", "affected", "python", less_than="4.2.5"),),
        default_status="unaffected",
        purls=("pkg:pypi/django",),
        hashes=("SHA-256:ABC123",),
    )
    component = Component(
        ref="c1",
        name="Django",
        version="4.2.4",
        purl="pkg:pypi/django@4.2.4",
        hashes=(Hash("SHA-256", "abc123"),),
    )
    found = match_product(product_query(component), django)
    assert found is not None
    assert (found.matched_by, found.confidence, found.status) == ("purl", "high", "affected")
    artifact = Component(ref="c2", name="x", version="4.2.6", hashes=component.hashes)
    by_hash = match_product(product_query(artifact), django)
    assert by_hash is not None
    assert (by_hash.matched_by, by_hash.confidence, by_hash.status) == (
        "hash",
        "high",
        "unaffected",
    )


def test_a_versioned_statement_purl_names_that_version_only() -> None:
    pinned = ProductStatement("x", "lib", purls=("pkg:npm/lib@1.0.0",), default_status="affected")
    assert identify_product(ProductQuery("lib", "1.0.0", purls=("pkg:npm/lib@1.0.0",)), pinned)
    assert (
        identify_product(ProductQuery("lib", "1.0.1", purls=("pkg:npm/lib@1.0.1",)), pinned) is None
    )


def test_japanese_vendor_english_name_from_an_sbom_component() -> None:
    omron = ProductStatement(
        "OMRON Corporation",
        "CX-Programmer",
        versions=(VersionEntry("0", "affected", "custom", less_than_or_equal="9.81"),),
    )
    component = Component(ref="c", name="cx_programmer", version="9.80", supplier="OMRON")
    (found,) = match_products(product_query(component), [omron, MELSEC])
    assert (found.status, found.matched_by, found.matched) == (
        "affected",
        "name",
        "OMRON Corporation CX-Programmer",
    )


def test_product_query_takes_what_the_component_carries() -> None:
    component = Component(
        ref="c",
        name="R04CPU",
        version="57",
        supplier="Mitsubishi Electric",
        cpes=("cpe:2.3:h:mitsubishielectric:r04cpu:-:*:*:*:*:*:*:*",),
        hashes=(Hash("SHA-256", "aa"),),
    )
    query = product_query(component, vendors=("三菱電機",), model_numbers=("R04CPU",))
    assert query.vendors == ("Mitsubishi Electric", "三菱電機")
    assert query.hashes == ("SHA-256:aa",)
    assert query.model_numbers == ("R04CPU",)
    found = match_product(query, MELSEC)
    assert found is not None and found.status == "unaffected"  # 57 is not below 57
