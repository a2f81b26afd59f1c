"""Records naming products by CPE or vendor/product: index keys, component keys, engine findings.

The ICS test reads real CISA ICS CSAF advisories (2022) and a hand-written NVD fixture naming
some of the same CVEs, and matches a hand-written SBOM of ICS products against both.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from vulndesk.core.advisories.csaf import read_csaf
from vulndesk.core.advisories.model import (
    Advisory,
    Affected,
    CpeConfiguration,
    CpeMatchCriterion,
    CpeNode,
    Event,
    ProductStatement,
    Range,
    Severity,
    VersionEntry,
)
from vulndesk.core.advisories.nvd import read_nvd
from vulndesk.core.matching import (
    AdvisoryIndex,
    ComponentQuery,
    LookupKey,
    MatchReport,
    NotEvaluated,
    advisory_lookup_keys,
    component_query,
    match_components,
    report_to_json,
)
from vulndesk.core.matching.evaluation import RegistrySchemes
from vulndesk.core.sbom.model import Component, Hash
from vulndesk.core.sbom.reader import read_sbom_file

FIXTURES = Path(__file__).parents[2] / "fixtures"
ICS_SBOM = FIXTURES / "sbom" / "ics-products.cdx.json"
ICS_NVD = FIXTURES / "feeds" / "ics" / "nvd-ics.json"
CISA_OT_2022 = Path("/work/shared/data/csaf/cisa-ot/2022")
SCHEMES = RegistrySchemes()
WHEN = datetime(2024, 1, 1, tzinfo=UTC)
SHA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"


def nvd(
    cve: str,
    *criteria: CpeMatchCriterion,
    platform: str | None = None,
    **extra: object,
) -> Advisory:
    """Return an NVD-like record: one configuration of ``criteria``, AND a platform if given."""
    nodes = [CpeNode("OR", cpe_match=criteria)]
    if platform is not None:
        nodes.append(CpeNode("OR", cpe_match=(CpeMatchCriterion(platform, vulnerable=False),)))
    configuration = CpeConfiguration(tuple(nodes), operator="AND" if platform else "OR")
    return Advisory(
        id=cve,
        modified=WHEN,
        source="nvd",
        cpe_configurations=(configuration,),
        **extra,  # type: ignore[arg-type]
    )


def products(record_id: str, *statements: ProductStatement, **extra: object) -> Advisory:
    """Return a CSAF/CVE 5-like record with product statements."""
    return Advisory(id=record_id, modified=WHEN, products=statements, **extra)  # type: ignore[arg-type]


def device(ref: str, name: str, version: str | None, **extra: object) -> Component:
    return Component(ref=ref, name=name, version=version, **extra)  # type: ignore[arg-type]


def keys(component: Component) -> list[tuple[str, str]]:
    query = component_query(component, SCHEMES)
    assert isinstance(query, ComponentQuery), query
    return [(c.key.ecosystem, c.key.name) for c in query.candidates]


def run(components: list[Component], *advisories: Advisory) -> MatchReport:
    index = AdvisoryIndex(advisories)
    return match_components(
        components,
        index.advisories_for,
        aliases=index.alias_groups(),
        group_records=index.advisories_by_id,
    )


# --- advisory_lookup_keys ---------------------------------------------------------------------


def test_osv_records_keep_their_affected_keys() -> None:
    record = Advisory(
        id="GHSA-aaaa-bbbb-cccc",
        modified=WHEN,
        affected=(
            Affected("PyPI", "Django", "django"),
            Affected("Ubuntu:22.04:LTS", "openssl", "openssl"),
            Affected("PyPI", "Django", "django"),
        ),
    )
    assert advisory_lookup_keys(record) == (
        LookupKey("PyPI", "django"),
        LookupKey("Ubuntu:22.04", "openssl"),
    )


def test_nvd_records_are_filed_under_vulnerable_criteria_vendor_and_product() -> None:
    record = nvd(
        "CVE-2022-0001",
        CpeMatchCriterion("cpe:2.3:o:Siemens:SICAM_A8000_CP-8031_firmware:*:*:*:*:*:*:*:*"),
        CpeMatchCriterion("cpe:2.3:a:*:mysql:*:*:*:*:*:*:*:*"),  # vendor ANY: no key
        CpeMatchCriterion("cpe:2.3:a:oracle:mysql*:*:*:*:*:*:*:*:*"),  # a pattern: no key
        CpeMatchCriterion("cpe:2.3:a:oracle:-:*:*:*:*:*:*:*:*"),  # product NA: no key
        CpeMatchCriterion("not a cpe"),
        platform="cpe:2.3:h:siemens:sicam_a8000_cp-8031:-:*:*:*:*:*:*:*",  # not vulnerable
    )
    assert advisory_lookup_keys(record) == (
        LookupKey("cpe", "siemens:sicam_a8000_cp-8031_firmware"),
    )


def test_product_statements_are_filed_under_every_identifier() -> None:
    statement = ProductStatement(
        vendor="Mitsubishi Electric Corporation",
        product="MELSEC iQ-R Series R04(EN)CPU",
        cpes=("cpe:2.3:o:mitsubishielectric:r04encpu_firmware:*:*:*:*:*:*:*:*",),
        purls=("pkg:pypi/Django@4.2", "pkg:generic/firmware@1"),
        model_numbers=("R04ENCPU",),
        skus=("R04-EN",),
        hashes=(f"SHA-256:{SHA.upper()}",),
    )
    assert advisory_lookup_keys(products("ICSA-22-356-03:CVE-2022-33324", statement)) == (
        LookupKey("cpe", "mitsubishielectric:r04encpu_firmware"),
        LookupKey("product", "mitsubishielectric:melseciqrseriesr04encpu"),
        LookupKey("model", "r04encpu"),
        LookupKey("model", "r04en"),
        LookupKey("hash", f"sha256:{SHA}"),
        LookupKey("PyPI", "django"),
    )


def test_na_vendors_and_long_names() -> None:
    na = ProductStatement(vendor="n/a", product="n/a")
    long = ProductStatement(vendor="Acme", product="x" * 800)
    found = advisory_lookup_keys(products("CVE-2024-1", na, long))
    assert found == (LookupKey("product", "acme:" + "x" * 495),)
    assert all(len(k.name) <= 500 for k in found)


# --- component_query -------------------------------------------------------------------------


def test_cpe_component_is_looked_up_by_cpe_product_and_model() -> None:
    component = device(
        "plc",
        "MELSEC iQ-R Series R04(EN)CPU",
        "60",
        cpes=("cpe:2.3:o:mitsubishielectric:r04encpu_firmware:60:*:*:*:*:*:*:*",),
        supplier="Mitsubishi Electric Corporation",
    )
    assert keys(component) == [
        ("cpe", "mitsubishielectric:r04encpu_firmware"),
        ("product", "mitsubishielectric:r04encpufirmware"),
        ("product", "mitsubishielectric:melseciqrseriesr04encpu"),
        ("model", "melseciqrseriesr04encpu"),
    ]


def test_component_with_a_supplier_or_a_hash_is_evaluated() -> None:
    by_supplier = device("a", "IGSS Data Server", "15.0", supplier="Schneider Electric SE")
    assert keys(by_supplier) == [
        ("product", "schneiderelectric:igssdataserver"),
        ("model", "igssdataserver"),
    ]
    by_hash = device("b", "fw.bin", "1.0", hashes=(Hash("SHA-256", SHA),))
    assert keys(by_hash) == [("model", "fwbin"), ("hash", f"sha256:{SHA}")]


def test_purl_component_gets_its_hash_keys_after_the_purl_keys_and_no_name_keys() -> None:
    component = device(
        "d",
        "django",
        "4.2",
        purl="pkg:pypi/django@4.2",
        cpes=("cpe:2.3:a:djangoproject:django:4.2:*:*:*:*:*:*:*",),
        supplier="Django Software Foundation",
        hashes=(Hash("SHA-256", SHA),),
    )
    assert keys(component) == [("PyPI", "django"), ("hash", f"sha256:{SHA}")]


def test_package_purl_problems_are_not_papered_over_by_names() -> None:
    # a language package whose version is invalid stays not evaluated, supplier or not
    component = device("p", "requests", None, purl="pkg:pypi/requests", supplier="PSF")
    result = component_query(component, SCHEMES)
    assert isinstance(result, NotEvaluated)
    assert result.reason == "no version"


def test_generic_purl_with_a_cpe_is_evaluated_by_cpe() -> None:
    component = device(
        "g",
        "sicam",
        "4.70",
        purl="pkg:generic/sicam@4.70",
        cpes=("cpe:2.3:o:siemens:sicam_a8000_cp-8031_firmware:4.70:*:*:*:*:*:*:*",),
    )
    assert keys(component)[0] == ("cpe", "siemens:sicam_a8000_cp-8031_firmware")


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        (
            {},
            "no package URL: identified only by name and version, which is not matched"
            " (never guessed)",
        ),
        ({"cpes": ("cpe:2.3:a:*:mysql:8.0:*:*:*:*:*:*:*",)}, "do not name both vendor and product"),
        ({"supplier": "n/a"}, "identified only by name and version"),
    ],
    ids=["name only", "cpe without vendor", "supplier n/a"],
)
def test_components_without_product_identifiers_stay_not_evaluated(
    extra: dict[str, object], reason: str
) -> None:
    result = component_query(device("x", "mysql", "8.0", **extra), SCHEMES)
    assert isinstance(result, NotEvaluated), result
    assert reason in result.reason


# --- the engine ------------------------------------------------------------------------------

FIRMWARE_CPE = "cpe:2.3:o:siemens:sicam_a8000_cp-8031_firmware:*:*:*:*:*:*:*:*"
SICAM = device(
    "sicam",
    "SICAM A8000 CP-8031",
    "V4.70",
    supplier="Siemens AG",
    cpes=("cpe:2.3:o:siemens:sicam_a8000_cp-8031_firmware:4.70:*:*:*:*:*:*:*",),
)
SICAM_STATEMENT = ProductStatement(
    vendor="Siemens",
    product="SICAM A8000 CP-8031",
    versions=(VersionEntry("0", "affected", less_than="V4.80"),),
    product_id="CSAFPID-0001",
)


def test_cpe_match_is_medium_with_the_criterion_and_bounds() -> None:
    record = nvd("CVE-2022-1", CpeMatchCriterion(FIRMWARE_CPE, version_end_excluding="4.80"))
    (finding,) = run([SICAM], record).findings
    assert finding.confidence == "medium"
    assert finding.affected_range == f"{FIRMWARE_CPE} <4.80"
    assert finding.fixed_versions == ("4.80",)


def test_unverified_platform_is_a_low_confidence_finding() -> None:
    record = nvd(
        "CVE-2022-2",
        CpeMatchCriterion(FIRMWARE_CPE, version_end_excluding="4.80"),
        platform="cpe:2.3:h:siemens:sicam_a8000_cp-8031:-:*:*:*:*:*:*:*",
    )
    (finding,) = run([SICAM], record).findings
    assert finding.confidence == "low"
    assert finding.affected_range.endswith("(platform unverified)")


def test_name_match_is_low_and_names_the_rule() -> None:
    record = products("ICSA-1:CVE-2022-3", SICAM_STATEMENT, source="csaf", aliases=("CVE-2022-3",))
    (finding,) = run([SICAM], record).findings
    assert finding.confidence == "low"
    assert finding.affected_range == "SICAM A8000 CP-8031 <V4.80 (CSAF CSAFPID-0001)"
    assert finding.vulnerability_id == "CVE-2022-3"


def test_nvd_and_csaf_records_of_one_cve_are_one_finding_at_the_highest_confidence() -> None:
    nvd_record = nvd(
        "CVE-2022-4",
        CpeMatchCriterion(FIRMWARE_CPE, version_end_excluding="4.80"),
        severity=(Severity("CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", "nvd"),),
    )
    csaf_record = products(
        "ICSA-1:CVE-2022-4",
        SICAM_STATEMENT,
        source="csaf",
        aliases=("CVE-2022-4",),
        severity=(Severity("CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "CISA"),),
    )
    (finding,) = run([SICAM], csaf_record, nvd_record).findings
    assert finding.advisory_ids == ("CVE-2022-4", "ICSA-1:CVE-2022-4")
    assert finding.confidence == "medium"
    assert finding.severity is not None and finding.severity.rating == "CRITICAL"
    assert finding.severity.source == "ICSA-1:CVE-2022-4"


def test_rejected_and_withdrawn_records_never_match() -> None:
    criterion = CpeMatchCriterion(FIRMWARE_CPE, version_end_excluding="4.80")
    rejected = nvd("CVE-2022-5", criterion, rejected=True)
    withdrawn = products("ICSA-1:CVE-2022-6", SICAM_STATEMENT, withdrawn=WHEN)
    report = run([SICAM], rejected, withdrawn)
    assert report.findings == () and report.undetermined == ()


def test_unknown_outcomes_are_undetermined_never_findings() -> None:
    undecidable = nvd("CVE-2022-7", CpeMatchCriterion(FIRMWARE_CPE, version_end_excluding="4.80"))
    statement = ProductStatement(
        "Siemens",
        "SICAM A8000 CP-8031",
        versions=(VersionEntry("0", "affected", less_than="V4.0"),),
    )
    component = device(
        "s",
        "SICAM A8000 CP-8031",
        "V4.70",
        supplier="Siemens",
        cpes=("cpe:2.3:o:siemens:sicam_a8000_cp-8031_firmware:4.70\\(3\\):*:*:*:*:*:*:*",),
    )
    report = run([component], undecidable, products("CVE-2022-8", statement))
    assert report.findings == ()
    assert [(u.vulnerability_id, u.advisory_ids) for u in report.undetermined] == [
        ("CVE-2022-7", ("CVE-2022-7",)),
        ("CVE-2022-8", ("CVE-2022-8",)),
    ]
    assert "cannot be ordered" in report.undetermined[0].reason
    assert "no entry covers version 'V4.70'" in report.undetermined[1].reason


def test_the_strongest_identifier_decides_and_fixed_versions_are_listed() -> None:
    component = device(
        "fw", "SICAM A8000 CP-8031", "4.70", supplier="Siemens", hashes=(Hash("SHA-256", SHA),)
    )
    by_name = ProductStatement(
        "Siemens", "SICAM A8000 CP-8031", versions=(VersionEntry("0", "affected", less_than="5"),)
    )
    by_hash = ProductStatement(
        "Siemens",
        "build",
        versions=(VersionEntry("4.70", "unaffected"),),
        hashes=(f"sha256:{SHA}",),
    )
    # the exact build is declared unaffected: the name-only range does not outweigh it
    assert run([component], products("CVE-2022-9", by_name, by_hash)).findings == ()
    cve5 = ProductStatement(
        "Siemens",
        "SICAM A8000 CP-8031",
        versions=(
            VersionEntry("4.0", "affected", less_than="4.80"),
            VersionEntry("4.80", "unaffected", less_than="*"),
        ),
    )
    (finding,) = run([component], products("CVE-2022-10", cve5, source="cve5")).findings
    assert finding.fixed_versions == ("4.80",)
    assert finding.affected_range == "SICAM A8000 CP-8031 >=4.0, <4.80 (CVE5)"


def test_hash_match_is_high() -> None:
    component = device("fw", "fw.bin", "1.0", hashes=(Hash("SHA-256", SHA),))
    statement = ProductStatement(
        "Acme", "Router", default_status="affected", hashes=(f"SHA256:{SHA}",)
    )
    (finding,) = run([component], products("CVE-2022-11", statement)).findings
    assert finding.confidence == "high"


def test_go_package_named_like_a_product_matches_nothing() -> None:
    """Dependency-Track #3063: a Go SQL driver called "mysql" matched ~200 MySQL CVEs."""
    driver = device(
        "driver", "mysql", "1.5.0", purl="pkg:golang/github.com/go-sql-driver/mysql@1.5.0"
    )
    nameless = device("nameless", "mysql", "1.5.0")
    oracle_cpe = nvd(
        "CVE-2020-1",
        CpeMatchCriterion("cpe:2.3:a:oracle:mysql:*:*:*:*:*:*:*:*", version_end_including="8.0"),
    )
    any_vendor = nvd("CVE-2020-2", CpeMatchCriterion("cpe:2.3:a:*:mysql:*:*:*:*:*:*:*:*"))
    oracle_cve5 = products(
        "CVE-2020-3", ProductStatement("Oracle", "MySQL", default_status="affected"), source="cve5"
    )
    nobody = products(
        "CVE-2020-4", ProductStatement("n/a", "mysql", default_status="affected"), source="cve5"
    )
    report = run([driver, nameless], oracle_cpe, any_vendor, oracle_cve5, nobody)
    assert report.findings == ()
    assert report.undetermined == ()
    assert [n.component.ref for n in report.not_evaluated] == ["nameless"]


