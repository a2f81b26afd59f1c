"""Fixtures of the disclosure tests: an organisation with a coordinator, a case with two
vendors, an observer and the reporter, an outsider, a superuser, and API clients.

- ``cora`` is in the organisation's PSIRT team and holds ``disclosure.triage_report`` through
  the group ``coordinators``: she triages reports and coordinates the case.
- ``vera`` (vendor Acme) and ``vince`` (vendor Bolt) and ``olga`` (observer) joined the case
  through invitations; ``paula`` holds the triage permission but is in no team of the
  organisation; ``oscar`` is an outsider; ``root`` is a superuser who is no participant.
- ``shop`` is a product of the organisation (team PSIRT owns it) with releases built from small
  hand-written CycloneDX SBOMs (``release_with``), analysed without a worker.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.test import Client

from vulndesk.server.accounts.models import Organisation, Team
from vulndesk.server.accounts.services import organisation_default, team_create
from vulndesk.server.accounts.tokens import api_token_create
from vulndesk.server.disclosure import reports, services
from vulndesk.server.disclosure.models import Case, Participant, Report
from vulndesk.server.disclosure.selectors import participant_for
from vulndesk.server.inventory.models import Product, Release
from vulndesk.server.inventory.services import (
    product_create,
    release_create,
    sbom_analyse,
    sbom_upload,
)


@dataclass
class World:
    organisation: Organisation
    psirt: Team
    cora: Any
    vera: Any
    vince: Any
    olga: Any
    paula: Any
    oscar: Any
    root: Any
    shop: Product


@dataclass
class CaseWorld:
    world: World
    report: Report
    secret: str  # the reporter's
    case: Case
    coordinator: Participant
    acme: Participant  # vera
    bolt: Participant  # vince
    observer: Participant  # olga
    reporter: Participant


def make_user(name: str, **extra: Any) -> Any:
    # no password: these users log in by token or force_login (Argon2 costs 50 ms each)
    return get_user_model().objects.create_user(name, email=f"{name}@example.org", **extra)


def grant_triage(user: Any) -> None:
    """Put ``user`` in the group ``coordinators``, which holds ``disclosure.triage_report``."""
    group, created = Group.objects.get_or_create(name="coordinators")
    if created:
        group.permissions.add(
            Permission.objects.get(codename="triage_report", content_type__app_label="disclosure")
        )
    user.groups.add(group)


@pytest.fixture
def world(db: None) -> World:
    organisation = organisation_default()
    cora, vera, vince, olga, paula, oscar = (
        make_user(n) for n in ("cora", "vera", "vince", "olga", "paula", "oscar")
    )
    root = get_user_model().objects.create_superuser("root", "root@example.org")
    psirt = team_create(organisation=organisation, name="psirt", members=[cora])
    grant_triage(cora)
    grant_triage(paula)  # the permission, but no team of the organisation
    other = Organisation.objects.create(name="Elsewhere", slug="elsewhere")
    team_create(organisation=other, name="elsewhere", members=[paula])
    shop = product_create(name="shop", acting_user=cora, team=psirt)
    return World(organisation, psirt, cora, vera, vince, olga, paula, oscar, root, shop)


def submit(world: World, **fields: Any) -> tuple[Report, str]:
    """Submit a report to the world's organisation through the public form."""
    data: dict[str, Any] = {
        "title": "SQL injection in the search",
        "description": "The q parameter reaches SQL unescaped.",
        "reporter_email": "finder@example.net",
        **fields,
    }
    return reports.report_submit(organisation=world.organisation, **data)


def join(case: Case, coordinator: Participant, user: Any, role: str, org: str = "") -> Participant:
    """Invite ``user`` into ``case`` and accept as them; return their participant row."""
    _, secret = services.participant_invite(
        actor=coordinator, email=user.email, role=role, organisation_name=org
    )
    return services.invitation_accept(secret=secret, user=user)


@pytest.fixture
def case_world(world: World) -> CaseWorld:
    """A report accepted into a case, with vendors Acme (vera) and Bolt (vince) and an
    observer (olga) bound to it."""
    report, secret = submit(world)
    reports.report_transition(report=report, state="valid", acting_user=world.cora)
    case = services.report_accept(report=report, acting_user=world.cora)
    coordinator = participant_for(case_id=case.pk, user=world.cora)
    acme = join(case, coordinator, world.vera, "vendor", "Acme")
    bolt = join(case, coordinator, world.vince, "vendor", "Bolt")
    observer = join(case, coordinator, world.olga, "observer")
    reporter = Participant.objects.get(case=case, role="reporter")
    report.refresh_from_db()
    return CaseWorld(world, report, secret, case, coordinator, acme, bolt, observer, reporter)


def actor(case: Case, user: Any) -> Participant:
    """Return ``user``'s participant row as a request would resolve it."""
    return participant_for(case_id=case.pk, user=user)


@pytest.fixture
def as_user(db: None) -> Callable[[Any], Client]:
    """Return a factory of test clients authenticated with an API token of a user."""

    def client_for(user: Any) -> Client:
        _, raw = api_token_create(user=user, name="tests", acting_user=user)
        return Client(headers={"Authorization": f"Bearer {raw}"})

    return client_for


def cyclonedx(version: str, components: dict[str, str]) -> bytes:
    """Return a CycloneDX 1.6 SBOM of shop ``version`` listing PyPI ``components``."""
    bom = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "version": 1,
        "metadata": {
            "component": {
                "type": "application",
                "bom-ref": "shop",
                "name": "shop",
                "version": version,
            }
        },
        "components": [
            {
                "type": "library",
                "bom-ref": f"pkg:pypi/{n}@{v}",
                "name": n,
                "version": v,
                "purl": f"pkg:pypi/{n}@{v}",
            }
            for n, v in components.items()
        ],
    }
    return json.dumps(bom).encode()


def release_with(
    world: World, version: str, components: dict[str, str], product: Product | None = None
) -> Release:
    """Create a release of the shop (or ``product``) whose analysed SBOM lists ``components``."""
    release = release_create(product=product or world.shop, version=version, acting_user=world.cora)
    document = sbom_upload(
        release=release,
        file_name=f"shop-{version}.cdx.json",
        content=cyclonedx(version, components),
        acting_user=world.cora,
    )
    sbom_analyse(sbom_id=document.pk)
    release.refresh_from_db()
    return release
