"""Products, their grants and releases through the API: each route's happy path, the roles each
change needs, the audit rows it leaves, and answers for bad input."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from vulndesk.server.audit.models import AuditEvent
from vulndesk.server.inventory.models import Product, ProductGrant, Release

pytestmark = pytest.mark.django_db

Clients = Callable[[Any], Client]


def post(client: Client, url: str, body: Any) -> Any:
    return client.post(url, body, content_type="application/json")


def patch(client: Client, url: str, body: Any) -> Any:
    return client.patch(url, body, content_type="application/json")


def put(client: Client, url: str, body: Any) -> Any:
    return client.put(url, body, content_type="application/json")


# -- products --------------------------------------------------------------------------------------


def test_the_product_list_has_counts_and_filters(as_user: Clients, world: Any) -> None:
    alice = as_user(world.alice)
    post(alice, "/api/v1/products", {"name": "gateway", "team_id": world.owners.pk})
    post(alice, "/api/v1/products", {"name": "plc", "team_id": world.owners.pk, "tags": ["ics"]})

    body = alice.get("/api/v1/products").json()
    assert [p["name"] for p in body["items"]] == ["gateway", "plc", "shop"]
    shop = body["items"][2]
    assert shop["tags"] == ["web"] and shop["release_count"] == 1
    assert shop["active_findings"] == 0
    assert body["next_offset"] is None and body["count"] is None

    assert [p["name"] for p in alice.get("/api/v1/products?q=SHO").json()["items"]] == ["shop"]
    assert [p["name"] for p in alice.get("/api/v1/products?tag=ics").json()["items"]] == ["plc"]
    page = alice.get("/api/v1/products?limit=2&count=true").json()
    assert [p["name"] for p in page["items"]] == ["gateway", "plc"]
    assert page["next_offset"] == 2 and page["count"] == 3
    last = alice.get("/api/v1/products?limit=2&offset=2").json()
    assert [p["name"] for p in last["items"]] == ["shop"] and last["next_offset"] is None


@pytest.mark.parametrize("query", ["limit=0", "limit=501", "offset=-1", "limit=x"])
def test_page_parameters_out_of_range_are_422(as_user: Clients, world: Any, query: str) -> None:
    assert as_user(world.alice).get(f"/api/v1/products?{query}").status_code == 422


def test_a_team_member_creates_a_product_for_their_team(as_user: Clients, world: Any) -> None:
    response = post(
        as_user(world.alice),
        "/api/v1/products",
        {
            "name": "  gateway ",
            "description": "the API gateway",
            "parent_id": world.shop.pk,
            "tags": ["edge", "web"],
            "exposure": "open",
            "mission_impact": "mef_failure",
            "safety_impact": "marginal",
            "eu_market": True,
            "team_id": world.owners.pk,
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "gateway" and body["parent_id"] == world.shop.pk
    assert body["tags"] == ["edge", "web"] and body["role"] == "owner"
    assert (body["exposure"], body["mission_impact"], body["safety_impact"]) == (
        "open",
        "mef_failure",
        "marginal",
    )
    assert body["eu_market"] is True and body["organisation"] == "Default"
    product = Product.objects.get(pk=body["id"])
    assert ProductGrant.objects.get(product=product).team == world.owners
    assert AuditEvent.objects.filter(action="product.create", object_id=str(product.pk)).exists()


def test_creating_a_product_needs_membership_of_its_team(as_user: Clients, world: Any) -> None:
    oscar = as_user(world.oscar)
    refused = post(oscar, "/api/v1/products", {"name": "x", "team_id": world.owners.pk})
    assert refused.status_code == 403
    # a team that does not exist gets the same answer as one the caller is not in
    missing = post(oscar, "/api/v1/products", {"name": "x", "team_id": 999_999})
    assert missing.status_code == 403
    assert "team_id 999999" in missing.json()["detail"]
    assert post(oscar, "/api/v1/products", {"name": "x"}).status_code == 403
    assert not Product.objects.filter(name="x").exists()
    # a superuser may create one for any team, or for none
    root = as_user(world.root)
    assert (
        post(root, "/api/v1/products", {"name": "x", "team_id": world.owners.pk}).status_code == 201
    )
    assert post(root, "/api/v1/products", {"name": "y"}).status_code == 201
    assert post(root, "/api/v1/products", {"name": "z", "team_id": 999_999}).status_code == 400


def test_a_parent_must_be_a_product_the_caller_may_edit(as_user: Clients, world: Any) -> None:
    body = {"name": "x", "team_id": world.others.pk, "parent_id": world.shop.pk}
    response = post(as_user(world.oscar), "/api/v1/products", body)
    assert response.status_code == 400  # as for a product that does not exist
    assert response.json()["detail"] == f"parent_id {world.shop.pk}: no such product"


def test_a_taken_product_name_is_409(as_user: Clients, world: Any) -> None:
    response = post(
        as_user(world.alice), "/api/v1/products", {"name": "shop", "team_id": world.owners.pk}
    )
    assert response.status_code == 409
    assert Product.objects.filter(name="shop").count() == 1
    other = post(
        as_user(world.alice), "/api/v1/products", {"name": "gw", "team_id": world.owners.pk}
    )
    renamed = patch(
        as_user(world.alice), f"/api/v1/products/{other.json()['id']}", {"name": "shop"}
    )
    assert renamed.status_code == 409
    assert "already has a product named" in renamed.json()["detail"]
    assert Product.objects.get(pk=other.json()["id"]).name == "gw"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"name": ""},
        {"name": "   "},
        {"name": "x" * 201},
        {"name": "a\x00b"},
        {"name": "x", "exposure": "galactic"},
        {"name": "x", "team_id": 0},
        {"name": "x", "team_id": 2**63},
        {"name": "x", "tags": ["ok", ""]},
    ],
)
def test_a_bad_product_is_422(as_user: Clients, world: Any, body: dict[str, Any]) -> None:
    response = post(as_user(world.root), "/api/v1/products", body)
    assert response.status_code == 422
    assert "detail" in response.json()


def test_product_detail_says_the_callers_role(as_user: Clients, world: Any) -> None:
    url = f"/api/v1/products/{world.shop.pk}"
    expected = {"alice": "owner", "edith": "editor", "victor": "viewer", "root": "owner"}
    for name, role in expected.items():
        body = as_user(getattr(world, name)).get(url).json()
        assert body["role"] == role
        assert body["name"] == "shop" and body["tags"] == ["web"]


def test_an_editor_patches_only_what_is_sent(as_user: Clients, world: Any) -> None:
    url = f"/api/v1/products/{world.shop.pk}"
    edith = as_user(world.edith)
    response = patch(edith, url, {"description": "the shop", "tags": ["web", "b2c"], "name": None})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["description"] == "the shop" and body["tags"] == ["b2c", "web"]
    assert body["name"] == "shop" and body["exposure"] == "controlled"
    assert AuditEvent.objects.filter(action="product.update").count() == 1


def test_patching_the_parent_sets_and_clears_it(as_user: Clients, world: Any) -> None:
    alice = as_user(world.alice)
    system = post(alice, "/api/v1/products", {"name": "system", "team_id": world.owners.pk}).json()
    url = f"/api/v1/products/{world.shop.pk}"
    assert patch(alice, url, {"parent_id": system["id"]}).json()["parent_id"] == system["id"]
    # a product cannot be put under itself or its own parts
    looped = patch(alice, f"/api/v1/products/{system['id']}", {"parent_id": world.shop.pk})
    assert looped.status_code == 400
    assert "cannot be its parent" in looped.json()["detail"]
    assert patch(alice, url, {"parent_id": None}).json()["parent_id"] is None


def test_roles_for_product_changes(as_user: Clients, world: Any) -> None:
    url = f"/api/v1/products/{world.shop.pk}"
    assert patch(as_user(world.victor), url, {"description": "no"}).status_code == 403
    assert as_user(world.edith).delete(url).status_code == 403
    assert as_user(world.victor).delete(url).status_code == 403
    assert as_user(world.alice).delete(url).status_code == 204
    assert not Product.objects.filter(pk=world.shop.pk).exists()
    assert AuditEvent.objects.filter(action="product.delete").exists()


def test_an_owner_manages_grants(as_user: Clients, world: Any) -> None:
    alice = as_user(world.alice)
    url = f"/api/v1/products/{world.shop.pk}/grants"
    grants = alice.get(url).json()
    assert [(g["team"], g["role"]) for g in grants] == [
        ("editors", "editor"),
        ("owners", "owner"),
        ("viewers", "viewer"),
    ]
    given = put(alice, f"{url}/{world.others.pk}", {"role": "viewer"})
    assert given.status_code == 200
    assert given.json() == {
        "team_id": world.others.pk,
        "team": "others",
        "organisation": "Default",
        "role": "viewer",
    }
    oscar = as_user(world.oscar)
    assert oscar.get(f"/api/v1/products/{world.shop.pk}").json()["role"] == "viewer"
    assert put(alice, f"{url}/{world.others.pk}", {"role": "editor"}).json()["role"] == "editor"
    assert alice.delete(f"{url}/{world.others.pk}").status_code == 204
    assert oscar.get(f"/api/v1/products/{world.shop.pk}").status_code == 404
    assert alice.delete(f"{url}/{world.others.pk}").status_code == 404
    assert put(alice, f"{url}/999999", {"role": "viewer"}).status_code == 404
    assert put(alice, f"{url}/{world.others.pk}", {"role": "admin"}).status_code == 422
    assert AuditEvent.objects.filter(action="product.grant").count() == 2 + 3


def test_grants_need_the_owner_role(as_user: Clients, world: Any) -> None:
    url = f"/api/v1/products/{world.shop.pk}/grants"
    for user in (world.edith, world.victor):
        client = as_user(user)
        assert client.get(url).status_code == 403
        assert put(client, f"{url}/{world.others.pk}", {"role": "owner"}).status_code == 403
        assert client.delete(f"{url}/{world.owners.pk}").status_code == 403
    assert not ProductGrant.objects.filter(team=world.others).exists()


# -- releases --------------------------------------------------------------------------------------


def test_releases_are_listed_created_read_and_deleted(as_user: Clients, world: Any) -> None:
    url = f"/api/v1/products/{world.shop.pk}/releases"
    edith = as_user(world.edith)
    created = post(
        edith, url, {"version": "1.9.0", "description": "autumn", "released_at": "2026-10-01"}
    )
    assert created.status_code == 201, created.content
    release = created.json()
    assert release["version"] == "1.9.0" and release["released_at"] == "2026-10-01"
    assert release["product_id"] == world.shop.pk and release["product_name"] == "shop"
    assert release["component_count"] == 0 and release["analysed_at"] is None

    listed = as_user(world.victor).get(url).json()
    assert [r["version"] for r in listed["items"]] == ["1.9.0", "1.8.0"]
    assert listed["items"][0]["active_findings"] == 0

    detail = as_user(world.victor).get(f"/api/v1/releases/{release['id']}")
    assert detail.json()["description"] == "autumn"

    assert post(edith, url, {"version": "1.9.0"}).status_code == 409  # taken
    assert post(as_user(world.victor), url, {"version": "2.0"}).status_code == 403
    assert edith.delete(f"/api/v1/releases/{release['id']}").status_code == 403
    assert as_user(world.alice).delete(f"/api/v1/releases/{release['id']}").status_code == 204
    assert not Release.objects.filter(pk=release["id"]).exists()
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"release.create", "release.delete"} <= actions
