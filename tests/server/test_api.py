"""The REST API: every route needs an authenticated user; the OpenAPI schema is published."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from support import ROOT
from vulndesk.server.advisories.services import feeds_import

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_advisories() -> None:
    feeds_import(paths=[ROOT / "src/vulndesk/demo/data/osv"])


def test_anonymous_requests_are_refused(client: Client, demo_advisories: None) -> None:
    response = client.get("/api/v1/advisories/PYSEC-2023-74")
    assert response.status_code == 401


def test_an_authenticated_user_reads_an_advisory(client: Client, demo_advisories: None) -> None:
    user = get_user_model().objects.create_user("analyst", password="x-long-password-1")
    client.force_login(user)
    response = client.get("/api/v1/advisories/PYSEC-2023-74")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == "PYSEC-2023-74"
    assert body["group_key"] == "CVE-2023-32681"
    assert client.get("/api/v1/advisories/NOPE-1").status_code == 404


def test_the_openapi_schema_lists_the_routes(client: Client) -> None:
    user = get_user_model().objects.create_user("analyst", password="x-long-password-1")
    client.force_login(user)
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert "/api/v1/advisories/{advisory_id}" in schema["paths"]
