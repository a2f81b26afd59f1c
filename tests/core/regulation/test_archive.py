"""The auditors' evidence archive: members, manifest hashes, safe names, determinism, size cap."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from datetime import UTC, datetime
from pathlib import PurePosixPath

import pytest

from vulndesk.core.errors import InputError
from vulndesk.core.regulation.archive import (
    AdvisoryEntry,
    ArchiveProduct,
    FindingEntry,
    HandlingRecord,
    RemediationEntry,
    SbomRelease,
    TriageEntry,
    evidence_archive,
    safe_member_name,
)
from vulndesk.core.regulation.clocks import Regime, ReportKind
from vulndesk.core.regulation.reports import (
    CraReportContent,
    Exploitation,
    Manufacturer,
    ProductDetails,
    report_json,
)

NOW = datetime(2026, 11, 22, 10, 0, 4, tzinfo=UTC)
PRODUCT = ArchiveProduct(
    name="Widget", manufacturer="ACME Devices", identifiers=("pkg:generic/acme/widget",)
)
SBOM_1 = b'{"bomFormat": "CycloneDX", "specVersion": "1.6", "serialNumber": "urn:uuid:1"}'
SBOM_2 = b'{"spdxVersion": "SPDX-2.3", "name": "widget 2.1"}\r\n'
HISTORY = (
    # given newest first: the archive writes them in time order
    SbomRelease(
        release="2.1",
        released_at=datetime(2026, 10, 1, tzinfo=UTC),
        file_name="C:\\builds\\widget.spdx.json",
        content=SBOM_2,
        top_level_dependencies=("pkg:pypi/requests@2.32.3",),
        sbom_format="SPDX 2.3",
    ),
    SbomRelease(
        release="2.0",
        released_at=datetime(2026, 6, 1, tzinfo=UTC),
        file_name="../../etc/passwd.cdx.json",
        content=SBOM_1,
        top_level_dependencies=("pkg:pypi/requests@2.31.0", "pkg:pypi/flask@3.0.0"),
        sbom_format="CycloneDX 1.6",
    ),
)
RECORD = HandlingRecord(
    findings=(
        FindingEntry(
            finding_id="F-2",
            vulnerability_ids=("CVE-2026-2",),
            component="pkg:pypi/flask@3.0.0",
            first_seen_at=datetime(2026, 11, 1, tzinfo=UTC),
            status="not_affected",
        ),
        FindingEntry(
            finding_id="F-1",
            vulnerability_ids=("CVE-2024-35195", "GHSA-9wx4-h78v-vm56"),
            component="pkg:pypi/requests@2.31.0",
            first_seen_at=datetime(2026, 6, 2, tzinfo=UTC),
            resolved_at=datetime(2026, 10, 1, tzinfo=UTC),
            status="fixed",
            releases=("2.0",),
        ),
    ),
    triage=(
        TriageEntry(
            finding_id="F-2",
            status="not_affected",
            decided_at=datetime(2026, 11, 2, tzinfo=UTC),
            justification="vulnerable_code_not_in_execute_path",
            statement="影響なし: the debugger is never enabled",
            decided_by="psirt@acme.example",
        ),
    ),
    remediations=(
        RemediationEntry(
            finding_id="F-1",
            action="upgrade requests 2.31.0 -> 2.32.3",
            done_at=datetime(2026, 9, 20, tzinfo=UTC),
            release="2.1",
        ),
    ),
    advisories=(
        AdvisoryEntry(
            advisory_id="ACME-SA-2026-01",
            title="requests upgrade in Widget 2.1",
            published_at=datetime(2026, 10, 2, tzinfo=UTC),
            vulnerability_ids=("CVE-2024-35195",),
            url="https://acme.example/security/ACME-SA-2026-01",
        ),
    ),
)
EARLY = CraReportContent(
    regime=Regime.CRA_VULNERABILITY,
    kind=ReportKind.EARLY_WARNING,
    manufacturer=Manufacturer(name="ACME Devices"),
    product=ProductDetails(name="Widget", versions_affected=("2.1",)),
    exploitation=Exploitation(evidence="CSIRT report"),
    member_states_unknown=True,
    aware_at=datetime(2026, 11, 20, 15, 30, tzinfo=UTC),
    due_at=datetime(2026, 11, 21, 15, 30, tzinfo=UTC),
    submitted_at=datetime(2026, 11, 21, 9, 0, tzinfo=UTC),
)
LATE = CraReportContent(
    regime=Regime.CRA_VULNERABILITY,
    kind=ReportKind.NOTIFICATION,
    aware_at=datetime(2026, 11, 20, 15, 30, tzinfo=UTC),
    due_at=datetime(2026, 11, 23, 15, 30, tzinfo=UTC),
    submitted_at=datetime(2026, 11, 24, 9, 0, tzinfo=UTC),
)


def build(**overrides: object) -> bytes:
    arguments: dict[str, object] = {
        "product": PRODUCT,
        "sbom_history": HISTORY,
        "handling_record": RECORD,
        "reports": (EARLY, LATE),
        "now": NOW,
    }
    arguments.update(overrides)
    return evidence_archive(**arguments)  # type: ignore[arg-type]


def members(archive: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(archive)) as opened:
        assert opened.testzip() is None
        return {name: opened.read(name) for name in opened.namelist()}


def test_members_in_sorted_order() -> None:
    with zipfile.ZipFile(io.BytesIO(build())) as opened:
        names = opened.namelist()
        assert names == sorted(names)
        assert names == [
            "handling-record.json",
            "manifest.json",
            "reports/01-cra_vulnerability-early_warning.json",
            "reports/01-cra_vulnerability-early_warning.pdf",
            "reports/02-cra_vulnerability-notification.json",
            "reports/02-cra_vulnerability-notification.pdf",
            "sbom-history.json",
            "sboms/2.0/passwd.cdx.json",
            "sboms/2.1/widget.spdx.json",
        ]
        for info in opened.infolist():
            assert info.date_time == (2026, 11, 22, 10, 0, 4)
            path = PurePosixPath(info.filename)
            assert not path.is_absolute()
            assert ".." not in path.parts
            assert info.filename.isascii()


def test_the_manifest_hashes_every_other_member() -> None:
    files = members(build())
    manifest = json.loads(files.pop("manifest.json"))
    assert manifest["schema"] == "vulndesk-evidence-archive/1"
    assert manifest["generated_at"] == "2026-11-22T10:00:04Z"
    assert manifest["product"]["name"] == "Widget"
    listed = {member["name"]: member for member in manifest["members"]}
    assert set(listed) == set(files)
    for name, data in files.items():
        assert listed[name]["sha256"] == hashlib.sha256(data).hexdigest()
        assert listed[name]["size"] == len(data)


def test_sboms_as_uploaded_and_their_history() -> None:
    files = members(build())
    assert files["sboms/2.0/passwd.cdx.json"] == SBOM_1
    assert files["sboms/2.1/widget.spdx.json"] == SBOM_2  # bytes untouched, CRLF included
    history = json.loads(files["sbom-history.json"])
    assert [release["release"] for release in history["releases"]] == ["2.0", "2.1"]
    first = history["releases"][0]
    assert first == {
        "release": "2.0",
        "released_at": "2026-06-01T00:00:00Z",
        "sbom": "sboms/2.0/passwd.cdx.json",
        "original_file_name": "../../etc/passwd.cdx.json",
        "format": "CycloneDX 1.6",
        "sha256": hashlib.sha256(SBOM_1).hexdigest(),
        "size": len(SBOM_1),
        "top_level_dependencies": ["pkg:pypi/requests@2.31.0", "pkg:pypi/flask@3.0.0"],
    }


def test_the_handling_record_in_time_order_with_the_reports() -> None:
    files = members(build())
    record = json.loads(files["handling-record.json"])
    assert [finding["finding_id"] for finding in record["findings"]] == ["F-1", "F-2"]
    assert record["findings"][0]["resolved_at"] == "2026-10-01T00:00:00Z"
    assert record["findings"][1]["resolved_at"] is None
    assert record["triage"][0]["statement"] == "影響なし: the debugger is never enabled"
    assert record["remediations"][0]["action"] == "upgrade requests 2.31.0 -> 2.32.3"
    assert record["advisories"][0]["published_at"] == "2026-10-02T00:00:00Z"
    early, late = record["reports"]
    assert (early["kind"], early["submitted_at"], early["on_time"]) == (
        "early_warning",
        "2026-11-21T09:00:00Z",
        True,
    )
    assert late["on_time"] is False
    assert late["pdf"] == "reports/02-cra_vulnerability-notification.pdf"
    assert json.loads(files[early["json"]]) == report_json(EARLY)
    assert files[early["pdf"]].startswith(b"%PDF-")


def test_the_same_evidence_gives_the_same_bytes() -> None:
    assert build() == build()
    assert build() != build(now=NOW.replace(second=6))


def test_without_pdfs() -> None:
    files = members(build(pdf_language=None))
    assert not [name for name in files if name.endswith(".pdf")]
    assert json.loads(files["handling-record.json"])["reports"][0]["pdf"] is None


def test_releases_whose_names_sanitise_alike_keep_both_sboms() -> None:
    twins = (
        SbomRelease("1.0/rc", datetime(2026, 1, 1, tzinfo=UTC), "bom.json", b"one"),
        SbomRelease("1.0_rc", datetime(2026, 1, 2, tzinfo=UTC), "bom.json", b"two"),
    )
    files = members(build(sbom_history=twins))
    assert files["sboms/1.0_rc/bom.json"] == b"one"
    assert files["sboms/1.0_rc-2/bom.json"] == b"two"


def test_the_size_cap() -> None:
    big = SbomRelease("3.0", NOW, "huge.cdx.json", b"x" * 10_000)
    with pytest.raises(InputError, match="limit of 5000 bytes") as raised:
        build(sbom_history=(big,), max_bytes=5_000)
    assert raised.value.location == "sboms/3.0/huge.cdx.json"
    build(sbom_history=(big,), max_bytes=1_000_000, pdf_language=None)  # under the cap


@pytest.mark.parametrize(
    ("uploaded", "safe"),
    [
        ("../../etc/passwd.cdx.json", "passwd.cdx.json"),
        ("/etc/passwd", "passwd"),
        ("..\\..\\windows\\win.ini", "win.ini"),
        ("C:\\sbom.json", "sbom.json"),
        ("..", "fallback"),
        ("", "fallback"),
        ("///", "fallback"),
        (".hidden.json", "hidden.json"),
        ("sbom (1).json", "sbom_1_.json"),
        ("製品.cdx.json", "_.cdx.json"),
        ("CON.json", "_CON.json"),
        ("nul", "_nul"),
        ("a\x00b\nc.json", "a_b_c.json"),
    ],
)
def test_safe_member_names(uploaded: str, safe: str) -> None:
    assert safe_member_name(uploaded, fallback="fallback") == safe


def test_long_names_keep_their_extension() -> None:
    name = safe_member_name("a" * 300 + ".cdx.json", fallback="sbom")
    assert len(name) <= 100
    assert name.endswith(".cdx.json")