def test_report_json_carries_confidence_when_asked() -> None:
    record = nvd("CVE-2022-12", CpeMatchCriterion(FIRMWARE_CPE, version_end_excluding="4.80"))
    report = run([SICAM], record)
    assert report_to_json(report, confidence=True)["findings"][0]["confidence"] == "medium"
    assert "confidence" not in report_to_json(report)["findings"][0]


def test_osv_findings_are_high() -> None:
    record = Advisory(
        id="PYSEC-1",
        modified=WHEN,
        affected=(
            Affected(
                "PyPI",
                "django",
                "django",
                ranges=(Range("ECOSYSTEM", (Event("introduced", "0"), Event("fixed", "5.0"))),),
            ),
        ),
    )
    component = device("d", "django", "4.2", purl="pkg:pypi/django@4.2")
    (finding,) = run([component], record).findings
    assert finding.confidence == "high"


# --- the ICS test: real CISA CSAF advisories and an NVD fixture ------------------------------


@pytest.fixture(scope="module")
def ics_report() -> MatchReport:
    if not CISA_OT_2022.is_dir():
        pytest.skip(f"{CISA_OT_2022} is absent: the CISA ICS CSAF advisories are not installed")
    records = [*read_csaf(CISA_OT_2022), *read_nvd(ICS_NVD)]
    advisories = [r for r in records if isinstance(r, Advisory)]
    assert len(advisories) == len(records), [r for r in records if not isinstance(r, Advisory)]
    index = AdvisoryIndex(advisories)
    sbom = read_sbom_file(ICS_SBOM)
    return match_components(
        sbom.components,
        index.advisories_for,
        aliases=index.alias_groups(),
        group_records=index.advisories_by_id,
    )


