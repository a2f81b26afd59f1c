"""``vulndesk scan --vex`` and ``vulndesk vex import|export``: the real command in a subprocess."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from support import ROOT

DEMO = ROOT / "src/vulndesk/demo/data"
SHOP = DEMO / "sboms/shop-web.cdx.json"


def openvex(path: Path, *statements: dict[str, Any], author: str = "Shop PSIRT") -> Path:
    path.write_text(
        json.dumps(
            {
                "@context": "https://openvex.dev/ns/v0.2.0",
                "@id": f"https://example.com/vex/{path.stem}",
                "author": author,
                "timestamp": "2024-01-01T00:00:00Z",
                "version": 1,
                "statements": list(statements),
            }
        )
    )
    return path


NOT_AFFECTED_REQUESTS = {
    "vulnerability": {"name": "CVE-2023-32681"},
    "products": [{"@id": "pkg:pypi/requests@2.28.1"}],
    "status": "not_affected",
    "justification": "vulnerable_code_not_in_execute_path",
}
AFFECTED_JINJA = {
    "vulnerability": {"name": "GHSA-h5c8-rqwp-cp95"},  # an alias of CVE-2024-22195
    "products": [{"@id": "pkg:pypi/jinja2"}],
    "status": "affected",
    "action_statement": "upgrade to 3.1.3",
}
NOT_AFFECTED_PYYAML = {
    "vulnerability": {"name": "CVE-2020-14343"},
    "products": [{"@id": "pkg:pypi/pyyaml@5.3.1"}],
    "status": "fixed",
}


@pytest.fixture
def loaded(cli):  # type: ignore[no-untyped-def]
    result = cli("feeds", "import", DEMO / "osv")
    assert result.returncode == 0, result.stderr
    return cli


def test_scan_with_vex_moves_stated_findings_out_and_says_who(loaded, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    vex = openvex(tmp_path / "psirt.json", NOT_AFFECTED_REQUESTS, AFFECTED_JINJA)
    result = loaded("scan", SHOP, "--format", "json", "--vex", vex)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    names = {f["component"]["name"]: f for f in report["findings"]}
    assert sorted(names) == ["jinja2", "pyyaml", "urllib3"]
    assert report["summary"]["findings"] == 3
    assert report["summary"]["suppressed"] == 1
    assert sum(report["summary"]["by_severity"].values()) == 3
    assert names["pyyaml"]["analysis"] is None
    jinja = names["jinja2"]["analysis"]
    assert (jinja["state"], jinja["action_statement"], jinja["author"]) == (
        "affected",
        "upgrade to 3.1.3",
        "Shop PSIRT",
    )
    [gone] = report["suppressed"]
    assert gone["component"]["name"] == "requests"
    assert gone["vulnerability"]["id"] == "CVE-2023-32681"
    assert gone["analysis"]["state"] == "not_affected"
    assert gone["analysis"]["justification"] == "vulnerable_code_not_in_execute_path"
    assert gone["analysis"]["author"] == "Shop PSIRT"
    assert gone["analysis"]["source"] == str(vex)

    table = loaded("scan", SHOP, "--vex", vex)
    assert table.returncode == 0, table.stderr
    assert "suppressed by VEX (1):" in table.stdout
    assert (
        "requests 2.28.1 / CVE-2023-32681: not affected (vulnerable code not in execute path), "
        "said by Shop PSIRT in" in table.stdout
    )
    assert "VEX: affected" in table.stdout


def test_scan_without_vex_keeps_the_contract(loaded) -> None:  # type: ignore[no-untyped-def]
    report = json.loads(loaded("scan", SHOP, "--format", "json").stdout)
    assert "suppressed" not in report and "suppressed" not in report["summary"]
    assert all("analysis" not in f for f in report["findings"])


def test_the_gate_ignores_what_vex_suppresses(loaded, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert loaded("scan", SHOP, "--fail-on", "critical").returncode == 1
    vex = openvex(tmp_path / "fixed.json", NOT_AFFECTED_PYYAML)
    assert loaded("scan", SHOP, "--fail-on", "critical", "--vex", vex).returncode == 0
    # two documents: the second does not undo the first
    other = openvex(tmp_path / "other.json", NOT_AFFECTED_REQUESTS)
    gated = loaded("scan", SHOP, "--fail-on", "medium", "--vex", vex, "--vex", other)
    assert gated.returncode == 1  # jinja2 and urllib3 are still there
    assert "2 finding(s) rated MEDIUM or higher" in gated.stderr


def test_a_bad_vex_file_stops_the_scan(loaded, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.json"
    bad.write_text('{"statements": []}')
    result = loaded("scan", SHOP, "--vex", bad)
    assert result.returncode == 2
    assert "bad.json" in result.stderr and "OpenVEX" in result.stderr
    missing = loaded("scan", SHOP, "--vex", tmp_path / "nope.json")
    assert missing.returncode == 2


def test_vex_import_and_export(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert cli("demo", "--no-serve").returncode == 0  # product 1: "Web shop" 2.3.0 and 2.4.0
    vex = openvex(tmp_path / "psirt.json", NOT_AFFECTED_REQUESTS, AFFECTED_JINJA)
    imported = cli("vex", "import", vex, "--product", "1")
    assert imported.returncode == 0, imported.stderr
    assert "2 statement(s) read, 2 stored for Web shop (author: Shop PSIRT)" in imported.stdout
    assert (
        "CVE-2023-32681 not_affected in pkg:pypi/requests 2.28.1: applies to 1 finding(s)"
        in imported.stdout
    )
    assert "CVE-2024-22195 affected in pkg:pypi/jinja2 every version: applies to 2" in (
        imported.stdout
    )

    for fmt in ("openvex", "cyclonedx", "csaf"):
        out = tmp_path / f"export.{fmt}.json"
        exported = cli("vex", "export", "--product", "1", "--format", fmt, "-o", out)
        assert exported.returncode == 0, exported.stderr
        from vulndesk.core.vex import read_vex

        doc = read_vex(out.read_bytes(), str(out))
        assert doc.format == fmt
        assert {s.vulnerability for s in doc.statements} == {"CVE-2023-32681", "CVE-2024-22195"}

    to_stdout = cli("vex", "export", "--product", "1", "--release", "1", "--include-unstated")
    assert to_stdout.returncode == 0, to_stdout.stderr
    statuses = {
        s["vulnerability"]["name"]: s["status"] for s in json.loads(to_stdout.stdout)["statements"]
    }
    assert statuses["CVE-2023-32681"] == "not_affected"
    assert statuses["CVE-2020-14343"] == "under_investigation"

    assert cli("vex", "export", "--product", "99").returncode == 2
    assert cli("vex", "export", "--product", "1", "--release", "3").returncode == 2  # API gateway's
    bad = cli("vex", "import", SHOP, "--product", "1")
    assert bad.returncode == 2
    assert "holds no VEX statements" in bad.stderr


def test_vex_record_with_a_range(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert cli("demo", "--no-serve").returncode == 0  # finding 1: requests 2.28.1 in Web shop
    reason = ("--state", "not_affected", "--justification", "component_not_present")
    bad = cli("vex", "record", "1", *reason, "--range", "vers:pypi/>=x")
    assert bad.returncode == 2
    assert (
        "vulndesk: error: range 'vers:pypi/>=x' cannot be read: 'x' is not a version (it has no "
        "digit)" in bad.stderr
    )
    outside = cli("vex", "record", "1", *reason, "--range", "vers:pypi/>=2.29.0")
    assert outside.returncode == 2
    assert "range 'vers:pypi/>=2.29.0' does not contain requests 2.28.1" in outside.stderr
    missing = cli("vex", "record", "1", *reason, "--scope", "range")
    assert missing.returncode == 2 and "needs the range" in missing.stderr

    recorded = cli("vex", "record", "1", *reason, "--range", "vers:pypi/>=2.28.0|<2.30.0")
    assert recorded.returncode == 0, recorded.stderr
    assert (
        "CVE-2023-32681 not_affected in pkg:pypi/requests versions vers:pypi/>=2.28.0|<2.30.0 "
        "(Web shop); applies to" in recorded.stdout
    )
    out = tmp_path / "export.cdx.json"
    assert cli("vex", "export", "--product", "1", "-f", "cyclonedx", "-o", out).returncode == 0
    [vulnerability] = json.loads(out.read_text())["vulnerabilities"]
    assert vulnerability["affects"][0]["versions"] == [{"range": "vers:pypi/>=2.28.0|<2.30.0"}]
    every = cli("vex", "record", "1", "--state", "fixed", "--scope", "any_version")
    assert every.returncode == 0, every.stderr
    assert "pkg:pypi/requests every version (Web shop)" in every.stdout
