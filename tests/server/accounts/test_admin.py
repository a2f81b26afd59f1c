"""Django admin: every vulndesk model is there for superusers, changes are audited, records
only vulndesk writes are read-only."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from vulndesk.server.accounts.lockout import MAX_FAILURES, login_failure_record, login_is_locked
from vulndesk.server.accounts.models import Organisation
from vulndesk.server.audit.models import AuditEvent
from vulndesk.server.notifications.models import WebhookEndpoint

pytestmark = pytest.mark.skipif(
    not apps.is_installed("django.contrib.admin"),
    reason="django.contrib.admin is not in config.INSTALLED_APPS",
)

APPS = (
    "accounts", "inventory", "findings", "jobs", "notifications", "disclosure", "provider",
    "compliance",
)  # fmt: skip
READ_ONLY = {
    "accounts.apitoken", "accounts.loginfailure", "inventory.sbomdocument",
    "inventory.componentidentity", "inventory.component", "findings.finding",
    "findings.portfoliosnapshot", "findings.groupepss", "jobs.job", "jobs.workerheartbeat",
    "notifications.delivery", "disclosure.report", "disclosure.case", "disclosure.participant",
    "disclosure.reportmessage", "disclosure.casemessage", "disclosure.reportattachment",
    "disclosure.caseattachment", "disclosure.casevulnerability", "disclosure.vendorstatus",
    "disclosure.caserelease", "disclosure.casenotice", "provider.providersettings",
    "provider.publisheddocument",
    "compliance.craevent", "compliance.nis2record", "compliance.regulatoryreport",
    "compliance.compliancenotice",
}  # fmt: skip
# shown on their parent's page: preferences on the user's, grants on the product's, lookup
# keys on the component identity's
INLINE = {"accounts.userprofile", "inventory.productgrant", "inventory.identitylookup"}


@pytest.fixture
def root(client: Client, db: None) -> Client:
    user = get_user_model().objects.create_superuser("root", "root@example.org", "pw")
    client.force_login(user)
    return client


def test_every_model_is_registered_and_passes_the_checks(db: None) -> None:
    from django.contrib import admin

    for label in APPS:
        for model in apps.get_app_config(label).get_models():
            if model._meta.label_lower not in INLINE:
                assert admin.site.is_registered(model), model._meta.label
    assert admin.site.check(None) == []


def test_each_list_opens_and_read_only_ones_cannot_add(root: Client) -> None:
    from django.contrib import admin

    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in APPS:
            continue
        name = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        assert root.get(reverse(f"{name}_changelist")).status_code == 200, name
        add = root.get(reverse(f"{name}_add")).status_code
        assert add == (403 if model._meta.label_lower in READ_ONLY else 200), name


def test_changes_made_in_the_admin_are_audited(root: Client) -> None:
    response = root.post(
        reverse("admin:accounts_organisation_add"), {"name": "Acme", "slug": "acme"}
    )
    assert response.status_code == 302
    organisation = Organisation.objects.get()
    event = AuditEvent.objects.get(action="admin.create")
    assert (event.object_type, event.object_id) == ("accounts.organisation", str(organisation.pk))
    assert event.actor.username == "root"


def test_a_webhook_endpoint_made_in_the_admin_goes_through_its_service(root: Client) -> None:
    organisation = Organisation.objects.create(name="Acme", slug="acme")
    response = root.post(
        reverse("admin:notifications_webhookendpoint_add"),
        {
            "organisation": organisation.pk,
            "name": "SOC",
            "url": "https://soc.example.org/hook",
            "secret": "",
            "active": "on",
            "min_severity": "high",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    endpoint = WebhookEndpoint.objects.get()
    assert len(endpoint.secret) >= 32  # made by the service
    assert AuditEvent.objects.filter(action="webhook.create", object_id=str(endpoint.pk)).exists()


def test_locked_user_names_can_be_unlocked(root: Client) -> None:
    for _ in range(MAX_FAILURES):
        login_failure_record(username="alice")
    from vulndesk.server.accounts.models import LoginFailure

    row = LoginFailure.objects.get()
    response = root.post(
        reverse("admin:accounts_loginfailure_changelist"),
        {"action": "unlock", "_selected_action": [row.pk]},
    )
    assert response.status_code == 302
    assert not login_is_locked("alice")
    assert AuditEvent.objects.filter(action="login.unlock").exists()


def test_a_job_shows_its_tasks_state(root: Client) -> None:
    from vulndesk.server.jobs.models import JobKind
    from vulndesk.server.jobs.services import job_enqueue
    from vulndesk.server.notifications.tasks import deliver_pending

    job = job_enqueue(task=deliver_pending, kind=JobKind.NOTIFICATION, label="Notifications")
    page = root.get(reverse("admin:jobs_job_change", args=[job.pk])).content.decode()
    assert "queued" in page
