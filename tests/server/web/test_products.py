"""Products and releases: the list, creating and editing with the right roles, grants, the SBOM
upload (stored, analysed as a job; a bad file stores nothing), the download, component search."""

from __future__ import annotations

import html
import io
import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.test.utils import override_settings

from support import ROOT
from vulndesk.server.accounts.services import team_create
from vulndesk.server.audit.models import AuditEvent
from vulndesk.server.inventory.models import Product, Release, Role, SbomDocument
from vulndesk.server.inventory.services import product_grant
from vulndesk.server.jobs.models import Job, JobKind

pytestmark = pytest.mark.django_db

SHOP_WEB = ROOT / "src/vulndesk/demo/data/sboms/shop-web.cdx.json"
Portfolio = Any  # conftest.Portfolio (a conftest cannot be imported)


def text(content: bytes) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", content.decode())))


def upload(name: str, data: bytes) -> io.BytesIO:
    file = io.BytesIO(data)
    file.name = name
    return file


def test_the_list_shows_visible_products_with_counts(
    user_client: Client, portfolio: Portfolio
) -> None:
    page = text(user_client.get("/products/").content)
    assert "shop customer-facing open 1 4" in page
    assert "secret" not in page
    assert "No product matches." in text(user_client.get("/products/?q=nothing").content)
    assert "shop" in text(user_client.get("/products/?tag=customer-facing").content)
    assert "shop" not in text(user_client.get("/products/?tag=ics").content)
    fragment = user_client.get("/products/?q=sho", headers={"HX-Request": "true"})
    assert b"<html" not in fragment.content and b"shop" in fragment.content


def test_an_editor_creates_a_product_for_a_team_they_belong_to(
    user_client: Client, portfolio: Portfolio
) -> None:
    form = user_client.get("/products/new/").content.decode()
    assert "Shop team" in form and "Secret team" not in form
    response = user_client.post(
        "/products/new/",
        {
            "team": portfolio.team.pk,
            "name": "billing",
            "description": "Invoices",
            "tags": "ics, customer-facing, ics",
            "exposure": "small",
            "mission_impact": "mef_failure",
            "safety_impact": "negligible",
            "value_density": "concentrated",
            "perspective": "supplier",
            "eu_market": "on",
            "parent": portfolio.product.pk,
        },
    )
    product = Product.objects.get(name="billing")
    assert response.status_code == 302 and response["Location"] == f"/products/{product.pk}/"
    assert sorted(product.tags.values_list("name", flat=True)) == ["customer-facing", "ics"]
    assert (
        product.exposure, product.mission_impact, product.value_density, product.perspective,
        product.eu_market,
    ) == ("small", "mef_failure", "concentrated", "supplier", True)  # fmt: skip
    assert product.parent == portfolio.product
    assert product.owner is not None and product.owner.get_username() == "analyst"
    assert product.grants.get().role == Role.OWNER
    page = text(user_client.get(f"/products/{product.pk}/").content)
    assert "Exposure small Mission impact MEF failure" in page and "Part of shop" in page
    # the same name again is refused with a message, not a server error
    again = user_client.post(
        "/products/new/",
        {"team": portfolio.team.pk, "name": "billing", "exposure": "small",
         "mission_impact": "mef_failure", "safety_impact": "negligible",
         "value_density": "diffuse", "perspective": "deployer"},
    )  # fmt: skip
    assert again.status_code == 400
    assert "A product with this name already exists." in text(again.content)


def test_a_product_cannot_be_created_for_another_team(
    user_client: Client, portfolio: Portfolio
) -> None:
    secret_team = portfolio.secret_product.grants.get().team
    response = user_client.post(
        "/products/new/",
        {"team": secret_team.pk, "name": "sneaky", "exposure": "small",
         "mission_impact": "mef_support_crippled", "safety_impact": "negligible",
         "value_density": "diffuse", "perspective": "deployer"},
    )  # fmt: skip
    assert response.status_code == 400
    assert not Product.objects.filter(name="sneaky").exists()


def test_a_user_without_a_team_may_not_create_products(client: Client, db: None) -> None:
    client.force_login(get_user_model().objects.create_user("loner"))
    assert client.get("/products/new/").status_code == 403
    assert "New product" not in text(client.get("/products/").content)


