"""The compliance routes: authentication on each, 404 for an event of a product the caller may
not see, 403 for a viewer's change, and the flow of confirming an event, editing its early
warning, exporting it and marking it submitted."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from server.compliance.compliance_world import KEV, NONE, T0, World, world
from vulndesk.server.accounts.tokens import api_token_create
from vulndesk.server.compliance.detection import cra_events_detect
from vulndesk.server.compliance.models import CraEvent
from vulndesk.server.findings.models import Finding

pytestmark = pytest.mark.django_db
__all__ = ["world"]


def as_user(user: Any) -> Client:
    _, raw = api_token_create(user=user, name="tests", acting_user=user)
    return Client(headers={"Authorization": f"Bearer {raw}"})


@pytest.fixture
def event(world: World) -> CraEvent:
    Finding.objects.filter(pk=world.findings[KEV].pk).update(exploitation="active")
    (opened,) = cra_events_detect(now=T0)
    return opened


def test_every_route_needs_a_user(event: CraEvent) -> None:
    anonymous = Client()
    base = f"/api/v1/compliance/events/{event.pk}"
    for method, path in [
        ("get", "/api/v1/compliance/events"),
        ("get", base),
        ("post", f"{base}/confirm"),
        ("post", f"{base}/dismiss"),
        ("get", f"{base}/reports/early_warning/document"),
        ("get", "/api/v1/compliance/nis2"),
        ("get", "/api/v1/compliance/overview"),
    ]:
        response = getattr(anonymous, method)(path, content_type="application/json")
        assert response.status_code == 401, (method, path)


def test_an_event_of_an_invisible_product_is_a_404(world: World, event: CraEvent) -> None:
    oscar = as_user(world.oscar)
    base = f"/api/v1/compliance/events/{event.pk}"
    assert oscar.get(base).status_code == 404
    assert oscar.post(f"{base}/confirm", {}, content_type="application/json").status_code == 404
    assert oscar.get(f"{base}/reports/early_warning/document").status_code == 404
    assert oscar.get("/api/v1/compliance/events").json()["items"] == []


def test_a_viewer_reads_but_cannot_confirm(world: World, event: CraEvent) -> None:
    victor = as_user(world.victor)
    base = f"/api/v1/compliance/events/{event.pk}"
    assert victor.get(base).status_code == 200
    response = victor.post(f"{base}/confirm", {}, content_type="application/json")
    assert response.status_code == 403
    response = victor.patch(
        f"{base}/reports/early_warning", {"content": {"notes": "x"}},
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 403
    assert CraEvent.objects.get(pk=event.pk).state == "open"


def test_confirm_fill_export_and_submit_the_early_warning(world: World, event: CraEvent) -> None:
    edith = as_user(world.edith)
    base = f"/api/v1/compliance/events/{event.pk}"
    listed = edith.get("/api/v1/compliance/events", {"state": "open"}).json()["items"]
    assert [e["id"] for e in listed] == [event.pk]
    assert listed[0]["overdue"] is True  # T0 is in the past of this test's wall clock
    detail = edith.get(base).json()
    assert [(r["kind"], r["state"]) for r in detail["reports"]] == [
        ("early_warning", "overdue"), ("notification", "overdue"), ("final", "draft"),
    ]  # fmt: skip
    assert detail["reports"][0]["due_at"].startswith("2026-09-15T09:00:00")
    confirmed = edith.post(f"{base}/confirm", {}, content_type="application/json")
    assert confirmed.status_code == 200 and confirmed.json()["state"] == "confirmed"
    again = edith.post(f"{base}/confirm", {}, content_type="application/json")
    assert again.status_code == 409
    bad = edith.patch(
        f"{base}/reports/early_warning", {"content": {"member_states": ["US"]}},
        content_type="application/json",
    )  # fmt: skip
    assert bad.status_code == 400 and "member state" in bad.json()["detail"]
    edited = edith.patch(
        f"{base}/reports/early_warning",
        {"content": {"member_states": ["de", "nl"], "malicious_actor": "unknown"}},
        content_type="application/json",
    )
    assert edited.status_code == 200
    assert edited.json()["content"]["member_states"] == ["DE", "NL"]
    document = edith.get(f"{base}/reports/early_warning/document").json()
    assert document["kind"] == "early_warning" and document["product"]["name"] == "router"
    assert document["content"]["malicious_actor"] == "unknown"
    assert document["content"]["cve_ids"] == [KEV]
    submitted = edith.post(
        f"{base}/reports/early_warning/submit", {"reference": "SRP-0001"},
        content_type="application/json",
    )  # fmt: skip
    assert submitted.status_code == 200 and submitted.json()["state"] == "submitted"
    measure = edith.put(
        f"{base}/measure",
        {"fix_version": "2.0.1", "available_at": "2026-09-16T10:00:00Z"},
        content_type="application/json",
    )
    final = measure.json()["reports"][2]
    assert final["due_at"].startswith("2026-09-30T10:00:00") and final["state"] == "overdue"
    missing = edith.post(f"{base}/dismiss", {}, content_type="application/json")
    assert missing.status_code == 422
    dismissed = edith.post(
        f"{base}/dismiss", {"reason": "duplicate"}, content_type="application/json"
    )
    assert dismissed.json()["state"] == "dismissed"
    assert dismissed.json()["state_reason"] == "duplicate"
    overview = edith.get("/api/v1/compliance/overview").json()
    assert overview["overdue"] == []  # dismissed


def test_asserting_exploitation_and_nis2_records(world: World) -> None:
    edith = as_user(world.edith)
    finding = world.findings[NONE]
    response = edith.post(
        f"/api/v1/findings/{finding.pk}/exploitation",
        {"evidence": "attack traffic in our WAF logs"},
        content_type="application/json",
    )
    assert response.status_code == 201
    event = CraEvent.objects.get(pk=response.json()["event_id"])
    assert event.trigger == "assertion"
    viewer = as_user(world.victor).post(
        f"/api/v1/findings/{finding.pk}/exploitation", {"evidence": "x"},
        content_type="application/json",
    )  # fmt: skip
    assert viewer.status_code == 403
    created = edith.post(
        "/api/v1/compliance/nis2",
        {
            "entity_type": "important",
            "sector": "manufacturing",
            "title": "Outage of the update server",
            "product_id": world.router.pk,
            "aware_at": "2026-09-14T09:00:00Z",
            "assessment": {"impact_availability": "high"},
        },
        content_type="application/json",
    )
    assert created.status_code == 201
    record = created.json()
    assert record["significant"] is True
    assert [r["due_at"][:19] for r in record["reports"]] == [
        "2026-09-15T09:00:00", "2026-09-17T09:00:00", "2026-10-17T09:00:00",
    ]  # fmt: skip
    oscar = as_user(world.oscar)
    assert oscar.get(f"/api/v1/compliance/nis2/{record['id']}").status_code == 404
    submitted = edith.post(
        f"/api/v1/compliance/nis2/{record['id']}/reports/notification/submit",
        {"reference": "CSIRT-1", "submitted_at": "2026-09-16T12:00:00Z"},
        content_type="application/json",
    )
    assert submitted.status_code == 200
    detail = edith.get(f"/api/v1/compliance/nis2/{record['id']}").json()
    assert detail["reports"][2]["due_at"].startswith("2026-10-16T12:00:00")
