"""A user outside a product's teams must not learn it exists: its pages are 404 (like a product
that does not exist), and its rows are in no list, export, search or action."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.test import Client

from vulndesk.server.findings.models import Finding
from vulndesk.server.jobs.models import Job

pytestmark = pytest.mark.django_db

Portfolio = Any  # conftest.Portfolio


@pytest.fixture
def outsider_client(client: Client, portfolio: Portfolio) -> Client:
    """Logged in as the user who sees only ``secret``, not ``shop``."""
    client.force_login(portfolio.outsider)
    return client


def shop_urls(portfolio: Portfolio) -> list[str]:
    finding = Finding.objects.filter(product=portfolio.product).first()
    job = Job.objects.filter(product=portfolio.product).first()
    assert finding is not None and job is not None
    return [
        f"/products/{portfolio.product.pk}/",
        f"/products/{portfolio.product.pk}/edit/",
        f"/releases/{portfolio.release.pk}/",
        f"/sboms/{portfolio.sbom.pk}/download/",
        f"/findings/{finding.pk}/",
        f"/jobs/{job.pk}/",
    ]


def test_pages_of_a_product_one_may_not_see_are_404(
    outsider_client: Client, portfolio: Portfolio
) -> None:
    for url in shop_urls(portfolio):
        assert outsider_client.get(url).status_code == 404, url
    # the same answer as for things that do not exist
    for url in ["/products/999999/", "/releases/999999/", "/sboms/999999/download/"]:
        assert outsider_client.get(url).status_code == 404


def test_changes_to_a_product_one_may_not_see_are_404(
    outsider_client: Client, portfolio: Portfolio
) -> None:
    product, release = portfolio.product, portfolio.release
    assert outsider_client.post(f"/products/{product.pk}/edit/", {"name": "x"}).status_code == 404
    assert outsider_client.post(f"/products/{product.pk}/access/", {}).status_code == 404
    assert (
        outsider_client.post(f"/products/{product.pk}/releases/", {"version": "x"}).status_code
        == 404
    )
    sbom = io.BytesIO(b"{}")
    sbom.name = "x.json"
    assert outsider_client.post(f"/releases/{release.pk}/sboms/", {"sbom": sbom}).status_code == 404


def test_lists_searches_and_exports_leave_hidden_products_out(
    outsider_client: Client, portfolio: Portfolio
) -> None:
    for url in ["/", "/products/", "/findings/", "/findings/?status=any", "/jobs/"]:
        page = outsider_client.get(url).content.decode()
        assert "shop" not in page and "pyyaml" not in page, url
        assert "secret" in page or url == "/jobs/", url
    export = b"".join(outsider_client.get("/findings/export.csv?status=any").streaming_content)
    rows = list(csv.DictReader(io.StringIO(export.decode("utf-8-sig"))))
    assert rows and {r["product"] for r in rows} == {"secret"}
    # pyyaml is in shop's SBOM only
    found = outsider_client.get("/components/", {"name": "pyyaml"}).content.decode()
    assert "shop" not in found and "No release you may see uses this component." in found
    shop_ids = list(Finding.objects.filter(product=portfolio.product).values_list("id", flat=True))
    selected = outsider_client.post("/findings/selected/", {"action": "export", "ids": shop_ids})
    body = b"".join(selected.streaming_content).decode("utf-8-sig")
    assert list(csv.DictReader(io.StringIO(body))) == []
    outsider_client.post("/findings/selected/", {"action": "rematch", "ids": shop_ids})
    assert not Job.objects.filter(kind="rematch").exists()


def test_the_component_search_finds_visible_releases(
    user_client: Client, portfolio: Portfolio
) -> None:
    page = user_client.get("/components/", {"name": "pyyaml", "version": "5.3"}).content.decode()
    assert f'href="/releases/{portfolio.release.pk}/"' in page and "5.3.1" in page
    by_purl = user_client.get("/components/", {"name": "pkg:pypi/pyyaml"}).content.decode()
    assert f'href="/releases/{portfolio.release.pk}/"' in by_purl
    none = user_client.get("/components/", {"name": "pyyaml", "version": "6"}).content.decode()
    assert "No release you may see uses this component." in none
