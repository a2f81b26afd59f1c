"""Jobs and their task's state, the feeds' state and freshness, and the stored advisories."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from support import ROOT
from vulndesk.server.advisories.models import FeedImport
from vulndesk.server.inventory.models import SbomDocument

pytestmark = pytest.mark.django_db

Clients = Callable[[Any], Client]
SHOP_WEB = ROOT / "src/vulndesk/demo/data/sboms/shop-web.cdx.json"


def upload(client: Client, world: Any) -> dict[str, Any]:
    file = io.BytesIO(SHOP_WEB.read_bytes())
    file.name = "shop.json"
    response = client.post(f"/api/v1/releases/{world.release.pk}/sboms", {"file": file})
    assert response.status_code == 202
    return response.json()


def test_jobs_list_and_detail(as_user: Clients, world: Any, run_jobs: Callable[[], int]) -> None:
    edith = as_user(world.edith)
    first, second = upload(edith, world), upload(edith, world)
    listed = edith.get("/api/v1/jobs").json()
    assert [j["id"] for j in listed["items"]] == [second["job_id"], first["job_id"]]
    job = listed["items"][0]
    assert job["kind"] == "sbom_analysis" and job["status"] == "READY"
    assert job["product_id"] == world.shop.pk and job["created_by"] == "edith"
    assert "shop.json" in job["label"]
    assert edith.get("/api/v1/jobs?kind=feed_sync").json()["items"] == []
    assert edith.get("/api/v1/jobs?kind=nonsense").status_code == 422

    run_jobs()
    done = edith.get(f"/api/v1/jobs/{first['job_id']}").json()
    assert done["status"] == "SUCCESSFUL" and done["error"] is None
    assert done["started_at"] is not None and done["finished_at"] is not None
    assert edith.get("/api/v1/jobs/999999").status_code == 404


def test_a_failed_job_says_why(as_user: Clients, world: Any, run_jobs: Callable[[], int]) -> None:
    edith = as_user(world.edith)
    uploaded = upload(edith, world)
    # as if a reader had become stricter since the upload
    SbomDocument.objects.filter(pk=uploaded["id"]).update(content=b'{"bomFormat": 1}')
    run_jobs()
    job = edith.get(f"/api/v1/jobs/{uploaded['job_id']}").json()
    assert job["status"] == "FAILED"
    assert "shop.json" in job["error"]
    sbom = edith.get(f"/api/v1/sboms/{uploaded['id']}").json()
    assert sbom["status"] == "failed" and sbom["error"]


def test_a_superuser_sees_every_job(as_user: Clients, world: Any) -> None:
    upload(as_user(world.edith), world)
    assert len(as_user(world.root).get("/api/v1/jobs").json()["items"]) == 1
    assert as_user(world.oscar).get("/api/v1/jobs").json()["items"] == []


def test_the_feeds_state(as_user: Clients, world: Any, demo_advisories: None) -> None:
    body = as_user(world.victor).get("/api/v1/feeds").json()
    assert (body["advisories"], body["withdrawn"], body["alias_groups"]) == (8, 1, 7)
    assert body["ecosystems"] == [
        {"name": "PyPI", "advisories": 6},
        {"name": "Go", "advisories": 2},
    ]
    latest = FeedImport.objects.order_by("-started_at").first()
    assert latest is not None
    assert body["last_import_at"] == latest.finished_at.isoformat()
    assert body["imports"][0]["id"] == latest.pk
    assert body["imports"][0]["created"] == 8 and body["imports"][0]["problem_count"] == 0


def test_the_feeds_state_of_an_empty_store(as_user: Clients, world: Any) -> None:
    body = as_user(world.victor).get("/api/v1/feeds").json()
    assert body == {
        "advisories": 0,
        "withdrawn": 0,
        "alias_groups": 0,
        "last_import_at": None,
        "ecosystems": [],
        "imports": [],
    }


def test_an_advisory(as_user: Clients, world: Any, demo_advisories: None) -> None:
    client = as_user(world.victor)
    body = client.get("/api/v1/advisories/PYSEC-2023-74").json()
    assert body["id"] == "PYSEC-2023-74"
    assert body["group_key"] == "CVE-2023-32681"
    assert body["format"] == "osv" and body["imported_at"]
    assert client.get("/api/v1/advisories/NOPE-1").status_code == 404


def test_the_advisory_list_searches_and_pages(
    as_user: Clients, world: Any, demo_advisories: None
) -> None:
    client = as_user(world.victor)
    everything = client.get("/api/v1/advisories?count=true").json()
    assert everything["count"] == 8 and len(everything["items"]) == 8
    modified = [a["modified"] for a in everything["items"]]
    assert modified == sorted(modified, reverse=True)
    found = client.get("/api/v1/advisories?q=requests").json()["items"]
    assert "PYSEC-2023-74" in [a["id"] for a in found]
    go = client.get("/api/v1/advisories?ecosystem=Go").json()["items"]
    assert sorted(a["id"] for a in go) == ["GHSA-h395-qcrw-5vmq", "GO-2023-1571"]
    page = client.get("/api/v1/advisories?limit=3&offset=3").json()
    assert [a["id"] for a in page["items"]] == [a["id"] for a in everything["items"][3:6]]
    assert page["next_offset"] == 6
