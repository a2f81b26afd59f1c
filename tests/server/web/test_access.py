"""Every page needs a login: anonymous requests go to the login page and see no data; a logged-in
user gets every page; GET changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AbstractBaseUser
from django.test import Client

from vulndesk.server.advisories.models import Advisory, FeedImport
from vulndesk.server.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

PAGES = [
    "/",
    "/advisories/",
    "/advisories/?q=requests&ecosystem=PyPI",
    "/advisories/GHSA-j8r2-6x86-q33q",
    "/advisories/DEMO-2024-0001",
    "/scan/",
    "/products/",
    "/findings/",
    "/findings/?severity=critical&severity=high&sort=-epss",
    "/components/",
    "/components/?name=requests&version=2",
    "/jobs/",
    "/account/",
]


@pytest.mark.parametrize("url", PAGES)
def test_anonymous_get_is_sent_to_the_login_page(
    client: Client, demo_advisories: None, url: str
) -> None:
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")
    assert b"GHSA" not in response.content


def test_anonymous_htmx_search_gets_no_results(client: Client, demo_advisories: None) -> None:
    response = client.get("/advisories/?q=requests", headers={"HX-Request": "true"})
    assert response.status_code == 302
    assert b"PYSEC" not in response.content


def test_anonymous_scan_upload_is_refused(client: Client, demo_advisories: None) -> None:
    response = client.post("/scan/", {"sbom": b"{}"})
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_a_wrong_password_is_refused(client: Client, analyst: AbstractBaseUser) -> None:
    response = client.post("/login/", {"username": "analyst", "password": "not-the-password"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert client.get("/").status_code == 302


def test_logging_in_leads_to_the_page_asked_for(
    client: Client, analyst: AbstractBaseUser, analyst_password: str
) -> None:
    response = client.post(
        "/login/?next=/scan/",
        {"username": "analyst", "password": analyst_password, "next": "/scan/"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/scan/"
    assert client.get("/scan/").status_code == 200


def test_logging_out_takes_a_post_and_ends_the_session(user_client: Client) -> None:
    assert user_client.get("/logout/").status_code == 405  # GET never changes anything
    assert user_client.get("/").status_code == 200
    response = user_client.post("/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/login/"
    assert user_client.get("/").status_code == 302


@pytest.mark.parametrize("url", PAGES)
def test_every_page_renders_for_a_logged_in_user(
    user_client: Client, demo_advisories: None, url: str
) -> None:
    response = user_client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    content = response.content.decode()
    assert "vulndesk" in content
    assert "/static/web/vulndesk.css" in content and "/static/web/vendor/htmx.min.js" in content


def test_pages_render_on_an_empty_store(user_client: Client) -> None:
    assert "vulndesk feeds import" in user_client.get("/").content.decode()
    assert "No advisory matches." in user_client.get("/advisories/").content.decode()


def test_get_requests_change_nothing(user_client: Client, demo_advisories: None) -> None:
    before = (Advisory.objects.count(), FeedImport.objects.count(), AuditEvent.objects.count())
    for url in PAGES:
        user_client.get(url)
    after = (Advisory.objects.count(), FeedImport.objects.count(), AuditEvent.objects.count())
    assert after == before


def test_portfolio_pages_change_nothing(user_client: Client, portfolio: Any) -> None:
    from vulndesk.server.findings.models import Finding
    from vulndesk.server.inventory.models import Product, Release, SbomDocument
    from vulndesk.server.jobs.models import Job

    def state() -> list[object]:
        return [
            AuditEvent.objects.count(),
            Job.objects.count(),
            SbomDocument.objects.count(),
            Release.objects.count(),
            list(Product.objects.values_list("id", "name", "description")),
            list(Finding.objects.order_by("id").values_list("id", "status", "notified_at")),
        ]

    before = state()
    finding = Finding.objects.filter(product=portfolio.product).first()
    job = Job.objects.filter(product=portfolio.product).first()
    for url in [
        *PAGES,
        f"/products/{portfolio.product.pk}/",
        f"/products/{portfolio.product.pk}/edit/",
        "/products/new/",
        f"/releases/{portfolio.release.pk}/",
        f"/sboms/{portfolio.sbom.pk}/download/",
        f"/findings/{finding.pk}/",
        "/findings/export.csv",
        f"/jobs/{job.pk}/",
    ]:
        assert user_client.get(url).status_code == 200, url
    assert state() == before
    for url in ["/findings/selected/", "/account/language/", "/account/tokens/"]:
        assert user_client.get(url).status_code == 405, url


def test_the_admin_link_is_for_superusers(user_client: Client, client: Client) -> None:
    from django.apps import apps

    assert "/admin/" not in user_client.get("/").content.decode()
    if not apps.is_installed("django.contrib.admin"):
        pytest.skip("django.contrib.admin is not installed")
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.create_superuser("root"))
    assert 'href="/admin/"' in client.get("/").content.decode()
    assert client.get("/admin/").status_code == 200


def test_an_unknown_advisory_is_404(user_client: Client) -> None:
    assert user_client.get("/advisories/NOPE-0000-1").status_code == 404


@pytest.mark.parametrize("asset", ["/static/web/vulndesk.css", "/static/web/vendor/htmx.min.js"])
def test_static_files_are_served_without_debug(client: Client, asset: str) -> None:
    from django.conf import settings

    assert not settings.DEBUG
    response = client.get(asset)
    assert response.status_code == 200
    assert b"".join(response.streaming_content)
