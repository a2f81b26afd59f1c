"""Fixtures of the web interface tests: the demo advisories and a logged-in analyst."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.test import Client

from support import ROOT
from vulndesk.server.advisories.services import feeds_import

PASSWORD = "a-long-test-password-7"


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
