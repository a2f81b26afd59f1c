"""The real ``vulndesk`` command in a subprocess, on a fresh database of the backend under test."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from support import ROOT, shared_data

DEMO = ROOT / "src/vulndesk/demo/data"
SHOP = DEMO / "sboms/shop-web.cdx.json"
GATEWAY = DEMO / "sboms/api-gateway.spdx.json"


@pytest.fixture
def loaded(cli):  # type: ignore[no-untyped-def]
    result = cli("feeds", "import", DEMO / "osv")
    assert result.returncode == 0, result.stderr
    return cli


def test_first_use_creates_the_schema_and_import_reports_counts(cli_empty) -> None:  # type: ignore[no-untyped-def]
    result = cli_empty("feeds", "import", DEMO / "osv")
    assert result.returncode == 0, result.stderr
    assert "read 8 records: 8 new, 0 updated, 0 unchanged, 0 skipped" in result.stdout
    again = cli_empty("feeds", "import", DEMO / "osv")
    assert "0 new, 0 updated, 8 unchanged" in again.stdout


def test_scan_json_follows_the_contract(loaded) -> None:  # type: ignore[no-untyped-def]
    result = loaded("scan", SHOP, "--format", "json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert set(report) >= {"findings", "summary", "not_evaluated"}
    by_component = {f["component"]["name"]: f for f in report["findings"]}
    assert sorted(by_component) == ["jinja2", "pyyaml", "requests", "urllib3"]

    requests = by_component["requests"]
    assert requests["component"] == {
        "name": "requests",
        "version": "2.28.1",
        "purl": "pkg:pypi/requests@2.28.1",
        "bom_ref": "pkg:pypi/requests@2.28.1",
    }
    # GHSA and PYSEC records of one CVE are one finding, never one per source.
    assert requests["vulnerability"]["id"] == "CVE-2023-32681"
    assert requests["vulnerability"]["aliases"] == [
        "CVE-2023-32681",
        "GHSA-j8r2-6x86-q33q",
        "PYSEC-2023-74",
    ]
    assert requests["vulnerability"]["severity"]["rating"] == "MEDIUM"
    assert requests["vulnerability"]["severity"]["vector"].startswith("CVSS:3.1/")
    assert requests["fixed_versions"] == ["2.31.0"]
    assert "2.31.0" in requests["affected_range"]
    # The withdrawn DEMO-2024-0001 also names requests: it must not produce a finding.
    assert all("DEMO-2024-0001" not in f["vulnerability"]["aliases"] for f in report["findings"])

    assert report["summary"]["components"] == 12
    assert report["summary"]["findings"] == 4
    assert [n["component"]["name"] for n in report["not_evaluated"]] == ["billing-core"]
    assert report["not_evaluated"][0]["reason"]


def test_scan_table_and_spdx_input(loaded) -> None:  # type: ignore[no-untyped-def]
    result = loaded("scan", GATEWAY)
    assert result.returncode == 0, result.stderr
    assert "CVE-2020-28483" in result.stdout
    assert "CVE-2022-41723" in result.stdout
    assert "github.com/gin-gonic/gin" in result.stdout


@pytest.mark.parametrize(
    ("threshold", "code"), [("critical", 1), ("high", 1), ("low", 1)], ids=lambda v: str(v)
)
def test_fail_on_gates_the_exit_code(loaded, threshold: str, code: int) -> None:  # type: ignore[no-untyped-def]
    result = loaded("scan", SHOP, "--fail-on", threshold, "--format", "json")
    assert result.returncode == code
    assert json.loads(result.stdout)["findings"]


def test_fail_on_passes_when_nothing_reaches_the_threshold(loaded) -> None:  # type: ignore[no-untyped-def]
    # The gateway's worst rated finding is MEDIUM (the other has no rating at all).
    assert loaded("scan", GATEWAY, "--fail-on", "high").returncode == 0
    assert loaded("scan", GATEWAY, "--fail-on", "medium").returncode == 1


def test_scan_writes_the_report_to_a_file(loaded, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "report.json"
    result = loaded("scan", SHOP, "--format", "json", "--output", out)
    assert result.returncode == 0
    assert result.stdout == ""
    assert json.loads(out.read_text())["summary"]["findings"] == 4


def test_scan_on_an_empty_database_creates_the_schema_and_finds_nothing(cli_empty) -> None:  # type: ignore[no-untyped-def]
    result = cli_empty("scan", SHOP, "--format", "json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["findings"] == []


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b'{"bomFormat": "CycloneDX", "specVersion": "1.4", "components": [', "line 1"),
        (b"", "empty"),
        (b"just some text\n", "expected cyclonedx"),
    ],
    ids=["truncated-json", "empty-file", "not-an-sbom"],
)
def test_bad_sbom_exits_2_naming_the_file(
    cli, tmp_path: Path, content: bytes, expected: str
) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "broken.cdx.json"
    path.write_bytes(content)
    result = cli("scan", path)
    assert result.returncode == 2
    assert "broken.cdx.json" in result.stderr
    assert expected in result.stderr.lower()


def test_missing_files_exit_2(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert cli("scan", tmp_path / "nope.json").returncode == 2
    result = cli("feeds", "import", tmp_path / "nope.zip")
    assert result.returncode == 2
    assert "nope.zip" in result.stderr


def test_bad_single_advisory_file_exits_2_and_stores_nothing(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.json"
    bad.write_text(
        '{"id": "X-1", "modified": "2024-01-01T00:00:00Z", "affected": [{"package": 1}]}'
    )
    result = cli("feeds", "import", DEMO / "osv", bad)
    assert result.returncode == 2
    assert "bad.json" in result.stderr and "affected[0].package" in result.stderr
    # nothing was half-stored: the demo directory in the same command was rolled back too
    scan = cli("scan", SHOP, "--format", "json")
    assert json.loads(scan.stdout)["findings"] == []


def test_strict_import_refuses_a_zip_with_a_bad_record(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import zipfile

    path = tmp_path / "mixed.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("GOOD.json", (DEMO / "osv/PYSEC-2023-74.json").read_text())
        z.writestr("BAD.json", "{")
    lenient = cli("feeds", "import", path)
    assert lenient.returncode == 0
    assert "1 skipped" in lenient.stdout and "BAD.json" in lenient.stderr
    strict = cli("feeds", "import", "--strict", path)
    assert strict.returncode == 2
    assert "--strict stored nothing" in strict.stderr


@pytest.mark.shared
def test_real_osv_zips_import_and_a_real_sbom_scans(cli) -> None:  # type: ignore[no-untyped-def]
    pypi = shared_data("osv/PyPI/all.zip")
    go = shared_data("osv/Go/all.zip")
    result = cli("feeds", "import", pypi, go)
    assert result.returncode == 0, result.stderr
    assert "read 5209 records: 5209 new" in result.stdout
    bridge = shared_data("sbom/cyclonedx/proton-bridge__proton-bridge-v1.8.0.bom.json")
    scan = cli("scan", bridge, "--format", "json")
    assert scan.returncode == 0, scan.stderr
    report = json.loads(scan.stdout)
    ids = {f["vulnerability"]["id"] for f in report["findings"]}
    # golang.org/x/net at a 2020 pseudo-version is affected by the 2022 HPACK bug (GO-2023-1571)
    assert "CVE-2022-41723" in ids
    assert report["summary"]["evaluated"] > 100


def test_table_says_whether_a_vulnerable_component_is_direct_or_transitive(loaded) -> None:  # type: ignore[no-untyped-def]
    lines = loaded("scan", SHOP).stdout.splitlines()

    def relation(component: str) -> str:
        # the component cell holds "name version" and, on the table's next line, the relation
        row = next(i for i, line in enumerate(lines) if f"│ {component} " in line)
        column = lines[row].index(component)
        return lines[row + 1][column:].split("│")[0].strip()

    assert relation("pyyaml 5.3.1") == "(direct)"  # the shop depends on it itself
    assert relation("urllib3 1.26.12") == "(transitive)"  # through requests


def test_an_ics_sbom_finds_csaf_and_nvd_advisories_with_confidence(cli) -> None:  # type: ignore[no-untyped-def]
    """The issue's ICS journey on the command line: import CISA's real CSAF provider folder and
    an NVD-format file, scan a CPE-identified SBOM of ICS products."""
    cisa = shared_data("csaf/cisa-ot")
    nvd = ROOT / "tests/fixtures/feeds/ics/nvd-ics.json"
    result = cli("feeds", "import", cisa, nvd)
    assert result.returncode == 0, result.stderr
    scan = cli("scan", ROOT / "tests/fixtures/sbom/ics-products.cdx.json", "--format", "json")
    assert scan.returncode == 0, scan.stderr
    findings = {f["vulnerability"]["id"]: f for f in json.loads(scan.stdout)["findings"]}
    sicam = findings["CVE-2022-27480"]  # named by both CISA's CSAF and the NVD record: one finding
    assert set(sicam["vulnerability"]["aliases"]) == {
        "CVE-2022-27480",
        "ICSA-22-104-10:CVE-2022-27480",
    }
    assert sicam["confidence"] == "medium"  # a CPE match
    assert findings["CVE-2022-24310"]["confidence"] == "low"  # vendor and product names only
    table = cli("scan", ROOT / "tests/fixtures/sbom/ics-products.cdx.json")
    assert "(medium confidence)" in table.stdout and "(low confidence)" in table.stdout
