"""The VEX routes of the REST API: who may read and write, what they answer."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from server.triage.vex_world import REQUESTS_CVE, World, build, finding, new_serial, release
from vulndesk.core.vex import read_vex
from vulndesk.server.accounts.tokens import api_token_create
from vulndesk.server.triage.models import VexStatement

pytestmark = pytest.mark.django_db

SHOP_1 = {"requests": "2.28.1", "pyyaml": "5.3.1"}
NOT_PRESENT = {"state": "not_affected", "justification": "component_not_present"}


def client_of(user: Any) -> Client:
    _, raw = api_token_create(user=user, name="tests", acting_user=user)
    return Client(headers={"Authorization": f"Bearer {raw}"})


@pytest.fixture
def world() -> World:
    return build()


def test_an_editor_records_a_statement_and_a_viewer_reads_it(world: World) -> None:
    found = finding(release(world, "1.0", SHOP_1), "requests", REQUESTS_CVE)
    url = f"/api/v1/findings/{found.pk}/vex"
    answer = client_of(world.edith).post(
        url, {**NOT_PRESENT, "detail": "not shipped"}, content_type="application/json"
    )
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["state"] == "not_affected"
    assert body["author"] == "edith"
    assert body["origin"] == "api"
    assert body["component_key"] == "pkg:pypi/requests"
    assert body["component_version"] == "2.28.1"
    assert body["affected_range"] == found.affected_range

    read = client_of(world.victor).get(url)
    assert read.status_code == 200
    assert read.json()["current"]["id"] == body["id"]
    assert read.json()["history"] == []

    listed = client_of(world.victor).get(f"/api/v1/products/{world.product.pk}/vex")
    assert [s["id"] for s in listed.json()["items"]] == [body["id"]]


def test_scope_any_version(world: World) -> None:
    found = finding(release(world, "1.0", SHOP_1), "requests", REQUESTS_CVE)
    answer = client_of(world.edith).post(
        f"/api/v1/findings/{found.pk}/vex",
        {"state": "under_investigation", "scope": "any_version"},
        content_type="application/json",
    )
    assert answer.status_code == 201
    assert answer.json()["component_version"] == "*"


def test_scope_range_covers_a_later_release_and_a_bad_range_is_a_400(world: World) -> None:
    found = finding(release(world, "1.0", SHOP_1), "requests", REQUESTS_CVE)
    url = f"/api/v1/findings/{found.pk}/vex"
    editor = client_of(world.edith)
    answer = editor.post(
        url,
        {**NOT_PRESENT, "scope": "range", "version_range": "vers:pypi/>=2.28.0|<2.30.0"},
        content_type="application/json",
    )
    assert answer.status_code == 201, answer.content
    assert answer.json()["component_version"] == "vers:pypi/>=2.28.0|<2.30.0"
    later = finding(release(world, "1.1", {"requests": "2.29.0"}), "requests", REQUESTS_CVE)
    shown = client_of(world.victor).get(f"/api/v1/findings/{later.pk}/vex").json()
    assert shown["current"]["id"] == answer.json()["id"]
    assert shown["stated_on_release"]["version"] == "1.0"

    for body, message in [
        (
            {"version_range": "vers:pypi/>=x"},
            "range 'vers:pypi/>=x' cannot be read: 'x' is not a version (it has no digit)",
        ),
        (
            {"version_range": "vers:pypi/>=3.0"},
            "range 'vers:pypi/>=3.0' does not contain requests 2.28.1, the version of finding "
            f"{found.pk}; a statement recorded on a finding must cover its version",
        ),
        ({}, "a statement about a version range needs the range"),
    ]:
        refused = editor.post(
            url, {**NOT_PRESENT, "scope": "range", **body}, content_type="application/json"
        )
        assert refused.status_code == 400, refused.content
        assert refused.json()["detail"] == message or message in refused.json()["detail"]
    too_long = editor.post(
        url,
        {**NOT_PRESENT, "scope": "range", "version_range": "vers:pypi/<" + "1" * 1000},
        content_type="application/json",
    )
    assert too_long.status_code == 422
    assert VexStatement.objects.count() == 1


def test_who_may_not(world: World) -> None:
    found = finding(release(world, "1.0", SHOP_1), "requests", REQUESTS_CVE)
    url = f"/api/v1/findings/{found.pk}/vex"
    product = f"/api/v1/products/{world.product.pk}/vex"
    viewer, outsider = client_of(world.victor), client_of(world.oscar)
    assert viewer.post(url, NOT_PRESENT, content_type="application/json").status_code == 403
    assert outsider.post(url, NOT_PRESENT, content_type="application/json").status_code == 404
    assert outsider.get(url).status_code == 404
    assert outsider.get(product).status_code == 404
    assert outsider.get(f"{product}/export").status_code == 404
    assert (
        viewer.post(f"{product}/import", b"{}", content_type="application/json").status_code == 403
    )
    assert (
        outsider.post(f"{product}/import", b"{}", content_type="application/json").status_code
        == 404
    )
    anonymous = Client()
    assert anonymous.get(url).status_code == 401
    assert anonymous.post(url, NOT_PRESENT, content_type="application/json").status_code == 401
    assert anonymous.get(f"{product}/export").status_code == 401
    assert client_of(world.edith).get("/api/v1/findings/999999/vex").status_code == 404
    assert not VexStatement.objects.exists()


def test_a_statement_without_reason_is_a_400_and_a_bad_word_a_422(world: World) -> None:
    found = finding(release(world, "1.0", SHOP_1), "requests", REQUESTS_CVE)
    url = f"/api/v1/findings/{found.pk}/vex"
    editor = client_of(world.edith)
    answer = editor.post(url, {"state": "not_affected"}, content_type="application/json")
    assert answer.status_code == 400
    assert "justification or an impact statement" in answer.json()["detail"]
    wrong = editor.post(url, {"state": "exploitable"}, content_type="application/json")
    assert wrong.status_code == 422
    assert not VexStatement.objects.exists()


def test_import_raw_and_multipart_and_a_bad_file_stores_nothing(world: World) -> None:
    release(world, "1.0", SHOP_1)
    editor = client_of(world.edith)
    url = f"/api/v1/products/{world.product.pk}/vex/import"
    document = {
        "@context": "https://openvex.dev/ns/v0.2.0",
        "@id": "https://example.com/vex/1",
        "author": "Example PSIRT",
        "timestamp": "2024-01-01T00:00:00Z",
        "version": 1,
        "statements": [
            {
                "vulnerability": {"name": REQUESTS_CVE},
                "products": [{"@id": "pkg:pypi/requests@2.28.1"}],
                "status": "not_affected",
                "justification": "vulnerable_code_not_in_execute_path",
            },
            {
                "vulnerability": {"name": "CVE-2099-0001"},
                "products": [{"@id": "pkg:npm/left-pad"}],
                "status": "affected",
                "action_statement": "remove it",
            },
        ],
    }
    answer = editor.post(url, document, content_type="application/json")
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["format"] == "openvex"
    assert body["statements_read"] == 2
    matched = {r["statement"]["vulnerability_id"]: r["matched_findings"] for r in body["recorded"]}
    assert matched == {REQUESTS_CVE: 1, "CVE-2099-0001": 0}
    assert body["recorded"][0]["statement"]["author"] == "Example PSIRT"
    assert body["not_stored"] == []

    again = editor.post(
        url, {"file": _upload(json.dumps(document).encode(), "vex.json")}, format="multipart"
    )
    assert again.status_code == 200, again.content
    assert VexStatement.objects.filter(superseded_at__isnull=True).count() == 2
    assert VexStatement.objects.count() == 4

    bad = editor.post(url, b'{"statements": []}', content_type="application/json")
    assert bad.status_code == 400
    assert "OpenVEX" in bad.json()["detail"]
    assert VexStatement.objects.count() == 4
    assert editor.post(url, b"x", content_type="text/plain").status_code == 415


def _upload(content: bytes, name: str) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="application/json")


@pytest.mark.parametrize("fmt", ["openvex", "cyclonedx", "csaf"])
def test_export_reads_back(world: World, fmt: str) -> None:
    serial = new_serial()
    first = release(world, "1.0", SHOP_1, serial=serial)
    found = finding(first, "requests", REQUESTS_CVE)
    client_of(world.edith).post(
        f"/api/v1/findings/{found.pk}/vex", NOT_PRESENT, content_type="application/json"
    )
    viewer = client_of(world.victor)
    base = f"/api/v1/products/{world.product.pk}/vex/export?format={fmt}"
    for url in (base, f"{base}&release_id={first.pk}"):
        answer = viewer.get(url)
        assert answer.status_code == 200, answer.content
        assert "attachment" in answer["Content-Disposition"]
        doc = read_vex(answer.content, "export")
        assert doc.format == fmt
        [statement] = doc.statements
        assert statement.vulnerability == REQUESTS_CVE
        assert statement.status.value == "not_affected"
        assert statement.justification == "component_not_present"
        [product] = statement.products
        assert (product.purl or "").startswith("pkg:pypi/requests@2.28.1") or product.ref.endswith(
            "pkg:pypi/requests@2.28.1"
        )
    cyclonedx = viewer.get(f"{base}&release_id={first.pk}").json()
    if fmt == "cyclonedx":
        ref = cyclonedx["vulnerabilities"][0]["affects"][0]["ref"]
        assert ref == f"urn:cdx:{serial.removeprefix('urn:uuid:')}/1#pkg:pypi/requests@2.28.1"
    if fmt == "csaf":
        assert cyclonedx["document"]["publisher"]["name"] == world.product.organisation.name


def test_export_of_another_products_release_is_a_404_and_csaf_without_statements_a_400(
    world: World,
) -> None:
    first = release(world, "1.0", SHOP_1)
    viewer = client_of(world.victor)
    from vulndesk.server.inventory.services import product_create

    other = product_create(name="other", acting_user=world.alice)
    url = f"/api/v1/products/{other.pk}/vex/export?release_id={first.pk}"
    assert client_of(world.alice).get(url).status_code == 404
    empty = viewer.get(f"/api/v1/products/{world.product.pk}/vex/export?format=csaf")
    assert empty.status_code == 400
    assert "no statements" in empty.json()["detail"]
    unstated = viewer.get(
        f"/api/v1/products/{world.product.pk}/vex/export?format=csaf&release_id={first.pk}"
        "&include_unstated=true"
    )
    assert unstated.status_code == 200
    statuses = {s.status.value for s in read_vex(unstated.content, "x").statements}
    assert statuses == {"under_investigation"}