IGSS_CVES = [f"CVE-2022-{n}" for n in range(24310, 24318)]


def test_ics_products_have_findings_for_the_right_cves(ics_report: MatchReport) -> None:
    found = sorted((f.component.ref, f.vulnerability_id) for f in ics_report.findings)
    assert found == sorted(
        [
            ("sicam-cp8031-old", "CVE-2022-27480"),
            ("melsec-r04encpu", "CVE-2022-33324"),
            *(("igss-data-server", cve) for cve in IGSS_CVES),
        ]
    )


def test_ics_one_finding_per_cve_across_nvd_and_csaf(ics_report: MatchReport) -> None:
    (sicam,) = [f for f in ics_report.findings if f.component.ref == "sicam-cp8031-old"]
    assert sicam.advisory_ids == ("CVE-2022-27480", "ICSA-22-104-10:CVE-2022-27480")
    assert sicam.confidence == "medium"  # NVD's CPE match outranks CSAF's name match
    assert sicam.affected_range == (
        "cpe:2.3:o:siemens:sicam_a8000_cp-8031_firmware:*:*:*:*:*:*:*:* <4.80; "
        "SICAM A8000 CP-8031 <V4.80 (CSAF CSAFPID-0001)"
    )
    assert sicam.fixed_versions == ("4.80",)


