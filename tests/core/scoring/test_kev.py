"""CISA KEV: the JSON feed and its CSV form give the same entries."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import orjson
import pytest

from support import FIXTURES, shared_data
from vulndesk.core.advisories.model import ExploitEvidence
from vulndesk.core.errors import InputError
from vulndesk.core.scoring.kev import (
    KevEntry,
    kev_evidence,
    parse_kev_csv,
    parse_kev_json,
    read_kev,
)

KEV = FIXTURES / "feeds" / "kev"


def test_fixture_catalog() -> None:
    catalog = read_kev(KEV / "catalog.json")
    assert catalog.version == "2025.08.25"
    assert catalog.released == datetime(2025, 8, 25, 17, 4, 19, 979600, tzinfo=UTC)
    git, citrix = catalog.entries
    assert git == KevEntry(
        cve_id="CVE-2025-48384",
        vendor_project="Git",
        product="Git",
        name="Git Link Following Vulnerability",
        date_added=date(2025, 8, 25),
        short_description='Git contains a link following vulnerability, "quoted".',
        required_action="Apply mitigations per vendor instructions.",
        due_date=date(2025, 9, 15),
        ransomware_known=None,  # "Unknown" is not a denial
        notes="https://github.com/git/git/security/advisories/GHSA-vwqx-4fm8-6qc9",
        cwes=("CWE-59", "CWE-436"),
    )
    assert citrix.ransomware_known is True
    assert citrix.cwes == () and citrix.notes == ""


def test_fixture_csv_equals_json() -> None:
    from_csv = read_kev(KEV / "catalog.csv")
    assert (from_csv.version, from_csv.released) == (None, None)
    assert from_csv.entries == read_kev(KEV / "catalog.json").entries


@pytest.mark.shared
def test_real_catalog_json_and_csv_agree() -> None:
    json_path = shared_data("kev/known_exploited_vulnerabilities.json")
    csv_path = shared_data("kev/known_exploited_vulnerabilities.csv")
    from_json, from_csv = read_kev(json_path), read_kev(csv_path)
    assert len(from_json.entries) == orjson.loads(json_path.read_bytes())["count"] > 1000
    assert from_csv.entries == from_json.entries
    assert any(e.ransomware_known for e in from_json.entries)
    assert len({e.cve_id for e in from_json.entries}) == len(from_json.entries)


def test_evidence() -> None:
    entry = read_kev(KEV / "catalog.json").entries[1]
    assert kev_evidence(entry) == ExploitEvidence(
        kind="kev",
        source="CISA KEV",
        date=datetime(2023, 10, 18, tzinfo=UTC),
        detail="Citrix NetScaler ADC and NetScaler Gateway Buffer Overflow Vulnerability",
        due_date=datetime(2023, 11, 8, tzinfo=UTC),
        ransomware=True,
    )


def catalog(**change: object) -> dict[str, object]:
    obj = orjson.loads((KEV / "catalog.json").read_bytes())
    obj["vulnerabilities"][0].update(change)
    return obj  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("obj", "path"),
    [
        (catalog(cveID="CVE-25-1"), "$.vulnerabilities[0].cveID"),
        (catalog(dateAdded="25/08/2025"), "$.vulnerabilities[0].dateAdded"),
        (catalog(dueDate=None), "$.vulnerabilities[0].dueDate"),
        (
            catalog(knownRansomwareCampaignUse="Maybe"),
            "$.vulnerabilities[0].knownRansomwareCampaignUse",
        ),
        (catalog(cwes="CWE-59"), "$.vulnerabilities[0].cwes"),
        (catalog(cwes=["59"]), "$.vulnerabilities[0].cwes"),
        (catalog(product=3), "$.vulnerabilities[0].product"),
        ({**catalog(), "count": 3}, "$.count"),
        ({**catalog(), "dateReleased": "today"}, "$.dateReleased"),
        ({**catalog(), "vulnerabilities": {}}, "$.vulnerabilities"),
    ],
)
def test_bad_json_names_the_path(obj: dict[str, object], path: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_kev_json(obj, source="kev.json")
    assert (caught.value.source, caught.value.location) == ("kev.json", path)


def test_bad_csv_names_the_line() -> None:
    lines = (KEV / "catalog.csv").read_text().splitlines(keepends=True)
    bad = lines[2].replace("2023-11-08", "soon")
    with pytest.raises(InputError) as caught:
        parse_kev_csv([lines[0], lines[1], bad], source="kev.csv")
    assert caught.value.location == "line 3, dueDate"
    with pytest.raises(InputError, match="header lacks cveID"):
        parse_kev_csv(["cve,epss\n"], source="kev.csv")


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read"):
        read_kev(tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text('{"catalogVersion": ')
    with pytest.raises(InputError, match="not valid JSON"):
        read_kev(broken)
