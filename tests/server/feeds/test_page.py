"""The feeds page: every signed-in user sees the sources; only staff may start a sync, by POST
with a CSRF token."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from vulndesk.server.audit.models import AuditEvent
from vulndesk.server.feeds.models import FeedSource

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(db: None):  # type: ignore[no-untyped-def]
    return get_user_model().objects.create_user("ops", password="x-long-password-1", is_staff=True)


@pytest.fixture
def analyst(db: None):  # type: ignore[no-untyped-def]
    return get_user_model().objects.create_user("ana", password="x-long-password-1")


def test_the_page_shows_freshness_and_errors(client: Client, analyst) -> None:  # type: ignore[no-untyped-def]
    FeedSource.objects.filter(name="kev").update(
        enabled=True, last_success_at=timezone.now(), last_error="GET http://x: 503"
    )
    client.force_login(analyst)
    page = client.get("/feeds/").content.decode()
    assert "osv-PyPI" in page and "GET http://x: 503" in page
    assert "Sync now" not in page  # not staff
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ja"
    japanese = re.sub(r"\s+", " ", client.get("/feeds/").content.decode())
    assert "フィード" in japanese and "前" in japanese


def test_sync_now_needs_staff_and_csrf(staff, analyst) -> None:  # type: ignore[no-untyped-def]
    plain = Client()
    plain.force_login(analyst)
    assert plain.post("/feeds/kev/sync/").status_code == 403
    checked = Client(enforce_csrf_checks=True)
    checked.force_login(staff)
    assert checked.post("/feeds/kev/sync/").status_code == 403  # no CSRF token
    page = checked.get("/feeds/").content.decode()
    assert "Sync now" in page
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    response = checked.post("/feeds/kev/sync/", {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert FeedSource.objects.get(name="kev").pending_job_id is not None
    assert AuditEvent.objects.filter(action="feeds.sync.enqueue", object_id="kev").exists()
    assert checked.get("/feeds/kev/sync/").status_code == 405  # GET changes nothing


def test_api_lists_sources(client: Client, analyst) -> None:  # type: ignore[no-untyped-def]
    client.force_login(analyst)
    body = client.get("/api/v1/feeds/sources").json()
    assert {"nvd", "kev", "epss", "osv-PyPI"} <= {s["name"] for s in body}
    refused = client.post("/api/v1/feeds/syncs", {"source": "kev"}, content_type="application/json")
    assert refused.status_code == 403
