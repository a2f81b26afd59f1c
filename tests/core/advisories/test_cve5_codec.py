"""CVE JSON 5: records with CNA and ADP containers, the CVE List checkout, zips and deltas."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from support import FIXTURES
from vulndesk.core.advisories.cve5 import (
    Cve5Change,
    cve5_record_path,
    parse_cve5,
    parse_cve5_delta,
    read_cve5,
    read_cve5_delta,
    reference_type,
)
from vulndesk.core.advisories.model import (
    Advisory,
    ExploitEvidence,
    LocalizedText,
    ProductStatement,
    Reference,
    Severity,
    VersionEntry,
)
from vulndesk.core.advisories.sources import RecordProblem
from vulndesk.core.errors import AdvisoryError

CVELIST = FIXTURES / "feeds" / "cve5" / "cvelist"
PUBLISHED = CVELIST / "cves" / "2024" / "1xxx" / "CVE-2024-1234.json"
REJECTED = CVELIST / "cves" / "2023" / "44xxx" / "CVE-2023-44487.json"


def load(path: Path) -> Advisory:
    return parse_cve5(orjson.loads(path.read_bytes()), source=path.name)


def test_metadata_titles_and_descriptions() -> None:
    advisory = load(PUBLISHED)
    assert (advisory.id, advisory.source, advisory.schema_version) == (
        "CVE-2024-1234",
        "cve5",
        "5.1",
    )
    assert advisory.published == datetime(2024, 3, 1, 10, tzinfo=UTC)
    assert advisory.modified == datetime(2024, 5, 2, 13, 45, 10, 123000, tzinfo=UTC)
    assert advisory.summary == "Command injection in Example Gateway web UI"
    assert advisory.titles == (
        LocalizedText("en", "Command injection in Example Gateway web UI"),
        LocalizedText("en", "CISA ADP Vulnrichment"),
        LocalizedText("en", "CVE Program Container"),
    )
    assert [d.lang for d in advisory.descriptions] == ["en", "ja"]
    assert advisory.details is not None and advisory.details.startswith("An OS command injection")
    assert advisory.aliases == ()
    assert not advisory.rejected


def test_ratings_keep_the_container_that_gave_them() -> None:
    assert load(PUBLISHED).severity == (
        Severity("CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", "example"),
        Severity(
            "CVSS_V4",
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
            "example",
        ),
        Severity("CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "CISA-ADP"),
    )


def test_cwes_from_cna_and_adp() -> None:
    assert load(PUBLISHED).cwes == ("CWE-78", "CWE-77")


def test_ssvc_and_kev_from_cisa_adp() -> None:
    advisory = load(PUBLISHED)
    assert advisory.exploitation == (
        ExploitEvidence(
            kind="ssvc",
            source="CISA-ADP",
            date=datetime(2024, 5, 2, 13, 40, tzinfo=UTC),
            detail="SSVC Exploitation: active",
        ),
        ExploitEvidence(
            kind="kev",
            source="CISA-ADP",
            date=datetime(2024, 5, 1, tzinfo=UTC),
            detail="https://www.cisa.gov/known-exploited-vulnerabilities-catalog?search=CVE-2024-1234",
        ),
    )
    assert advisory.database_specific["ssvc"] == [
        {
            "source": "CISA-ADP",
            "role": "CISA Coordinator",
            "version": "2.0.3",
            "timestamp": "2024-05-02T13:40:00.000Z",
            "options": {"Exploitation": "active", "Automatable": "no", "Technical Impact": "total"},
        }
    ]


def test_affected_products_with_changes_and_packages() -> None:
    gateway, client, adp = load(PUBLISHED).products
    assert gateway == ProductStatement(
        vendor="Example Corp",
        product="Example Gateway",
        versions=(
            VersionEntry(
                "3.0",
                "affected",
                version_type="custom",
                less_than="3.*",
                changes=(("3.1.4", "unaffected"), ("3.2.0", "affected"), ("3.2.5", "unaffected")),
            ),
            VersionEntry("2.9.9", "unknown"),
        ),
        default_status="unaffected",
        cpes=("cpe:2.3:h:example:gateway:*:*:*:*:*:*:*:*",),
        platforms=("x86_64", "ARM"),
        product_id="$.containers.cna.affected[0]",
    )
    assert (client.vendor, client.product, client.purls) == (
        "https://pypi.org",
        "example-gateway-client",
        ("pkg:pypi/example-gateway-client",),
    )
    assert client.versions == (
        VersionEntry("0", "affected", version_type="python", less_than_or_equal="1.4.2"),
    )
    assert adp.product_id == "$.containers.adp[0].affected[0]"
    assert adp.default_status == "unknown"


def test_references_once_per_url_typed_by_tags() -> None:
    assert load(PUBLISHED).references == (
        Reference("ADVISORY", "https://example.com/psirt/EX-2024-07"),
        Reference("FIX", "https://example.com/releases/3.2.5"),
        Reference("EVIDENCE", "https://github.com/researcher/gateway-rce"),
    )


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        (["Patch", "Vendor Advisory"], "FIX"),
        (["x_refsource_MISC"], "WEB"),
        (["issue-tracking"], "REPORT"),
        (["Mailing List"], "DISCUSSION"),
        ([], "WEB"),
    ],
)
def test_reference_type(tags: list[str], expected: str) -> None:
    assert reference_type(tags) == expected


def test_rejected_record() -> None:
    advisory = load(REJECTED)
    assert advisory.rejected
    assert advisory.modified == datetime(2023, 10, 10, tzinfo=UTC)
    assert advisory.published is None
    assert advisory.details is not None and advisory.details.startswith("DO NOT USE")
    assert advisory.products == () and advisory.severity == ()


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (lambda r: r["cveMetadata"].update(state="RESERVED"), "$.cveMetadata.state"),
        (lambda r: r["cveMetadata"].update(cveId=12), "$.cveMetadata.cveId"),
        (lambda r: r["containers"]["cna"].update(metrics={}), "$.containers.cna.metrics"),
        (
            lambda r: r["containers"]["cna"]["affected"][0]["versions"][0].update(status="bad"),
            "$.containers.cna.affected[0].versions[0].status",
        ),
        (
            lambda r: r["containers"]["cna"]["affected"][0]["versions"][0]["changes"].append(
                {"at": "4", "status": "fixed"}
            ),
            "$.containers.cna.affected[0].versions[0].changes[3].status",
        ),
        (
            lambda r: r["containers"]["cna"]["affected"][1].pop("packageName"),
            "$.containers.cna.affected[1]",
        ),
        (
            lambda r: r["containers"]["adp"][0]["metrics"][1]["other"]["content"].update(options=3),
            "$.containers.adp[0].metrics[1].other.content.options",
        ),
        (
            lambda r: r["containers"]["adp"][1]["references"].append({"url": None}),
            "$.containers.adp[1].references[2].url",
        ),
    ],
)
def test_wrong_shapes_name_the_json_path(change: object, path: str) -> None:
    record = orjson.loads(PUBLISHED.read_bytes())
    change(record)  # type: ignore[operator]
    with pytest.raises(AdvisoryError) as caught:
        parse_cve5(record, source="r.json")
    assert caught.value.location == path


def test_checkout_yields_records_only() -> None:
    items = list(read_cve5(CVELIST, display="cvelistV5"))
    assert [(i.id if isinstance(i, Advisory) else i) for i in items] == [
        "CVE-2023-44487",
        "CVE-2024-1234",
    ]


def test_bad_record_in_checkout_is_a_problem(tmp_path: Path) -> None:
    folder = tmp_path / "cves" / "2024" / "0xxx"
    folder.mkdir(parents=True)
    (folder / "CVE-2024-0001.json").write_text('{"cveMetadata": []}')
    (folder / "CVE-2024-0002.json").write_text("{")
    problems = list(read_cve5(tmp_path, display="list"))
    assert problems == [
        RecordProblem(
            "list/cves/2024/0xxx/CVE-2024-0001.json",
            "$.cveMetadata: expected an object, got array",
        ),
        RecordProblem(
            "list/cves/2024/0xxx/CVE-2024-0002.json",
            problems[1].message,  # type: ignore[union-attr]
        ),
    ]
    assert "not valid JSON" in problems[1].message  # type: ignore[union-attr]


def _zip_of(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_release_zip_and_nested_daily_zip(tmp_path: Path) -> None:
    inner = _zip_of(
        {
            "cves/2024/1xxx/CVE-2024-1234.json": PUBLISHED.read_bytes(),
            "cves/delta.json": b"{}",
        }
    )
    outer = tmp_path / "2024-05-02_all_CVEs_at_midnight.zip"
    outer.write_bytes(_zip_of({"cves.zip": inner}))
    items = list(read_cve5(outer, display="daily.zip"))
    assert [i.id for i in items if isinstance(i, Advisory)] == ["CVE-2024-1234"]
    assert [(p.location, p.kind) for p in items if isinstance(p, RecordProblem)] == [
        ("daily.zip!cves.zip!cves/delta.json", "ignored")
    ]


def test_record_path() -> None:
    root = Path("list")
    assert cve5_record_path(root, "CVE-2024-1234") == root / "cves/2024/1xxx/CVE-2024-1234.json"
    assert cve5_record_path(root, "CVE-2021-44228") == root / "cves/2021/44xxx/CVE-2021-44228.json"
    assert cve5_record_path(root, "CVE-2024-0001") == root / "cves/2024/0xxx/CVE-2024-0001.json"
    with pytest.raises(AdvisoryError):
        cve5_record_path(root, "GHSA-xxxx")


def test_delta_log_keeps_latest_change_once() -> None:
    changes = parse_cve5_delta(
        orjson.loads((CVELIST / "cves" / "deltaLog.json").read_bytes()), source="deltaLog.json"
    )
    assert changes == (
        Cve5Change(
            "CVE-2024-1234",
            "new",
            datetime(2024, 5, 2, 13, 45, 10, 123000, tzinfo=UTC),
            "https://raw.githubusercontent.com/CVEProject/cvelistV5/main/cves/2024/1xxx/CVE-2024-1234.json",
        ),
    )


def test_delta_reads_listed_records_from_checkout() -> None:
    items = list(read_cve5_delta(CVELIST / "cves" / "delta.json", CVELIST, display="delta.json"))
    assert [i.id for i in items if isinstance(i, Advisory)] == ["CVE-2023-44487", "CVE-2024-1234"]
    (missing,) = [i for i in items if isinstance(i, RecordProblem)]
    assert "CVE-2024-9999 is listed in delta.json but not in the checkout" in missing.message


def test_bad_delta_names_the_path() -> None:
    with pytest.raises(AdvisoryError) as caught:
        parse_cve5_delta({"new": [{"cveId": "nope"}]}, source="delta.json")
    assert caught.value.location == "$.new[0].cveId"