def test_ics_confidence_low_for_names_and_unverified_platforms(ics_report: MatchReport) -> None:
    igss = [f for f in ics_report.findings if f.component.ref == "igss-data-server"]
    assert {f.confidence for f in igss} == {"low"}
    assert {f.advisory_ids for f in igss} == {(f"ICSA-22-046-01:{c}",) for c in IGSS_CVES}
    (melsec,) = [f for f in ics_report.findings if f.component.ref == "melsec-r04encpu"]
    # NVD names the hardware as a platform, which the SBOM cannot confirm; CSAF writes
    # "<=firmware_65", which cannot be ordered against "60" (undecided, not a second record)
    assert melsec.confidence == "low"
    assert melsec.advisory_ids == ("CVE-2022-33324",)
    assert melsec.affected_range.endswith("<=65 (platform unverified)")


def test_ics_fixed_version_and_other_vendors_have_no_findings(ics_report: MatchReport) -> None:
    refs = {f.component.ref for f in ics_report.findings}
    assert "sicam-cp8031-fixed" not in refs
    assert "acme-lookalike" not in refs  # same product name, another vendor
    # CSAF says nothing about V4.80 ("< V4.80" affected, nothing fixed): undecided, not a finding
    assert [(u.component.ref, u.vulnerability_id) for u in ics_report.undetermined] == [
        ("sicam-cp8031-fixed", "CVE-2022-27480")
    ]
    assert ics_report.not_evaluated == ()


def test_the_summary_comes_from_the_sources_in_the_documented_order() -> None:
    from datetime import UTC, datetime

    from vulndesk.core.matching.engine import _summary

    when = datetime(2024, 1, 1, tzinfo=UTC)
    nvd = Advisory(id="CVE-2024-1", modified=when, source="nvd", summary="NVD's words")
    cna = Advisory(id="CVE-2024-1", modified=when, source="cve5", summary="the CNA's words")
    csaf = Advisory(id="ICSA-1:CVE-2024-1", modified=when, source="csaf", summary="CVE-2024-1",
                    aliases=("CVE-2024-1",))  # fmt: skip
    assert _summary([csaf, nvd, cna]) == "the CNA's words"
    assert _summary([csaf, nvd]) == "NVD's words"
    assert _summary([csaf]) is None  # a title that only repeats the id says nothing
