"""``/api/v1/releases/{id}/remediation``: the plan and its exports, status changes, and who may
do what (401 without a user, 404 for a release one may not see, 403 for a viewer's change)."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.test import Client

from server.triage.remediation_world import World, build
from vulndesk.server.accounts.tokens import api_token_create
from vulndesk.server.audit.models import AuditEvent
from vulndesk.server.inventory.services import release_create
from vulndesk.server.triage.models import RemediationItem

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    return build()


def client_of(user: Any) -> Client:
    _, raw = api_token_create(user=user, name="tests", acting_user=user)
    return Client(headers={"Authorization": f"Bearer {raw}"})


def plan_url(world: World) -> str:
    return f"/api/v1/releases/{world.release.pk}/remediation"


def item_url(world: World, name: str) -> str:
    return f"{plan_url(world)}/{world.components[name].pk}"


def test_a_viewer_reads_the_plan(world: World) -> None:
    response = client_of(world.victor).get(plan_url(world))
    assert response.status_code == 200, response.content
    plan = response.json()
    assert (plan["product"], plan["release"], plan["release_id"]) == (
        "shop",
        "1.8.0",
        world.release.pk,
    )
    assert [i["name"] for i in plan["items"]] == [
        "urllib3",
        "jinja2",
        "router-firmware",
        "requests",
    ]
    assert plan["counts"]["open"] == 4
    urllib3 = plan["items"][0]
    assert urllib3["component_id"] == world.components["urllib3"].pk
    assert (urllib3["version"], urllib3["target_version"], urllib3["crosses_major"]) == (
        "1.26.5", "2.2.2", True,
    )  # fmt: skip
    assert urllib3["ecosystem"] == "PyPI"
    assert urllib3["clears"] == ["PYSEC-2099-201", "PYSEC-2099-202"]
    assert urllib3["priority"] == "immediate"
    assert urllib3["status"] == "open"
    assert urllib3["allowed_next"] == ["in_progress", "fixed", "accepted_risk", "not_affected"]
    assert [f["vulnerability_id"] for f in urllib3["findings"]] == [
        "CVE-2099-0201",
        "CVE-2099-0202",
    ]
    assert all(f["cleared"] for f in urllib3["findings"])
    jinja2 = plan["items"][1]
    assert jinja2["target_version"] == "2.11.3" and jinja2["overdue"] is True
    firmware = plan["items"][2]
    assert firmware["target_version"] is None and firmware["ecosystem"] is None
    assert firmware["upgrade_reason"].startswith("no package URL")


def test_exports_by_format(world: World) -> None:
    client = client_of(world.victor)
    response = client.get(plan_url(world), {"format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="shop-1.8.0-remediation.csv"' in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode().removeprefix("\ufeff"))))
    assert [(r["component"], r["target_version"], r["crosses_major"]) for r in rows] == [
        ("urllib3", "2.2.2", "true"),
        ("jinja2", "2.11.3", "false"),
        ("router-firmware", "", "false"),
        ("requests", "", "false"),
    ]

    response = client.get(plan_url(world), {"format": "markdown"})
    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    text = response.content.decode()
    assert text.startswith("## Remediation plan: shop 1.8.0\n")
    assert "| jinja2 2.10 | 2.10 → **2.11.3** | no | 2: CVE-2099-0101, CVE-2099-0102 |" in text

    tickets = client.get(plan_url(world), {"format": "tickets"}).json()
    assert [t["title"] for t in tickets] == [
        "Upgrade urllib3 1.26.5 -> 2.2.2 in shop 1.8.0 (clears 2 vulnerabilities)",
        "Upgrade jinja2 2.10 -> 2.11.3 in shop 1.8.0 (clears 2 vulnerabilities)",
        "Fix router-firmware 1.0 in shop 1.8.0 (1 vulnerability; no upgrade computable)",
        "Fix requests 2.25.0 in shop 1.8.0 (1 vulnerability; no fixed version known)",
    ]
    assert tickets[0]["component"]["purl"] == "pkg:pypi/urllib3@1.26.5"
    assert tickets[0]["priority"] == "immediate"
    assert "major-upgrade" in tickets[0]["labels"]

    assert client.get(plan_url(world), {"format": "xml"}).status_code == 422


def test_an_editor_moves_an_item_along(world: World) -> None:
    client = client_of(world.edith)
    response = client.patch(
        item_url(world, "jinja2"),
        {"status": "in_progress", "note": "PR #12"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    item = response.json()
    assert (item["status"], item["note"], item["updated_by"]) == ("in_progress", "PR #12", "edith")
    assert item["allowed_next"] == ["open", "fixed", "accepted_risk", "not_affected"]
    assert item["target_version"] == "2.11.3"
    event = AuditEvent.objects.filter(action="remediation.transition").get()
    assert event.actor == world.edith

    # a note alone
    response = client.patch(
        item_url(world, "jinja2"), {"note": "PR #13"}, content_type="application/json"
    )
    assert response.json()["status"] == "in_progress"
    assert response.json()["note"] == "PR #13"

    response = client.patch(
        item_url(world, "jinja2"), {"status": "fixed"}, content_type="application/json"
    )
    assert response.json()["status"] == "fixed"
    plan = client.get(plan_url(world)).json()
    assert plan["counts"]["fixed"] == 1


def test_a_refused_transition_is_a_conflict_naming_what_is_allowed(world: World) -> None:
    client = client_of(world.edith)
    url = item_url(world, "urllib3")
    assert (
        client.patch(url, {"status": "fixed"}, content_type="application/json").status_code == 200
    )
    response = client.patch(url, {"status": "in_progress"}, content_type="application/json")
    assert response.status_code == 409
    assert response.json() == {
        "detail": "urllib3 1.26.5 in shop 1.8.0 is 'fixed' and cannot become 'in_progress': "
        "from 'fixed' it may become 'open'"
    }
    response = client.patch(url, {"status": "done"}, content_type="application/json")
    assert response.status_code == 422
    assert RemediationItem.objects.get().status == "fixed"


def test_who_may_do_what(world: World) -> None:
    url = item_url(world, "jinja2")
    body = {"status": "fixed"}
    # no user
    assert Client().get(plan_url(world)).status_code == 401
    assert Client().patch(url, body, content_type="application/json").status_code == 401
    # a product outside one's teams does not exist
    oscar = client_of(world.oscar)
    assert oscar.get(plan_url(world)).status_code == 404
    assert oscar.get(plan_url(world), {"format": "csv"}).status_code == 404
    assert oscar.patch(url, body, content_type="application/json").status_code == 404
    # a viewer reads, but may not change
    victor = client_of(world.victor)
    response = victor.patch(url, body, content_type="application/json")
    assert response.status_code == 403
    assert "editor role" in response.json()["detail"]
    assert not RemediationItem.objects.exists()
    # ids that name nothing, or a component of no such release
    edith = client_of(world.edith)
    assert edith.get("/api/v1/releases/999999/remediation").status_code == 404
    missing = f"{plan_url(world)}/999999"
    assert edith.patch(missing, body, content_type="application/json").status_code == 404
    other = release_create(product=world.product, version="2.0", acting_user=world.alice)
    wrong = f"/api/v1/releases/{other.pk}/remediation/{world.components['jinja2'].pk}"
    assert edith.patch(wrong, body, content_type="application/json").status_code == 404
    # the owner may
    assert (
        client_of(world.alice).patch(url, body, content_type="application/json").status_code == 200
    )


def test_the_schema_documents_the_formats(world: World) -> None:
    schema = client_of(world.victor).get("/api/v1/openapi.json").json()
    get = schema["paths"]["/api/v1/releases/{release_id}/remediation"]["get"]
    content = get["responses"]["200"]["content"]
    assert set(content) == {"application/json", "text/csv", "text/markdown"}
    assert "tickets" in get["description"]
    patch = schema["paths"]["/api/v1/releases/{release_id}/remediation/{component_id}"]["patch"]
    assert {"401", "403", "404", "409", "422"} <= set(patch["responses"])
