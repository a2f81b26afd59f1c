"""The release the remediation tests plan: ``shop 1.8.0`` with a hand-written SBOM analysed
against hand-written OSV records (tests/fixtures/remediation), and who may do what with it.

Components and their findings after the analysis (and the changes ``build`` makes):

- jinja2 2.10: PYSEC-2099-101 (fixed 2.10.1, high) and CVE-2099-0102 (GHSA-2099-0102 and
  PYSEC-2099-102, both fixed 2.11.3, medium): one upgrade to 2.11.3 clears both; PYSEC-2099-103
  affects 3.x only. Priority scheduled, due 3 days ago (overdue).
- urllib3 1.26.5 (transitive): PYSEC-2099-201 (fixed 1.26.17, critical) and PYSEC-2099-202
  (fixed 2.2.2 only, high): the upgrade is 2.2.2, across a major version. Priority immediate,
  due in 2 days.
- requests 2.25.0: PYSEC-2099-301 (no fix, low).
- pyyaml 5.3: PYSEC-2099-401, stated not affected by VEX: not in the plan.
- router-firmware 1.0: no purl, one finding written directly (CVE-2099-0901): no upgrade.
- certifi: no finding.

Users: alice owns the shop, edith edits it, victor views it, oscar sees nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from support import FIXTURES
from vulndesk.server.accounts.services import organisation_default, team_create
from vulndesk.server.advisories.services import feeds_import
from vulndesk.server.findings.models import SEVERITY_RANK, Finding, FindingStatus
from vulndesk.server.inventory.models import (
    Component,
    ComponentIdentity,
    Product,
    Release,
    Role,
    SbomDocument,
)
from vulndesk.server.inventory.services import (
    product_create,
    product_grant,
    release_create,
    sbom_analyse,
    sbom_upload,
)
from vulndesk.server.triage.models import PRIORITY_RANK

DATA = FIXTURES / "remediation"


@dataclass
class World:
    alice: Any
    edith: Any
    victor: Any
    oscar: Any
    product: Product
    release: Release
    components: dict[str, Component]


def build() -> World:
    """Create the users, the shop and its analysed release (see the module docstring)."""
    users = {name: get_user_model().objects.create_user(name) for name in
             ("alice", "edith", "victor", "oscar")}  # fmt: skip
    organisation = organisation_default()
    owners = team_create(organisation=organisation, name="owners", members=[users["alice"]])
    editors = team_create(organisation=organisation, name="editors", members=[users["edith"]])
    viewers = team_create(organisation=organisation, name="viewers", members=[users["victor"]])
    team_create(organisation=organisation, name="others", members=[users["oscar"]])
    product = product_create(name="shop", acting_user=users["alice"], team=owners)
    product_grant(product=product, team=editors, role=Role.EDITOR, acting_user=users["alice"])
    product_grant(product=product, team=viewers, role=Role.VIEWER, acting_user=users["alice"])
    release = release_create(product=product, version="1.8.0", acting_user=users["alice"])

    feeds_import(paths=[DATA / "osv"], actor_label="test")
    sbom = DATA / "shop.cdx.json"
    document = sbom_upload(
        release=release, file_name=sbom.name, content=sbom.read_bytes(), acting_user=None
    )
    sbom_analyse(sbom_id=document.pk)
    release.refresh_from_db()

    now = timezone.now()
    findings = Finding.objects.filter(release=release)
    _prioritise(findings.filter(component_name="urllib3"), "immediate", now + timedelta(days=2))
    _prioritise(findings.filter(component_name="jinja2"), "scheduled", now - timedelta(days=3))
    # whatever prioritisation made of the others: not assessed, no due date
    findings.filter(component_name="requests").update(priority="", priority_rank=0, due_at=None)
    findings.filter(component_name="pyyaml").update(analysis_state="not_affected")
    components = {c.name: c for c in Component.objects.filter(release=release)}
    components["router-firmware"] = _firmware_finding(release, document).component
    return World(
        users["alice"], users["edith"], users["victor"], users["oscar"], product, release,
        components,
    )  # fmt: skip


def _prioritise(findings: Any, priority: str, due_at: Any) -> None:
    findings.update(priority=priority, priority_rank=PRIORITY_RANK[priority], due_at=due_at)


def _firmware_finding(release: Release, document: SbomDocument) -> Finding:
    """A component without purl (matched by CPE, say) and its finding."""
    identity = ComponentIdentity.objects.create(
        key="cpe:2.3:o:example:router_firmware:1.0:*:*:*:*:*:*:*",
        cpe="cpe:2.3:o:example:router_firmware:1.0:*:*:*:*:*:*:*",
        name="router-firmware",
        version="1.0",
    )
    component = Component.objects.create(
        release=release,
        sbom=document,
        identity=identity,
        ref="firmware",
        name="router-firmware",
        version="1.0",
    )
    now = timezone.now()
    return Finding.objects.create(
        product_id=release.product_id,
        release=release,
        component=component,
        identity=identity,
        vulnerability_id="CVE-2099-0901",
        aliases=["CVE-2099-0901"],
        advisory_ids=["CVE-2099-0901"],
        severity="high",
        severity_rank=SEVERITY_RANK["high"],
        component_name="router-firmware",
        component_version="1.0",
        status=FindingStatus.ACTIVE,
        first_seen=now,
        last_seen=now,
    )
