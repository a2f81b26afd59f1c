"""Fixtures of the web interface tests: the demo advisories, a logged-in analyst, and a small
portfolio of two teams' products."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.test import Client

from support import ROOT
from vulndesk.server.accounts.models import Team
from vulndesk.server.accounts.services import organisation_default, team_create
from vulndesk.server.advisories.services import feeds_import
from vulndesk.server.inventory.models import Product, Release, Role, SbomDocument
from vulndesk.server.inventory.services import (
    product_create,
    product_grant,
    release_create,
    sbom_analyse,
    sbom_upload,
)

PASSWORD = "a-long-test-password-7"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Any) -> None:
    """Hash test passwords with a fast hasher: Argon2 costs ~0.5 s a user (Django's docs,
    "Speeding up the tests"); what is tested here is the interface, not the hash."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def demo_advisories(db: None) -> None:
    """Import the demo OSV records, as ``vulndesk demo`` does."""
    feeds_import(paths=[ROOT / "src/vulndesk/demo/data/osv"], actor_label="test")


@pytest.fixture
def analyst_password() -> str:
    return PASSWORD


@pytest.fixture
def analyst(db: None) -> AbstractBaseUser:
    return get_user_model().objects.create_user("analyst", password=PASSWORD)


@pytest.fixture
def user_client(client: Client, analyst: AbstractBaseUser) -> Client:
    """The test client, logged in as ``analyst``."""
    client.force_login(analyst)
    return client


SHOP_WEB = ROOT / "src/vulndesk/demo/data/sboms/shop-web.cdx.json"
API_GATEWAY = ROOT / "src/vulndesk/demo/data/sboms/api-gateway.spdx.json"


@dataclass
class Portfolio:
    """Two teams' products: the analyst's ``shop`` (analysed demo SBOM, 4 findings; the Shop and
    Platform teams own it) and ``secret``, which only the ``outsider``'s team may see (the API
    gateway SBOM)."""

    team: Team
    product: Product
    release: Release
    sbom: SbomDocument
    outsider: AbstractBaseUser
    secret_product: Product
    secret_release: Release
    secret_sbom: SbomDocument


def analysed_release(product: Product, version: str, sbom: Path, user: Any) -> tuple[Release, Any]:
    """Create a release of ``product`` with ``sbom`` uploaded and analysed (no worker needed)."""
    release = release_create(product=product, version=version, acting_user=user)
    document = sbom_upload(
        release=release, file_name=sbom.name, content=sbom.read_bytes(), acting_user=user
    )
    sbom_analyse(sbom_id=document.pk)
    release.refresh_from_db()
    return release, document


@pytest.fixture
def portfolio(demo_advisories: None, analyst: AbstractBaseUser) -> Portfolio:
    organisation = organisation_default()
    team = team_create(organisation=organisation, name="Shop team", members=[analyst])
    product = product_create(
        name="shop", team=team, tags=["customer-facing"], acting_user=analyst, exposure="open"
    )
    # a second owner team, so that tests may lower the Shop team's role (one owner must stay)
    platform = team_create(organisation=organisation, name="Platform team")
    product_grant(product=product, team=platform, role=Role.OWNER, acting_user=analyst)
    release, sbom = analysed_release(product, "1.8.0", SHOP_WEB, analyst)
    outsider = get_user_model().objects.create_user("outsider")
    other = team_create(organisation=organisation, name="Secret team", members=[outsider])
    secret = product_create(name="secret", team=other, acting_user=outsider)
    secret_release, secret_sbom = analysed_release(secret, "9.9", API_GATEWAY, outsider)
    return Portfolio(team, product, release, sbom, outsider, secret, secret_release, secret_sbom)
