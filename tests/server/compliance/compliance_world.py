"""A small world for the compliance tests: a router placed on the EU market (two releases), a
lab product that is not, people with each role, the three vulnerabilities of the
prioritisation tests (stored as OSV records, none in KEV yet) and findings of them.

- ``CVE-2024-0001`` (``KEV``) gets into KEV when a test imports a KEV file (:func:`kev_file`);
- ``CVE-2024-0002`` (``POC``) has an exploit reference only: a proof of concept;
- ``CVE-2024-0003`` (``NONE``) has nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from server.triage.prioritisation_world import (
    AUTOMATABLE_TOTAL,
    KEV,
    NONE,
    POC,
    USER_PARTIAL,
    make_finding,
    osv_record,
)
from vulndesk.server.accounts.services import organisation_default, team_create
from vulndesk.server.advisories.services import feeds_import
from vulndesk.server.findings.models import Finding
from vulndesk.server.inventory.models import Product, Release, Role
from vulndesk.server.inventory.services import product_create, product_grant, release_create

__all__ = ["KEV", "NONE", "POC", "T0", "World", "kev_file", "make_finding", "world"]

#: the controlled clock's start
T0 = datetime(2026, 9, 14, 9, 0, 0, tzinfo=UTC)


@dataclass
class World:
    alice: Any  # owner of router and lab
    edith: Any  # editor
    victor: Any  # viewer
    oscar: Any  # outsider: sees only his own product
    root: Any  # superuser
    router: Product  # placed on the EU market
    lab: Product  # not
    secret: Product  # oscar's
    r1: Release
    r2: Release
    lab1: Release
    findings: dict[str, Finding]  # router 1.0, per vulnerability
    lab_kev: Finding


def kev_file(folder: Path, *cves: str) -> Path:
    """Write a KEV catalog (CISA's JSON layout) listing ``cves`` and return its path."""
    path = folder / "known_exploited_vulnerabilities.json"
    catalog = {
        "title": "CISA Catalog of Known Exploited Vulnerabilities",
        "catalogVersion": "2026.09.14",
        "dateReleased": "2026-09-14T09:00:00.000Z",
        "count": len(cves),
        "vulnerabilities": [
            {
                "cveID": cve,
                "vendorProject": "Example",
                "product": "Thing",
                "vulnerabilityName": f"Example Thing {cve} Remote Code Execution",
                "dateAdded": "2026-09-14",
                "shortDescription": "exploited in the wild",
                "requiredAction": "Apply the update.",
                "dueDate": "2026-10-05",
                "knownRansomwareCampaignUse": "Unknown",
                "notes": "",
                "cwes": ["CWE-78"],
            }
            for cve in cves
        ],
    }
    path.write_text(json.dumps(catalog))
    return path


@pytest.fixture
def world(db: None, tmp_path: Path) -> World:
    users = {
        name: get_user_model().objects.create_user(name, email=f"{name}@example.org")
        for name in ("alice", "edith", "victor", "oscar")
    }
    root = get_user_model().objects.create_superuser("root", "root@example.org")
    org = organisation_default()
    owners = team_create(organisation=org, name="owners", members=[users["alice"]])
    editors = team_create(organisation=org, name="editors", members=[users["edith"]])
    viewers = team_create(organisation=org, name="viewers", members=[users["victor"]])
    others = team_create(organisation=org, name="others", members=[users["oscar"]])
    router = product_create(name="router", acting_user=users["alice"], team=owners)
    Product.objects.filter(pk=router.pk).update(eu_market=True)
    router.refresh_from_db()
    lab = product_create(name="lab", acting_user=users["alice"], team=owners)
    secret = product_create(name="secret", acting_user=root, team=others)
    for product in (router, lab):
        product_grant(product=product, team=editors, role=Role.EDITOR, acting_user=users["alice"])
        product_grant(product=product, team=viewers, role=Role.VIEWER, acting_user=users["alice"])
    r1 = release_create(product=router, version="1.0", acting_user=users["alice"])
    r2 = release_create(product=router, version="2.0", acting_user=users["alice"])
    lab1 = release_create(product=lab, version="1.0", acting_user=users["alice"])
    folder = tmp_path / "osv"
    folder.mkdir()
    records = [
        osv_record("GHSA-aaaa-aaaa-0001", KEV, vector=AUTOMATABLE_TOTAL),
        osv_record(
            "GHSA-aaaa-aaaa-0002", POC, vector=USER_PARTIAL, exploit="https://example.com/poc"
        ),
        osv_record("GHSA-aaaa-aaaa-0003", NONE),
    ]
    for record in records:
        (folder / f"{record['id']}.json").write_text(json.dumps(record))
    feeds_import(paths=[folder], actor_label="test")
    findings = {cve: make_finding(r1, cve) for cve in (KEV, POC, NONE)}
    lab_kev = make_finding(lab1, KEV)
    return World(
        users["alice"], users["edith"], users["victor"], users["oscar"], root,
        router, lab, secret, r1, r2, lab1, findings, lab_kev,
    )  # fmt: skip
