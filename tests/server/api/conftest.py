"""Fixtures of the REST API tests: a product and who may do what with it, and API clients.

``shop`` is owned by team ``owners`` (alice); team ``viewers`` (victor) may view it, team
``editors`` (edith) edit it; ``outsider`` (oscar) is in a team with no grant at all, and
``root`` is a superuser. ``as_user(user)`` returns a test client that sends an API token of
that user with every request.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from itertools import count
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from support import ROOT
from vulndesk.server.accounts.models import Team
from vulndesk.server.accounts.services import organisation_default, team_create
from vulndesk.server.accounts.tokens import api_token_create
from vulndesk.server.advisories.services import feeds_import
from vulndesk.server.findings.models import SEVERITY_RANK, Finding, FindingStatus, GroupEpss
from vulndesk.server.inventory.models import (
    Component,
    ComponentIdentity,
    Product,
    Release,
    Role,
    SbomDocument,
)
from vulndesk.server.inventory.services import product_create, product_grant, release_create

DEMO = ROOT / "src/vulndesk/demo/data"


def make_user(name: str, **extra: Any) -> Any:
    # no password: these users log in by token or force_login, and Argon2 would cost 50 ms each
    return get_user_model().objects.create_user(name, **extra)


@dataclass
class World:
    alice: Any  # owner
    edith: Any  # editor
    victor: Any  # viewer
    oscar: Any  # outsider
    root: Any  # superuser
    owners: Team
    others: Team
    shop: Product
    release: Release


@pytest.fixture
def world(db: None) -> World:
    alice, edith, victor, oscar = (make_user(n) for n in ("alice", "edith", "victor", "oscar"))
    root = get_user_model().objects.create_superuser("root")
    org = organisation_default()
    owners = team_create(organisation=org, name="owners", members=[alice])
    editors = team_create(organisation=org, name="editors", members=[edith])
    viewers = team_create(organisation=org, name="viewers", members=[victor])
    others = team_create(organisation=org, name="others", members=[oscar])
    shop = product_create(name="shop", acting_user=alice, team=owners, tags=["web"])
    product_grant(product=shop, team=editors, role=Role.EDITOR, acting_user=alice)
    product_grant(product=shop, team=viewers, role=Role.VIEWER, acting_user=alice)
    release = release_create(product=shop, version="1.8.0", acting_user=alice)
    return World(alice, edith, victor, oscar, root, owners, others, shop, release)


@pytest.fixture
def as_user(db: None) -> Callable[[Any], Client]:
    """Return a factory of test clients authenticated with an API token of a user."""

    def client_for(user: Any) -> Client:
        _, raw = api_token_create(user=user, name="tests", acting_user=user)
        return Client(headers={"Authorization": f"Bearer {raw}"})

    return client_for


@pytest.fixture
def demo_advisories(db: None) -> None:
    """Import the demo OSV records, as ``vulndesk demo`` does."""
    feeds_import(paths=[DEMO / "osv"], actor_label="test")


_serial = count(1)


@pytest.fixture
def make_finding(db: None) -> Callable[..., Finding]:
    """Return a function storing a finding (with its component and identity) in the ORM."""
    return _finding


def _finding(release: Release, component: str = "lib", **fields: Any) -> Finding:
    n = next(_serial)
    version = fields.pop("component_version", "1.0")
    identity = ComponentIdentity.objects.create(
        key=f"pkg:pypi/{component}@{version}#{n}",
        purl=f"pkg:pypi/{component}@{version}",
        package=f"pkg:pypi/{component}",
        name=component,
        version=version,
    )
    row = Component.objects.create(
        release=release,
        sbom=_sbom_of(release),
        identity=identity,
        ref=f"ref-{n}",
        name=component,
        version=version,
        purl=identity.purl,
    )
    severity = fields.pop("severity", "medium")
    now = timezone.now()
    defaults: dict[str, Any] = {
        "vulnerability_id": f"CVE-2024-{n:05d}",
        "status": FindingStatus.ACTIVE,
        "first_seen": now - timedelta(days=n),
        "last_seen": now,
    }
    fields = {**defaults, **fields}
    epss = fields.pop("epss", None)  # the group's score, kept once per group
    if epss is not None:
        GroupEpss.objects.update_or_create(
            vulnerability_id=fields["vulnerability_id"], defaults={"epss": epss}
        )
    return Finding.objects.create(
        product_id=release.product_id,
        release=release,
        component=row,
        identity=identity,
        severity=severity,
        severity_rank=SEVERITY_RANK[severity],
        component_name=component,
        component_version=version,
        purl=identity.purl,
        **fields,
    )


def _sbom_of(release: Release) -> SbomDocument:
    document = SbomDocument.objects.filter(release=release).first()
    if document is None:
        document = SbomDocument.objects.create(
            release=release, file_name="x.json", content=b"{}", sha256="0" * 64, size=2
        )
    return document
