"""The prioritisation routes of the REST API: a finding's explanation, overriding a point (who
may), SLA policies, and the findings list's priority columns, filter and sort."""

from __future__ import annotations

import gzip
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from server.triage.prioritisation_world import FIRST_SEEN, KEV, NONE, POC, World, reload, world
from vulndesk.server.accounts.tokens import api_token_create
from vulndesk.server.advisories.services import epss_import
from vulndesk.server.audit.models import AuditEvent
from vulndesk.server.findings.models import Finding
from vulndesk.server.inventory.models import Product
from vulndesk.server.triage.models import SlaPolicy, SsvcOverride
from vulndesk.server.triage.prioritisation import priorities_refresh

pytestmark = pytest.mark.django_db
__all__ = ["world"]


def client_of(user: Any) -> Client:
    _, raw = api_token_create(user=user, name="tests", acting_user=user)
    return Client(headers={"Authorization": f"Bearer {raw}"})


@pytest.fixture
def prioritised(world: World, tmp_path: Path) -> World:
    """The world with open exposure, two EPSS days (a jump for CVE-2024-0001), prioritised."""
    Product.objects.filter(pk=world.plant.pk).update(exposure="open")
    for day, score in (("2026-02-01", 0.05), ("2026-02-02", 0.62)):
        path = tmp_path / f"epss-{day}.csv.gz"
        text = (
            f"#model_version:v2025.03.14,score_date:{day}T00:00:00Z\ncve,epss,percentile\n"
            f"{KEV},{score},0.9\n{POC},0.01,0.4\n"
        )
        path.write_bytes(gzip.compress(text.encode()))
        epss_import(path=path, actor_label="test")
    priorities_refresh(Finding.objects.all())
    return world


