"""``/api/v1/csaf/documents`` and ``/api/v1/provider/settings``: every route needs a user
(401), publishing needs the permission (403), documents of other organisations are 404, invalid
documents 400 with each failure, a tracking id already published 409; every change audited."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from server.provider.provider_world import World, advisory, build
from vulndesk.server.accounts.tokens import api_token_create
from vulndesk.server.audit.models import AuditEvent
from vulndesk.server.provider.models import PublishedDocument

pytestmark = pytest.mark.django_db

API = "/api/v1"


@pytest.fixture
def world() -> World:
    return build()


def client_of(user: Any) -> Client:
    _, raw = api_token_create(user=user, name="tests", acting_user=user)
    return Client(headers={"Authorization": f"Bearer {raw}"})


def test_every_route_needs_a_user(world: World) -> None:
    anonymous = Client()
    calls = [
        ("get", f"{API}/csaf/documents", None),
        ("post", f"{API}/csaf/documents", {"document": advisory("EX-1")}),
        ("get", f"{API}/csaf/documents/1", None),
        ("get", f"{API}/provider/settings", None),
        ("put", f"{API}/provider/settings", {"publisher_name": "x"}),
    ]
    for method, url, body in calls:
        kwargs = {"data": body, "content_type": "application/json"} if body else {}
        response = getattr(anonymous, method)(url, **kwargs)
        assert response.status_code == 401, (method, url)
    bad_token = Client(headers={"Authorization": "Bearer vd_not-a-token"})
    assert bad_token.get(f"{API}/csaf/documents").status_code == 401
    assert not PublishedDocument.objects.exists()


def test_publish_list_and_read(world: World) -> None:
    client = client_of(world.alice)
    response = client.post(
        f"{API}/csaf/documents",
        {"document": advisory("EX-2025-010")},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["replaced"] is False and body["signed"] is False
    assert body["signing_note"] == "no signing key is configured"
    published = body["document"]
    assert published["path"] == "white/2025/ex-2025-010.json"
    assert (published["tracking_id"], published["tlp"]) == ("EX-2025-010", "WHITE")
    listed = client.get(f"{API}/csaf/documents").json()
    assert [d["tracking_id"] for d in listed] == ["EX-2025-010"]
    detail = client.get(f"{API}/csaf/documents/{published['id']}").json()
    assert detail["document"] == advisory("EX-2025-010")
    assert detail["signature"] == ""
    event = AuditEvent.objects.get(action="provider.csaf.publish")
    assert event.actor == world.alice and event.object_id == str(published["id"])


def test_invalid_documents_and_collisions(world: World) -> None:
    client = client_of(world.alice)
    broken = advisory("EX-2025-011")
    broken["vulnerabilities"][0]["product_status"]["fixed"] = ["NOPE"]
    response = client.post(
        f"{API}/csaf/documents", {"document": broken}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "6.1.1 $.vulnerabilities[0].product_status.fixed[0]" in response.json()["detail"]
    assert response.json()["location"] == "$.vulnerabilities[0].product_status.fixed[0]"
    good = {"document": advisory("EX-2025-011")}
    assert (
        client.post(f"{API}/csaf/documents", good, content_type="application/json").status_code
        == 201
    )
    again = client.post(f"{API}/csaf/documents", good, content_type="application/json")
    assert again.status_code == 409
    newer = {"document": advisory("EX-2025-011", versions=2)}
    replaced = client.post(f"{API}/csaf/documents", newer, content_type="application/json")
    assert replaced.status_code == 201 and replaced.json()["replaced"] is True
    assert AuditEvent.objects.filter(action="provider.csaf.replace").count() == 1
    unlabelled = advisory("EX-2025-012")
    del unlabelled["document"]["distribution"]
    labelled = client.post(
        f"{API}/csaf/documents",
        {"document": unlabelled, "tlp": "CLEAR"},
        content_type="application/json",
    )
    assert labelled.status_code == 201 and labelled.json()["document"]["path"].startswith("clear/")


def test_who_may_publish_and_read(world: World) -> None:
    published = client_of(world.alice).post(
        f"{API}/csaf/documents",
        {"document": advisory("EX-2025-020", tlp="AMBER")},
        content_type="application/json",
    )
    document_id = published.json()["document"]["id"]
    # bob is a member without the permission
    bob = client_of(world.bob)
    assert bob.get(f"{API}/csaf/documents").status_code == 403
    assert (
        bob.post(
            f"{API}/csaf/documents",
            {"document": advisory("EX-2025-021")},
            content_type="application/json",
        ).status_code
        == 403
    )
    # mallory publishes for her own organisation and never sees the other's documents
    mallory = client_of(world.mallory)
    assert mallory.get(f"{API}/csaf/documents").json() == []
    assert mallory.get(f"{API}/csaf/documents/{document_id}").status_code == 404
    # the root sees it
    assert client_of(world.root).get(f"{API}/csaf/documents/{document_id}").status_code == 200


def test_settings_are_for_superusers(world: World) -> None:
    assert client_of(world.alice).get(f"{API}/provider/settings").status_code == 403
    assert (
        client_of(world.alice)
        .put(f"{API}/provider/settings", {"publisher_name": "x"}, content_type="application/json")
        .status_code
        == 403
    )
    root = client_of(world.root)
    current = root.get(f"{API}/provider/settings").json()
    assert current["saved"] is True and current["publisher_name"] == "Example PSIRT"
    assert "Safe harbour" in current["policy_en"] and "セーフハーバー" in current["policy_ja"]
    changed = root.put(
        f"{API}/provider/settings",
        {"publisher_name": "Example Corp PSIRT", "security_contacts": ["tel:+81-3-0000-0000"]},
        content_type="application/json",
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["publisher_name"] == "Example Corp PSIRT"
    assert changed.json()["namespace"] == "https://psirt.example.com"  # left as it was
    event = AuditEvent.objects.get(action="provider.settings.update")
    assert set(event.data["changed"]) == {"publisher_name", "security_contacts"}
    assert event.actor == world.root
    refused = root.put(
        f"{API}/provider/settings",
        {"security_contacts": ["ftp://example.com"]},
        content_type="application/json",
    )
    assert refused.status_code == 400 and refused.json()["location"] == "security_contacts[0]"
    assert AuditEvent.objects.filter(action="provider.settings.update").count() == 1
