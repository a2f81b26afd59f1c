"""Who sees what: a user outside every team granted on a product gets 404 on each route for it,
the very answer a missing id gets, and never finds it in a list or a search; a viewer gets 403
on every change."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from support import ROOT
from vulndesk.server.audit.models import AuditEvent
from vulndesk.server.findings.models import Finding
from vulndesk.server.jobs.models import Job

pytestmark = pytest.mark.django_db

Clients = Callable[[Any], Client]
SHOP_WEB = ROOT / "src/vulndesk/demo/data/sboms/shop-web.cdx.json"
NOT_FOUND = {"detail": "Not Found"}


@dataclass
class Ids:
    product: int
    release: int
    sbom: int
    job: int
    finding: int
    team: int


@pytest.fixture
def shop(
    world: Any,
    as_user: Clients,
    run_jobs: Callable[[], int],
    make_finding: Callable[..., Finding],
) -> Ids:
    """The shop with an analysed SBOM, its job and a finding."""
    file = io.BytesIO(SHOP_WEB.read_bytes())
    file.name = "shop.json"
    uploaded = (
        as_user(world.edith)
        .post(f"/api/v1/releases/{world.release.pk}/sboms", {"file": file})
        .json()
    )
    run_jobs()
    finding = make_finding(world.release, "pyyaml", severity="critical")
    return Ids(
        world.shop.pk, world.release.pk, uploaded["id"], uploaded["job_id"], finding.pk,
        world.owners.pk,
    )  # fmt: skip


def routes(ids: Ids) -> list[tuple[str, str, Any]]:
    """Every route that names the product or something in it: (method, url, JSON body)."""
    p, r, s, j, f, t = ids.product, ids.release, ids.sbom, ids.job, ids.finding, ids.team
    return [
        ("get", f"/api/v1/products/{p}", None),
        ("patch", f"/api/v1/products/{p}", {"description": "x"}),
        ("delete", f"/api/v1/products/{p}", None),
        ("get", f"/api/v1/products/{p}/grants", None),
        ("put", f"/api/v1/products/{p}/grants/{t}", {"role": "viewer"}),
        ("delete", f"/api/v1/products/{p}/grants/{t}", None),
        ("get", f"/api/v1/products/{p}/releases", None),
        ("post", f"/api/v1/products/{p}/releases", {"version": "9"}),
        ("get", f"/api/v1/releases/{r}", None),
        ("delete", f"/api/v1/releases/{r}", None),
        ("get", f"/api/v1/releases/{r}/sboms", None),
        ("post", f"/api/v1/releases/{r}/sboms", SHOP_WEB.read_bytes()),
        ("get", f"/api/v1/releases/{r}/components", None),
        ("get", f"/api/v1/sboms/{s}", None),
        ("get", f"/api/v1/sboms/{s}/content", None),
        ("get", f"/api/v1/findings/{f}", None),
        ("get", f"/api/v1/findings?product_id={p}", None),
        ("get", f"/api/v1/findings?release_id={r}", None),
        ("get", f"/api/v1/findings/summary?product_id={p}", None),
        ("get", f"/api/v1/findings/summary?release_id={r}", None),
        ("get", f"/api/v1/jobs/{j}", None),
        ("get", f"/api/v1/jobs?product_id={p}", None),
    ]


def call(client: Client, method: str, url: str, body: Any) -> Any:
    if body is None:
        return getattr(client, method)(url)
    return getattr(client, method)(url, body, content_type="application/json")


def test_an_outsider_gets_404_on_every_route_of_the_product(
    as_user: Clients, world: Any, shop: Ids
) -> None:
    oscar = as_user(world.oscar)
    audited = AuditEvent.objects.count()
    for method, url, body in routes(shop):
        response = call(oscar, method, url, body)
        assert (response.status_code, response.json()) == (404, NOT_FOUND), (method, url)
    assert AuditEvent.objects.count() == audited  # nothing changed


def test_an_outsiders_404_is_the_answer_for_ids_that_do_not_exist(
    as_user: Clients, world: Any, shop: Ids
) -> None:
    missing = Ids(*(999_999 for _ in range(5)), team=shop.team)
    root = as_user(world.root)  # even a superuser gets 404 for these
    for method, url, body in routes(missing):
        response = call(root, method, url, body)
        assert (response.status_code, response.json()) == (404, NOT_FOUND), (method, url)


def test_an_outsider_never_finds_the_product_in_lists_or_searches(
    as_user: Clients, world: Any, shop: Ids
) -> None:
    oscar = as_user(world.oscar)
    assert oscar.get("/api/v1/products").json()["items"] == []
    assert oscar.get("/api/v1/products?q=shop&count=true").json()["count"] == 0
    assert oscar.get("/api/v1/findings?status=all").json()["items"] == []
    assert oscar.get("/api/v1/findings/summary").json()["total"] == 0
    assert oscar.get("/api/v1/components/search?name=pyyaml").json()["items"] == []
    assert oscar.get("/api/v1/components/search?name=pkg:pypi/pyyaml").json()["items"] == []
    assert oscar.get("/api/v1/jobs").json()["items"] == []
    # while the viewer finds it everywhere
    victor = as_user(world.victor)
    assert [p["id"] for p in victor.get("/api/v1/products").json()["items"]] == [shop.product]
    assert victor.get("/api/v1/findings").json()["items"]
    assert victor.get("/api/v1/components/search?name=pyyaml").json()["items"]
    assert [j["id"] for j in victor.get("/api/v1/jobs").json()["items"]] == [shop.job]


def test_a_viewer_gets_403_on_every_change(as_user: Clients, world: Any, shop: Ids) -> None:
    victor = as_user(world.victor)
    audited = AuditEvent.objects.count()
    changes = [
        (method, url, body)
        for method, url, body in routes(shop)
        if method != "get" or url.endswith("/grants")
    ]
    assert len(changes) == 8
    for method, url, body in changes:
        response = call(victor, method, url, body)
        assert response.status_code == 403, (method, url)
        assert response.json()["detail"]
    assert AuditEvent.objects.count() == audited
    assert Job.objects.count() == 1


def test_a_viewer_reads_every_route(as_user: Clients, world: Any, shop: Ids) -> None:
    victor = as_user(world.victor)
    reads = [(m, u, b) for m, u, b in routes(shop) if m == "get" and not u.endswith("/grants")]
    for method, url, body in reads:
        assert call(victor, method, url, body).status_code == 200, url


def test_a_user_sees_the_jobs_they_started_after_losing_access(
    as_user: Clients, world: Any, shop: Ids
) -> None:
    from vulndesk.server.inventory.models import ProductGrant

    ProductGrant.objects.filter(team__name="editors").delete()
    edith = as_user(world.edith)
    assert edith.get(f"/api/v1/products/{shop.product}").status_code == 404
    assert edith.get(f"/api/v1/jobs/{shop.job}").status_code == 200