def test_editing_needs_the_editor_role(user_client: Client, portfolio: Portfolio) -> None:
    product = portfolio.product
    response = user_client.post(
        f"/products/{product.pk}/edit/",
        {"name": "shop", "description": "The web shop", "tags": "web",
         "exposure": "controlled", "mission_impact": "mef_failure", "safety_impact": "marginal",
         "value_density": "diffuse", "perspective": "deployer", "parent": "", "owner": ""},
    )  # fmt: skip
    assert response.status_code == 302
    product.refresh_from_db()
    assert (product.description, product.mission_impact) == ("The web shop", "mef_failure")
    assert list(product.tags.values_list("name", flat=True)) == ["web"]
    changes = AuditEvent.objects.filter(action="product.update").latest("id").data["changes"]
    assert "name" not in changes and "mission_impact" in changes  # only what changed
    # a name another product has is refused with a message
    taken = user_client.post(
        f"/products/{product.pk}/edit/",
        {"name": "secret", "exposure": "open", "mission_impact": "mef_support_crippled",
         "safety_impact": "negligible",
         "value_density": "diffuse", "perspective": "deployer"},
    )  # fmt: skip
    assert taken.status_code == 400
    assert "A product with this name already exists." in text(taken.content)
    # a viewer sees the product but may not change it
    product_grant(product=product, team=portfolio.team, role=Role.VIEWER, acting_user=None)
    assert user_client.get(f"/products/{product.pk}/").status_code == 200
    assert user_client.get(f"/products/{product.pk}/edit/").status_code == 403
    assert "Edit" not in text(user_client.get(f"/products/{product.pk}/").content)


def test_owners_grant_teams_access(user_client: Client, portfolio: Portfolio) -> None:
    product = portfolio.product
    qa = team_create(organisation=product.organisation, name="QA")
    response = user_client.post(
        f"/products/{product.pk}/access/", {"team": qa.pk, "role": "viewer"}
    )
    assert response.status_code == 302
    assert product.grants.get(team=qa).role == Role.VIEWER
    user_client.post(f"/products/{product.pk}/access/", {"team": qa.pk, "role": "none"})
    assert not product.grants.filter(team=qa).exists()
    # the last owner team stays
    platform = product.grants.get(team__name="Platform team").team
    user_client.post(f"/products/{product.pk}/access/", {"team": platform.pk, "role": "none"})
    last = user_client.post(
        f"/products/{product.pk}/access/", {"team": portfolio.team.pk, "role": "viewer"}
    )
    assert "Shop team is the last owner team" in text(user_client.get(last["Location"]).content)
    assert product.grants.get(team=portfolio.team).role == Role.OWNER
    product_grant(product=product, team=qa, role=Role.OWNER, acting_user=None)
    product_grant(product=product, team=portfolio.team, role=Role.EDITOR, acting_user=None)
    denied = user_client.post(f"/products/{product.pk}/access/", {"team": qa.pk, "role": "owner"})
    assert denied.status_code == 403


def test_a_new_release_with_its_sbom_is_analysed_as_a_job(
    user_client: Client, portfolio: Portfolio
) -> None:
    product = portfolio.product
    with SHOP_WEB.open("rb") as file:
        response = user_client.post(
            f"/products/{product.pk}/releases/", {"version": "1.9.0", "sbom": file}
        )
    release = Release.objects.get(product=product, version="1.9.0")
    assert response.status_code == 302
    assert response["Location"] == f"/releases/{release.pk}/#analysis"
    sbom = SbomDocument.objects.get(release=release)
    assert sbom.status == "pending" and sbom.uploaded_by.get_username() == "analyst"
    job = Job.objects.get(product=product, kind=JobKind.SBOM_ANALYSIS, label__contains="1.9.0")
    page = user_client.get(response["Location"]).content.decode()
    # the page follows the analysis: the job's state polls every second until it ends
    assert f'id="job-{job.pk}"' in page and 'hx-trigger="every 1s"' in page
    assert "shop-web.cdx.json" in page and sbom.sha256[:12] in page


