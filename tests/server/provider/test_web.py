"""The management pages: the list of published documents with the publish form (an upload),
withdrawing, and the settings form (superusers); and the read-only Django admin."""

from __future__ import annotations

import json

import pytest
from django.apps import apps
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from server.provider.provider_world import World, advisory, build
from vulndesk.server.audit.models import AuditEvent
from vulndesk.server.provider.models import ProviderSettings, PublishedDocument

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    return build()


def logged_in(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/json")


def test_the_pages_need_a_login_and_the_permission(world: World) -> None:
    assert Client().get("/provider/").status_code == 302
    assert Client().post("/provider/publish/").status_code == 302
    assert logged_in(world.bob).get("/provider/").status_code == 403
    assert logged_in(world.alice).get("/provider/settings/").status_code == 403


def test_publishing_an_upload(world: World) -> None:
    client = logged_in(world.alice)
    page = client.get("/provider/")
    assert page.status_code == 200
    assert 'enctype="multipart/form-data"' in page.content.decode()
    document = json.dumps(advisory("EX-2025-030")).encode()
    response = client.post(
        "/provider/publish/", {"document": upload("ex.json", document), "tlp": ""}
    )
    assert response.status_code == 302
    stored = PublishedDocument.objects.get()
    assert (stored.tracking_id, stored.published_by) == ("EX-2025-030", "alice")
    notes = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("Published EX-2025-030 version 1" in n for n in notes)
    assert any("unsigned" in n for n in notes)
    listing = client.get("/provider/").content.decode()
    assert "EX-2025-030" in listing and "TLP:WHITE" in listing


def test_an_invalid_upload_is_refused_with_its_failures(world: World) -> None:
    client = logged_in(world.alice)
    broken = advisory("EX-2025-031")
    broken["vulnerabilities"][0]["product_status"]["fixed"] = ["NOPE"]
    response = client.post(
        "/provider/publish/", {"document": upload("b.json", json.dumps(broken).encode())}
    )
    notes = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("6.1.1 $.vulnerabilities[0].product_status.fixed[0]" in n for n in notes)
    response = client.post("/provider/publish/", {"document": upload("x.json", b"{nope")})
    assert any("is not JSON" in str(m) for m in get_messages(response.wsgi_request))
    assert not PublishedDocument.objects.exists()


def test_withdrawing_from_the_page(world: World) -> None:
    client = logged_in(world.alice)
    client.post(
        "/provider/publish/",
        {"document": upload("ex.json", json.dumps(advisory("EX-2025-032")).encode())},
    )
    document = PublishedDocument.objects.get()
    client.post(f"/provider/documents/{document.pk}/withdraw/", {"reason": "duplicate"})
    assert PublishedDocument.objects.get().withdrawn
    assert AuditEvent.objects.filter(action="provider.csaf.withdraw").count() == 1
    # mallory may publish, but not for this organisation
    other = logged_in(world.mallory).post(
        f"/provider/documents/{document.pk}/withdraw/", {"reason": "x"}
    )
    assert other.status_code == 404


def test_the_settings_form(world: World) -> None:
    client = logged_in(world.root)
    page = client.get("/provider/settings/").content.decode()
    assert "mailto:psirt@example.com" in page and "セーフハーバー" in page
    settings = ProviderSettings.objects.get()
    form = {
        "site_provider": "on",
        "publisher_name": "Example PSIRT",
        "publisher_category": "coordinator",
        "namespace": "https://psirt.example.com",
        "contact_details": "psirt@example.com",
        "issuing_authority": "",
        "public_base_url": "",
        "signing_key": "",
        "list_on_aggregators": "on",
        "contacts": "mailto:psirt@example.com\ntel:+81-3-0000-0000\n",
        "encryption_url": "",
        "acknowledgments_url": "",
        "preferred_languages": "ja, en",
        "expires": "",
        "policy_ja": settings.policy_ja,
        "policy_en": settings.policy_en,
    }
    response = client.post("/provider/settings/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    settings.refresh_from_db()
    assert settings.publisher_category == "coordinator"
    assert settings.security_contacts == ["mailto:psirt@example.com", "tel:+81-3-0000-0000"]
    assert settings.mirror_on_aggregators is False
    event = AuditEvent.objects.get(action="provider.settings.update")
    assert event.actor == world.root
    refused = client.post("/provider/settings/", {**form, "contacts": "psirt@example.com"})
    assert refused.status_code == 200
    assert "mailto:, https: or tel:" in refused.content.decode()


@pytest.mark.skipif(
    not apps.is_installed("django.contrib.admin"),
    reason="django.contrib.admin is not in config.INSTALLED_APPS",
)
def test_the_admin_shows_the_models_read_only(world: World) -> None:
    from django.contrib import admin

    client = logged_in(world.root)
    for model in apps.get_app_config("provider").get_models():
        assert admin.site.is_registered(model), model._meta.label
        assert admin.site._registry[model].check() == []
        name = f"admin:provider_{model._meta.model_name}"
        assert client.get(reverse(f"{name}_changelist")).status_code == 200
        assert client.get(reverse(f"{name}_add")).status_code == 403
