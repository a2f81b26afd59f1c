"""SBOM upload (multipart and raw body), refusals that store nothing, the stored SBOM and its
verbatim content, components, "where is this used?", and the way from an upload to findings."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.test.utils import override_settings

from support import FIXTURES, ROOT
from vulndesk.server.audit.models import AuditEvent
from vulndesk.server.inventory.models import SbomDocument
from vulndesk.server.jobs.models import Job

pytestmark = pytest.mark.django_db

Clients = Callable[[Any], Client]

SHOP_WEB = ROOT / "src/vulndesk/demo/data/sboms/shop-web.cdx.json"
API_GATEWAY = ROOT / "src/vulndesk/demo/data/sboms/api-gateway.spdx.json"


def upload_url(world: Any) -> str:
    return f"/api/v1/releases/{world.release.pk}/sboms"


def as_file(name: str, data: bytes) -> io.BytesIO:
    file = io.BytesIO(data)
    file.name = name
    return file


def test_a_multipart_upload_is_stored_and_queued(as_user: Clients, world: Any) -> None:
    content = SHOP_WEB.read_bytes()
    response = as_user(world.edith).post(
        upload_url(world), {"file": as_file("shop-web.cdx.json", content)}
    )
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["file_name"] == "shop-web.cdx.json"
    assert body["sha256"] == hashlib.sha256(content).hexdigest()
    assert body["size"] == len(content)
    assert body["format"] == "CycloneDX json" and body["spec_version"] == "1.6"
    assert body["status"] == "pending" and body["uploaded_by"] == "edith"
    job = Job.objects.get(pk=body["job_id"])
    assert job.kind == "sbom_analysis" and job.product == world.shop
    assert bytes(SbomDocument.objects.get(pk=body["id"]).content) == content


@pytest.mark.parametrize(
    ("path", "media_type", "expected_format"),
    [
        (SHOP_WEB, "application/vnd.cyclonedx+json", "CycloneDX json"),
        (SHOP_WEB, "application/json", "CycloneDX json"),
        (API_GATEWAY, "application/spdx+json", "SPDX json"),
        (FIXTURES / "sbom/cyclonedx-1.6.xml", "application/xml", "CycloneDX xml"),
        (FIXTURES / "sbom/spdx-2.3-multi.spdx", "text/plain", "SPDX tag-value"),
    ],
)
def test_a_raw_body_upload_is_stored(
    as_user: Clients, world: Any, path: Any, media_type: str, expected_format: str
) -> None:
    content = path.read_bytes()
    response = as_user(world.edith).post(upload_url(world), content, content_type=media_type)
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["format"] == expected_format and body["size"] == len(content)
    assert body["job_id"] is not None
    assert bytes(SbomDocument.objects.get(pk=body["id"]).content) == content


def test_a_raw_body_may_name_its_file(as_user: Clients, world: Any) -> None:
    response = as_user(world.edith).post(
        f"{upload_url(world)}?file_name=shop.json",
        SHOP_WEB.read_bytes(),
        content_type="application/json",
    )
    assert response.json()["file_name"] == "shop.json"
    unnamed = as_user(world.edith).post(
        upload_url(world), SHOP_WEB.read_bytes(), content_type="application/vnd.cyclonedx+json"
    )
    assert unnamed.json()["file_name"] == "sbom.cdx.json"


@pytest.mark.parametrize("multipart", [True, False], ids=["multipart", "raw"])
def test_a_bad_sbom_is_400_with_the_readers_message_and_nothing_is_stored(
    as_user: Clients, world: Any, multipart: bool
) -> None:
    content = (FIXTURES / "sbom/truncated.cdx.json").read_bytes()
    client = as_user(world.edith)
    if multipart:
        response = client.post(upload_url(world), {"file": as_file("bad.cdx.json", content)})
    else:
        response = client.post(
            f"{upload_url(world)}?file_name=bad.cdx.json", content, content_type="application/json"
        )
    assert response.status_code == 400
    body = response.json()
    assert body["detail"].startswith("bad.cdx.json:line ")
    assert "malformed JSON" in body["detail"]
    assert body["source"] == "bad.cdx.json" and body["location"].startswith("line ")
    assert not SbomDocument.objects.exists()
    assert not Job.objects.exists()
    assert not AuditEvent.objects.filter(action="sbom.upload").exists()


def test_a_document_that_is_no_sbom_says_what_it_is(as_user: Clients, world: Any) -> None:
    osv = (FIXTURES / "sbom/osv-record.json").read_bytes()
    response = as_user(world.edith).post(upload_url(world), osv, content_type="application/json")
    assert response.status_code == 400
    assert "OSV vulnerability record" in response.json()["detail"]


@override_settings(SBOM_UPLOAD_MAX_BYTES=1000)
@pytest.mark.parametrize("multipart", [True, False], ids=["multipart", "raw"])
def test_an_sbom_past_the_limit_is_413(as_user: Clients, world: Any, multipart: bool) -> None:
    content = SHOP_WEB.read_bytes()
    assert len(content) > 1000
    client = as_user(world.edith)
    if multipart:
        response = client.post(upload_url(world), {"file": as_file("big.json", content)})
    else:
        response = client.post(upload_url(world), content, content_type="application/json")
    assert response.status_code == 413
    assert "1,000 bytes" in response.json()["detail"]
    assert not SbomDocument.objects.exists()


def test_a_multipart_form_without_the_file_is_400(as_user: Clients, world: Any) -> None:
    response = as_user(world.edith).post(
        upload_url(world), {"sbom": as_file("x.json", SHOP_WEB.read_bytes())}
    )
    assert response.status_code == 400
    assert "'file'" in response.json()["detail"]


def test_another_media_type_is_415(as_user: Clients, world: Any) -> None:
    response = as_user(world.edith).post(upload_url(world), b"PK", content_type="application/zip")
    assert response.status_code == 415
    assert "multipart/form-data" in response.json()["detail"]


def test_uploading_needs_the_editor_role(as_user: Clients, world: Any) -> None:
    response = as_user(world.victor).post(
        upload_url(world), SHOP_WEB.read_bytes(), content_type="application/json"
    )
    assert response.status_code == 403
    assert not SbomDocument.objects.exists()


def test_the_stored_sbom_and_its_verbatim_content(as_user: Clients, world: Any) -> None:
    content = API_GATEWAY.read_bytes()
    uploaded = as_user(world.edith).post(
        upload_url(world), {"file": as_file("gw.spdx.json", content)}
    )
    sbom_id = uploaded.json()["id"]
    victor = as_user(world.victor)

    detail = victor.get(f"/api/v1/sboms/{sbom_id}").json()
    assert detail["sha256"] == hashlib.sha256(content).hexdigest()
    assert detail["release_id"] == world.release.pk and detail["uploaded_by"] == "edith"

    exported = victor.get(f"/api/v1/sboms/{sbom_id}/content")
    assert exported.status_code == 200
    assert exported.content == content
    assert exported["Content-Type"] == "application/spdx+json"
    assert exported["Content-Disposition"] == 'attachment; filename="gw.spdx.json"'

    listed = victor.get(f"/api/v1/releases/{world.release.pk}/sboms").json()
    assert [s["id"] for s in listed["items"]] == [sbom_id]
    assert victor.get("/api/v1/sboms/999999").status_code == 404


def test_from_upload_to_findings(
    as_user: Clients, world: Any, demo_advisories: None, run_jobs: Callable[[], int]
) -> None:
    edith = as_user(world.edith)
    uploaded = edith.post(upload_url(world), {"file": as_file("shop.json", SHOP_WEB.read_bytes())})
    job_id = uploaded.json()["job_id"]
    assert edith.get(f"/api/v1/jobs/{job_id}").json()["status"] == "READY"
    assert run_jobs() >= 1

    job = edith.get(f"/api/v1/jobs/{job_id}").json()
    assert job["status"] == "SUCCESSFUL" and job["error"] is None
    assert edith.get(f"/api/v1/sboms/{uploaded.json()['id']}").json()["status"] == "analysed"

    findings = edith.get(f"/api/v1/findings?release_id={world.release.pk}").json()["items"]
    found = [(f["vulnerability_id"], f["component_name"], f["severity"]) for f in findings]
    # most severe first; equally severe ones newest first (by id)
    assert found[0] == ("CVE-2020-14343", "pyyaml", "critical")
    assert sorted(found[1:]) == [
        ("CVE-2023-32681", "requests", "medium"),
        ("CVE-2023-43804", "urllib3", "medium"),
        ("CVE-2024-22195", "jinja2", "medium"),
    ]
    assert [f["id"] for f in findings[1:]] == sorted((f["id"] for f in findings[1:]), reverse=True)
    assert all(f["product_name"] == "shop" and f["release_version"] == "1.8.0" for f in findings)
    summary = edith.get(f"/api/v1/findings/summary?release_id={world.release.pk}").json()
    assert summary["counts"]["critical"] == 1 and summary["total"] == 4

    components = edith.get(f"/api/v1/releases/{world.release.pk}/components").json()
    names = [c["name"] for c in components["items"]]
    assert "pyyaml" in names and names == sorted(names)
    pyyaml = next(c for c in components["items"] if c["name"] == "pyyaml")
    assert pyyaml["identity_key"] == "pkg:pypi/pyyaml@5.3.1" and pyyaml["evaluable"]
    q = edith.get(f"/api/v1/releases/{world.release.pk}/components?q=yam").json()
    assert [c["name"] for c in q["items"]] == ["pyyaml"]

    release = edith.get(f"/api/v1/releases/{world.release.pk}").json()
    assert release["component_count"] == len(names) and release["analysed_at"] is not None


def test_where_a_component_is_used(
    as_user: Clients, world: Any, run_jobs: Callable[[], int]
) -> None:
    edith = as_user(world.edith)
    edith.post(upload_url(world), {"file": as_file("shop.json", SHOP_WEB.read_bytes())})
    run_jobs()

    by_name = edith.get("/api/v1/components/search?name=PyYAML").json()
    assert [
        (c["name"], c["version"], c["release_version"], c["product_name"]) for c in by_name["items"]
    ] == [("pyyaml", "5.3.1", "1.8.0", "shop")]
    assert by_name["items"][0]["release_id"] == world.release.pk
    assert edith.get("/api/v1/components/search?name=pyyaml&version=5.3").json()["items"]
    assert not edith.get("/api/v1/components/search?name=pyyaml&version=6").json()["items"]
    by_purl = edith.get("/api/v1/components/search?name=pkg:pypi/pyyaml").json()
    assert [c["version"] for c in by_purl["items"]] == ["5.3.1"]
    # a purl with a version searches that version
    versioned = edith.get("/api/v1/components/search?name=pkg:pypi/pyyaml@5.3.1").json()
    assert len(versioned["items"]) == 1
    assert not edith.get("/api/v1/components/search?name=pkg:pypi/pyyaml@9").json()["items"]
    assert edith.get("/api/v1/components/search?name=pkg:").status_code == 400
    assert edith.get("/api/v1/components/search").status_code == 422
