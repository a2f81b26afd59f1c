"""A small world for the prioritisation tests: people with each role on one product, three
vulnerabilities with different evidence, and findings stored straight through the ORM.

- ``CVE-2024-0001``: an OSV record (GHSA) with a network, no-privilege, no-interaction vector
  and high confidentiality and integrity impacts (automatable, total), in CISA KEV.
- ``CVE-2024-0002``: an OSV record with an exploit reference (type EVIDENCE) and a vector that
  needs user interaction (not automatable, partial impact): public PoC.
- ``CVE-2024-0003``: an OSV record with neither: no exploitation, default points.

Imported with the test module's fixtures: ``from prioritisation_world import *`` would hide
what is used, so each test module imports the fixtures it needs by name.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import count
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from vulndesk.core.scoring.kev import KevCatalog, KevEntry
from vulndesk.server.accounts.services import organisation_default, team_create
from vulndesk.server.advisories.services import feeds_import, kev_import
from vulndesk.server.findings.models import SEVERITY_RANK, Finding, FindingStatus
from vulndesk.server.inventory.models import (
    Component,
    ComponentIdentity,
    Product,
    Release,
    Role,
    SbomDocument,
)
from vulndesk.server.inventory.services import product_create, product_grant, release_create

AUTOMATABLE_TOTAL = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
USER_PARTIAL = "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:L/A:N"

KEV = "CVE-2024-0001"
POC = "CVE-2024-0002"
NONE = "CVE-2024-0003"

#: the points each vulnerability's evidence gives
POINTS = {
    KEV: ("active", "yes", "total"),
    POC: ("public poc", "no", "partial"),
    NONE: ("none", "no", "partial"),
}

#: every finding starts on this day, to the second (due dates are first_seen + days)
FIRST_SEEN = datetime(2026, 1, 10, 8, 30, 15, tzinfo=UTC)


def osv_record(ident: str, cve: str, *, vector: str | None = None, exploit: str | None = None):
    record: dict[str, Any] = {
        "schema_version": "1.6.0",
        "id": ident,
        "modified": "2026-01-01T00:00:00Z",
        "published": "2026-01-01T00:00:00Z",
        "aliases": [cve],
        "summary": f"test vulnerability {cve}",
        "affected": [
            {
                "package": {"ecosystem": "PyPI", "name": f"pkg-{cve.lower()}"},
                "ranges": [
                    {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.0"}]}
                ],
            }
        ],
        "references": [{"type": "WEB", "url": f"https://example.com/{cve}"}],
    }
    if vector:
        record["severity"] = [{"type": "CVSS_V3", "score": vector}]
    if exploit:
        record["references"].append({"type": "EVIDENCE", "url": exploit})
    return record


def kev_entry(cve: str, *, ransomware: bool | None = True) -> KevEntry:
    return KevEntry(
        cve_id=cve,
        vendor_project="Example",
        product="Thing",
        name=f"Example Thing {cve} Remote Code Execution",
        date_added=date(2026, 1, 5),
        short_description="exploited",
        required_action="Apply the update.",
        due_date=date(2026, 1, 26),
        ransomware_known=ransomware,
    )


def catalog(*cves: str) -> KevCatalog:
    return KevCatalog("2026.01.05", None, tuple(kev_entry(c) for c in cves))


@dataclass
class World:
    alice: Any  # owner
    edith: Any  # editor
    victor: Any  # viewer
    oscar: Any  # outsider
    root: Any  # superuser
    plant: Product
    release: Release
    findings: dict[str, Finding]


_serial = count(1)


def make_finding(release: Release, vulnerability_id: str, **fields: Any) -> Finding:
    """Store a finding of ``vulnerability_id`` in ``release`` (with its component)."""
    n = next(_serial)
    name = f"pkg-{vulnerability_id.lower()}"
    identity = ComponentIdentity.objects.create(
        key=f"pkg:pypi/{name}@1.0#{n}",
        purl=f"pkg:pypi/{name}@1.0",
        package=f"pkg:pypi/{name}",
        name=name,
        version="1.0",
    )
    sbom = SbomDocument.objects.filter(release=release).first() or SbomDocument.objects.create(
        release=release, file_name="x.json", content=b"{}", sha256="0" * 64, size=2
    )
    component = Component.objects.create(
        release=release, sbom=sbom, identity=identity, ref=f"ref-{n}", name=name,
        version="1.0", purl=identity.purl,
    )  # fmt: skip
    values: dict[str, Any] = {
        "aliases": [vulnerability_id],
        "severity": "high",
        "severity_rank": SEVERITY_RANK["high"],
        "status": FindingStatus.ACTIVE,
        "first_seen": FIRST_SEEN,
        "last_seen": FIRST_SEEN + timedelta(days=1),
        **fields,
    }
    return Finding.objects.create(
        product_id=release.product_id,
        release=release,
        component=component,
        identity=identity,
        vulnerability_id=vulnerability_id,
        component_name=name,
        component_version="1.0",
        purl=identity.purl,
        **values,
    )


def import_advisories(folder: Path) -> None:
    """Store the three OSV records and put CVE-2024-0001 in KEV."""
    folder.mkdir(exist_ok=True)
    records = [
        osv_record("GHSA-aaaa-aaaa-0001", KEV, vector=AUTOMATABLE_TOTAL),
        osv_record(
            "GHSA-aaaa-aaaa-0002",
            POC,
            vector=USER_PARTIAL,
            exploit="https://github.com/researcher/poc-0002",
        ),
        osv_record("GHSA-aaaa-aaaa-0003", NONE),
    ]
    for record in records:
        (folder / f"{record['id']}.json").write_text(json.dumps(record))
    feeds_import(paths=[folder], actor_label="test")
    kev_import(catalog=catalog(KEV), actor_label="test")


@pytest.fixture
def world(db: None, tmp_path: Path) -> World:
    """The world of the module docstring: findings of the three vulnerabilities in ``plant``
    1.0 (not yet prioritised: the refresh is what the tests call)."""
    alice, edith, victor, oscar = (
        get_user_model().objects.create_user(n) for n in ("alice", "edith", "victor", "oscar")
    )
    root = get_user_model().objects.create_superuser("root")
    org = organisation_default()
    owners = team_create(organisation=org, name="owners", members=[alice])
    editors = team_create(organisation=org, name="editors", members=[edith])
    viewers = team_create(organisation=org, name="viewers", members=[victor])
    team_create(organisation=org, name="others", members=[oscar])
    plant = product_create(name="plant", acting_user=alice, team=owners)
    product_grant(product=plant, team=editors, role=Role.EDITOR, acting_user=alice)
    product_grant(product=plant, team=viewers, role=Role.VIEWER, acting_user=alice)
    release = release_create(product=plant, version="1.0", acting_user=alice)
    import_advisories(tmp_path / "osv")
    findings = {cve: make_finding(release, cve) for cve in (KEV, POC, NONE)}
    return World(alice, edith, victor, oscar, root, plant, release, findings)


def reload(finding: Finding) -> Finding:
    return Finding.objects.get(pk=finding.pk)


#: the type of the fixtures' factory of findings, for annotations
MakeFinding = Callable[..., Finding]