def test_a_new_release_without_sbom(user_client: Client, portfolio: Portfolio) -> None:
    response = user_client.post(
        f"/products/{portfolio.product.pk}/releases/",
        {"version": "2.0", "released_at": "2026-01-31", "description": "Spring"},
    )
    release = Release.objects.get(version="2.0")
    assert response["Location"] == f"/releases/{release.pk}/"
    assert str(release.released_at) == "2026-01-31"
    duplicate = user_client.post(f"/products/{portfolio.product.pk}/releases/", {"version": "2.0"})
    assert duplicate.status_code == 400
    assert "already has a release of this version" in text(duplicate.content)


def test_an_unreadable_sbom_stores_nothing_not_even_the_release(
    user_client: Client, portfolio: Portfolio
) -> None:
    before = (Release.objects.count(), SbomDocument.objects.count(), Job.objects.count())
    response = user_client.post(
        f"/products/{portfolio.product.pk}/releases/",
        {"version": "3.0", "sbom": upload("bom.json", b'{"bomFormat": "CycloneDX"')},
    )
    assert response.status_code == 400
    page = text(response.content)
    assert "This file could not be read as an SBOM." in page and "bom.json" in page
    assert (Release.objects.count(), SbomDocument.objects.count(), Job.objects.count()) == before


def test_uploading_to_a_release(user_client: Client, portfolio: Portfolio) -> None:
    release = portfolio.release
    bad = user_client.post(
        f"/releases/{release.pk}/sboms/", {"sbom": upload("notes.txt", b"not an sbom")}
    )
    assert bad.status_code == 400
    assert "notes.txt" in text(bad.content) and "Problem" in text(bad.content)
    assert SbomDocument.objects.filter(release=release).count() == 1
    with SHOP_WEB.open("rb") as file:
        good = user_client.post(f"/releases/{release.pk}/sboms/", {"sbom": file})
    assert good.status_code == 302
    assert SbomDocument.objects.filter(release=release).count() == 2


@override_settings(SBOM_UPLOAD_MAX_BYTES=100)
def test_an_upload_over_the_limit_is_refused(user_client: Client, portfolio: Portfolio) -> None:
    response = user_client.post(
        f"/releases/{portfolio.release.pk}/sboms/", {"sbom": upload("big.json", b"x" * 5000)}
    )
    assert response.status_code == 413
    assert "The file is larger than 100" in text(response.content)
    assert SbomDocument.objects.filter(release=portfolio.release).count() == 1


def test_uploads_need_csrf_and_the_editor_role(portfolio: Portfolio, analyst: object) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(analyst)
    with SHOP_WEB.open("rb") as file:
        response = client.post(f"/releases/{portfolio.release.pk}/sboms/", {"sbom": file})
    assert response.status_code == 403
    product_grant(
        product=portfolio.product, team=portfolio.team, role=Role.VIEWER, acting_user=None
    )
    viewer = Client()
    viewer.force_login(analyst)
    with SHOP_WEB.open("rb") as file:
        assert (
            viewer.post(f"/releases/{portfolio.release.pk}/sboms/", {"sbom": file}).status_code
            == 403
        )
    assert SbomDocument.objects.filter(release=portfolio.release).count() == 1


def test_the_sbom_downloads_byte_for_byte(user_client: Client, portfolio: Portfolio) -> None:
    response = user_client.get(f"/sboms/{portfolio.sbom.pk}/download/")
    assert response.status_code == 200
    assert response.content == SHOP_WEB.read_bytes()
    assert response["Content-Type"] == "application/vnd.cyclonedx+json"
    assert response["Content-Disposition"] == 'attachment; filename="shop-web.cdx.json"'


def test_the_release_page_lists_and_searches_components(
    user_client: Client, portfolio: Portfolio
) -> None:
    url = f"/releases/{portfolio.release.pk}/"
    page = text(user_client.get(url).content)
    assert "CVE-2020-14343" in page and "pyyaml 5.3.1" in page
    assert "analysed" in page and "12" in page
    fragment = user_client.get(
        url, {"name": "req"}, headers={"HX-Request": "true", "HX-Target": "component-results"}
    )
    assert b"<html" not in fragment.content
    assert "requests" in text(fragment.content) and "urllib3" not in text(fragment.content)