def test_the_explanation_shows_every_input_its_source_and_the_row(prioritised: World) -> None:
    finding = prioritised.findings[KEV]
    response = client_of(prioritised.victor).get(f"/api/v1/findings/{finding.pk}/explanation")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["priority"] == body["priority_computed"] == "out-of-cycle"
    assert body["due_at"] == (FIRST_SEEN + timedelta(days=14)).isoformat()
    assert body["sla"]["days"] == 14 and body["sla"]["policy"]["immediate"] == 2
    assessment = body["assessment"]
    assert (assessment["table"], assessment["outcome"]) == ("deployer", "out-of-cycle")
    points = {p["point"]: p for p in assessment["points"]}
    assert points["exploitation"]["value"] == "active"
    assert points["exploitation"]["source"] == "kev"
    assert "ransomware" in points["exploitation"]["detail"]
    assert points["automatable"]["source"] == "cvss"
    assert "GHSA-aaaa-aaaa-0001" in points["automatable"]["detail"]
    assert points["system_exposure"] == {
        **points["system_exposure"], "value": "open", "source": "asset"
    }  # fmt: skip
    assert points["human_impact"]["source"] == "derived"
    main = assessment["decisions"][-1]
    assert main["table"] == "deployer" and main["row"] == assessment["row"]
    assert main["inputs"] == {
        "exploitation": "active", "system_exposure": "open", "automatable": "yes",
        "human_impact": "low",
    }  # fmt: skip
    evidence = body["evidence"]
    assert evidence["cvss"] == [
        {"source": "GHSA-aaaa-aaaa-0001", "vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}
    ]
    assert evidence["kev"][0]["due_date"] == "2026-01-26"
    assert evidence["kev"][0]["ransomware_known"] is True
    assert evidence["epss"] == [
        {"cve_id": KEV, "epss": 0.62, "percentile": 0.9, "score_date": "2026-02-02"}
    ]
    assert evidence["epss_jump"]["from"] == 0.05 and evidence["epss_jump"]["to"] == 0.62
    assert assessment["epss"] == {"probability": 0.62, "percentile": 0.9}
    assert body["asset"]["perspective"] == "deployer"


def test_the_explanation_of_an_exploit_reference_names_it(prioritised: World) -> None:
    finding = prioritised.findings[POC]
    body = client_of(prioritised.victor).get(f"/api/v1/findings/{finding.pk}/explanation").json()
    points = {p["point"]: p for p in body["assessment"]["points"]}
    assert points["exploitation"]["value"] == "public poc"
    assert points["exploitation"]["source"] == "reference"
    assert "https://github.com/researcher/poc-0002" in points["exploitation"]["detail"]
    assert body["evidence"]["epss_jump"] is None


def test_a_finding_the_caller_may_not_see_is_404(prioritised: World) -> None:
    finding = prioritised.findings[KEV]
    outsider = client_of(prioritised.oscar)
    assert outsider.get(f"/api/v1/findings/{finding.pk}/explanation").status_code == 404
    assert outsider.get("/api/v1/findings/999999/explanation").status_code == 404
    response = outsider.post(
        f"/api/v1/findings/{finding.pk}/ssvc-overrides",
        {"point": "exploitation", "value": "none", "reason": "x"},
        content_type="application/json",
    )
    assert response.status_code == 404
    assert Client().get(f"/api/v1/findings/{finding.pk}/explanation").status_code == 401


def test_overriding_needs_the_editor_role(prioritised: World) -> None:
    finding = prioritised.findings[NONE]
    url = f"/api/v1/findings/{finding.pk}/ssvc-overrides"
    body = {"point": "exploitation", "value": "Active", "reason": "seen in our logs"}
    assert Client().post(url, body, content_type="application/json").status_code == 401
    viewer = client_of(prioritised.victor).post(url, body, content_type="application/json")
    assert viewer.status_code == 403
    assert not SsvcOverride.objects.exists()
    response = client_of(prioritised.edith).post(url, body, content_type="application/json")
    assert response.status_code == 201, response.content
    created = response.json()
    assert (created["point"], created["value"], created["author"]) == (
        "exploitation", "active", "edith",
    )  # fmt: skip
    # active, open, not automatable, human impact low -> scheduled (it was defer)
    assert created["priority"] == reload(finding).priority == "scheduled"
    explained = client_of(prioritised.victor).get(f"/api/v1/findings/{finding.pk}/explanation")
    point = {p["point"]: p for p in explained.json()["assessment"]["points"]}["exploitation"]
    assert point["source"] == "override" and point["automatic"]["value"] == "none"
    assert point["override"]["reason"] == "seen in our logs"
    assert explained.json()["overrides"][0]["author"] == "edith"
    # refused values are a 400 (the service's message) or a 422 (the schema)
    bad = client_of(prioritised.edith).post(
        url, {**body, "value": "sometimes"}, content_type="application/json"
    )
    assert bad.status_code == 400 and "not a value" in bad.json()["detail"]
    bad = client_of(prioritised.edith).post(
        url, {**body, "point": "priority"}, content_type="application/json"
    )
    assert bad.status_code == 422
    # clearing: the viewer may not; the editor may, once
    delete = f"{url}/exploitation"
    assert client_of(prioritised.victor).delete(delete).status_code == 403
    assert client_of(prioritised.edith).delete(delete).status_code == 204
    assert client_of(prioritised.edith).delete(delete).status_code == 404
    assert reload(finding).priority == "defer"
    assert AuditEvent.objects.filter(action__startswith="ssvc_override.").count() == 2


def test_sla_policies_are_read_by_viewers_and_set_by_superusers(prioritised: World) -> None:
    listed = client_of(prioritised.victor).get("/api/v1/sla-policies")
    assert listed.status_code == 200
    [organisation] = listed.json()
    assert [(p["priority"], p["days"], p["default"]) for p in organisation["policies"]] == [
        ("immediate", 2, True), ("out-of-cycle", 14, True), ("scheduled", 90, True),
        ("defer", None, True),
    ]  # fmt: skip
    body = {"days": {"out-of-cycle": 7, "defer": None}}
    refused = client_of(prioritised.edith).put(
        "/api/v1/sla-policies", body, content_type="application/json"
    )
    assert refused.status_code == 403 and not SlaPolicy.objects.exists()
    done = client_of(prioritised.root).put(
        "/api/v1/sla-policies", body, content_type="application/json"
    )
    assert done.status_code == 200, done.content
    policies = {p["priority"]: p for p in done.json()["policies"]}
    assert policies["out-of-cycle"]["days"] == 7 and not policies["out-of-cycle"]["default"]
    assert reload(prioritised.findings[KEV]).due_at == FIRST_SEEN + timedelta(days=7)
    assert client_of(prioritised.oscar).get("/api/v1/sla-policies").json() == []


def test_the_findings_list_shows_filters_and_sorts_by_priority(prioritised: World) -> None:
    Finding.objects.filter(pk=prioritised.findings[POC].pk).update(analysis_state="affected")
    victor = client_of(prioritised.victor)
    body = victor.get("/api/v1/findings?sort=priority").json()
    assert [(f["vulnerability_id"], f["priority"]) for f in body["items"]] == [
        (KEV, "out-of-cycle"), (POC, "scheduled"), (NONE, "defer"),
    ]  # fmt: skip
    first = body["items"][0]
    assert first["due_at"].startswith("2026-01-24T08:30:15")
    assert first["analysis_state"] == ""
    only = victor.get("/api/v1/findings?priority=out-of-cycle&priority=defer").json()
    assert sorted(f["vulnerability_id"] for f in only["items"]) == [KEV, NONE]
    stated = victor.get("/api/v1/findings?analysis_state=affected").json()
    assert [f["vulnerability_id"] for f in stated["items"]] == [POC]
    unstated = victor.get("/api/v1/findings?analysis_state=none").json()
    assert sorted(f["vulnerability_id"] for f in unstated["items"]) == [KEV, NONE]
    detail = victor.get(f"/api/v1/findings/{prioritised.findings[KEV].pk}").json()
    assert detail["priority"] == "out-of-cycle" and detail["exploitation"] == "active"
    assert victor.get("/api/v1/findings?priority=urgent").status_code == 422
