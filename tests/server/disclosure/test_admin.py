"""The Django admin lists disclosure rows read-only, by identifier and state, and shows no
case content: superusers are not participants."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from server.disclosure.disclosure_world import CaseWorld, release_with
from vulndesk.server.disclosure import reports, services
from vulndesk.server.disclosure.attachments import Upload
from vulndesk.server.disclosure.impact import case_release_add

pytestmark = pytest.mark.skipif(
    not apps.is_installed("django.contrib.admin"),
    reason="django.contrib.admin is not in config.INSTALLED_APPS",
)


def test_every_model_is_registered_read_only_and_shows_no_content(
    case_world: CaseWorld, client: Client
) -> None:
    w = case_world
    vulnerability = services.case_vulnerability_add(
        actor=w.coordinator, title="Secret title of the flaw", description="secret-detail"
    )
    services.vendor_status_set(
        actor=w.acme, vulnerability=vulnerability, status="affected", statement="secret-statement"
    )
    services.case_message_post(
        actor=w.acme, body="secret-body", attachments=[Upload("secret-name.txt", b"secret-bytes")]
    )
    reports.report_message_post(
        report=w.report,
        body="secret-reply",
        reporter_secret=w.secret,
        attachments=[Upload("secret-log.txt", b"secret-log")],
    )
    release = release_with(w.world, "1.0", {"secretlib": "1.0"})
    case_release_add(actor=w.coordinator, release=release)
    client.force_login(w.world.root)
    secrets = ("secret", "SQL injection", "finder@example.net", "vera@example.org", "shop")
    for model in apps.get_app_config("disclosure").get_models():
        assert admin.site.is_registered(model), model._meta.label
        name = f"admin:disclosure_{model._meta.model_name}"
        listing = client.get(reverse(f"{name}_changelist"))
        assert listing.status_code == 200, name
        assert client.get(reverse(f"{name}_add")).status_code == 403, name
        row = model._default_manager.first()
        assert row is not None, name
        detail = client.get(reverse(f"{name}_change", args=[row.pk]))
        assert detail.status_code == 200, name
        for page in (listing, detail):
            text = page.content.decode()
            for secret in secrets:
                assert secret not in text, (name, secret)
    assert admin.site.check(None) == []
