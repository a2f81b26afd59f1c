"""The product the VEX tests triage: ``shop``, its releases built from small hand-written
CycloneDX SBOMs and analysed against the demo OSV records, and who may do what with it.

With the demo records, requests 2.28.1 (and every version from 2.3.0 to 2.30.0) has
CVE-2023-32681 (GHSA-j8r2-6x86-q33q, PYSEC-2023-74), pyyaml 5.3.1 has CVE-2020-14343
(GHSA-8q59-q68h-6hv4). Users: alice owns the shop, edith edits it, victor views it, oscar sees
nothing.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model

from support import ROOT
from vulndesk.server.accounts.services import organisation_default, team_create
from vulndesk.server.advisories.services import feeds_import
from vulndesk.server.findings.models import Finding
from vulndesk.server.inventory.models import Product, Release, Role
from vulndesk.server.inventory.services import (
    product_create,
    product_grant,
    release_create,
    sbom_analyse,
    sbom_upload,
)

DEMO_OSV = ROOT / "src/vulndesk/demo/data/osv"
REQUESTS_CVE = "CVE-2023-32681"
PYYAML_CVE = "CVE-2020-14343"


@dataclass
class World:
    alice: Any
    edith: Any
    victor: Any
    oscar: Any
    product: Product


def build() -> World:
    """Create the users, the product and its grants, and import the demo advisories."""
    users = get_user_model().objects
    alice, edith, victor, oscar = (
        users.create_user(name) for name in ("alice", "edith", "victor", "oscar")
    )
    org = organisation_default()
    owners = team_create(organisation=org, name="owners", members=[alice])
    editors = team_create(organisation=org, name="editors", members=[edith])
    viewers = team_create(organisation=org, name="viewers", members=[victor])
    team_create(organisation=org, name="others", members=[oscar])
    product = product_create(name="shop", acting_user=alice, team=owners)
    product_grant(product=product, team=editors, role=Role.EDITOR, acting_user=alice)
    product_grant(product=product, team=viewers, role=Role.VIEWER, acting_user=alice)
    feeds_import(paths=[DEMO_OSV], actor_label="test")
    return World(alice, edith, victor, oscar, product)


def cyclonedx(
    version: str, components: dict[str, str], *, serial: str | None = None, name: str = "shop"
) -> bytes:
    """Return a CycloneDX 1.6 SBOM of ``name`` ``version`` listing PyPI ``components``
    (name -> version), each with its purl as bom-ref."""
    bom: dict[str, Any] = {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1}
    if serial is not None:
        bom["serialNumber"] = serial
    bom["metadata"] = {
        "component": {"type": "application", "bom-ref": name, "name": name, "version": version}
    }
    bom["components"] = [
        {
            "type": "library",
            "bom-ref": f"pkg:pypi/{n}@{v}",
            "name": n,
            "version": v,
            "purl": f"pkg:pypi/{n}@{v}",
        }
        for n, v in components.items()
    ]
    return json.dumps(bom, indent=1).encode()


def release(
    world: World,
    version: str,
    components: dict[str, str],
    *,
    serial: str | None = None,
    product: Product | None = None,
) -> Release:
    """Create a release of ``product`` (the shop) with an SBOM of ``components`` and analyse it
    (no worker needed)."""
    created = release_create(
        product=product or world.product, version=version, acting_user=world.alice
    )
    content = cyclonedx(version, components, serial=serial)
    document = sbom_upload(
        release=created,
        file_name=f"shop-{version}.cdx.json",
        content=content,
        acting_user=world.alice,
    )
    sbom_analyse(sbom_id=document.pk)
    created.refresh_from_db()
    return created


def finding(release: Release, component: str, vulnerability_id: str) -> Finding:
    """Return the finding of ``vulnerability_id`` in ``component`` of ``release``."""
    return Finding.objects.select_related("product", "release").get(
        release=release, component_name=component, vulnerability_id=vulnerability_id
    )


def new_serial() -> str:
    return f"urn:uuid:{uuid.uuid4()}"


def widened_requests_advisory(folder: Path) -> Path:
    """Write the GHSA record of CVE-2023-32681 as corrected later: affected from 2.0.0 (was
    2.3.0), modified a year on. Return the folder holding it."""
    record = json.loads((DEMO_OSV / "GHSA-j8r2-6x86-q33q.json").read_text())
    record["modified"] = "2024-05-22T20:36:32Z"
    record["affected"][0]["ranges"][0]["events"][0] = {"introduced": "2.0.0"}
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "GHSA-j8r2-6x86-q33q.json").write_text(json.dumps(record))
    return folder
