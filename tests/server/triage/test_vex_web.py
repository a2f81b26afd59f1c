"""VEX in the web interface: the finding page's section and form, bulk triage from the findings
list, and the product page's import and export."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from server.triage.vex_world import (
    PYYAML_CVE,
    REQUESTS_CVE,
    World,
    build,
    finding,
    release,
    widened_requests_advisory,
)
from vulndesk.core.vex import read_vex
from vulndesk.server.accounts.services import team_create
from vulndesk.server.advisories.services import feeds_import
from vulndesk.server.findings.models import Finding
from vulndesk.server.inventory.models import Role
from vulndesk.server.inventory.services import product_create, product_grant
from vulndesk.server.jobs.inline import jobs_run_pending
from vulndesk.server.triage.models import VexStatement
from vulndesk.server.triage.vex import StatementText, vex_statement_record

pytestmark = pytest.mark.django_db

SHOP_1 = {"requests": "2.28.1", "pyyaml": "5.3.1"}


def text(content: bytes) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", content.decode())))


def logged_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def world() -> World:
    return build()


def test_the_finding_page_shows_who_said_it_and_for_which_release(
    world: World, tmp_path: Path
) -> None:
    first = release(world, "1.0", SHOP_1)
    vex_statement_record(
        finding=finding(first, "requests", REQUESTS_CVE),
        text=StatementText(
            state="not_affected",
            justification="component_not_present",
            detail="only in the build image",
        ),
        acting_user=world.edith,
    )
    later = finding(release(world, "1.1", SHOP_1), "requests", REQUESTS_CVE)
    page = logged_in(world.victor).get(f"/findings/{later.pk}/")
    assert page.status_code == 200
    shown = text(page.content)
    assert "VEX analysis" in shown
    assert "not affected component not present" in shown
    assert "only in the build image" in shown
    assert "edith on" in shown
    assert "Stated for release 1.0" in shown
    assert "Record a VEX statement" not in shown  # a viewer gets no form

    feeds_import(paths=[widened_requests_advisory(tmp_path / "osv")], actor_label="test")
    jobs_run_pending()
    revived = text(logged_in(world.victor).get(f"/findings/{later.pk}/").content)
    assert (
        "Revived: the vulnerability's affected range changed since edith said not affected."
        in revived
    )


def test_an_editor_records_a_statement_from_the_finding_page(world: World) -> None:
    found = finding(release(world, "1.0", SHOP_1), "requests", REQUESTS_CVE)
    editor = logged_in(world.edith)
    page = editor.get(f"/findings/{found.pk}/")
    assert "Record a VEX statement" in text(page.content)
    url = f"/findings/{found.pk}/vex/"
    # no reason for not affected: the page again, with the error on the field
    refused = editor.post(url, {"state": "not_affected", "scope": "version"})
    assert refused.status_code == 400
    assert "choose a justification or write an impact statement" in text(refused.content)
    assert not VexStatement.objects.exists()

    answer = editor.post(
        url,
        {
            "state": "not_affected",
            "justification": "vulnerable_code_not_in_execute_path",
            "responses": ["will_not_fix"],
            "detail": "the proxy code is never called",
            "scope": "any_version",
        },
    )
    assert answer.status_code == 302
    assert answer["Location"] == f"/findings/{found.pk}/#vex"
    statement = VexStatement.objects.get()
    assert (statement.origin, statement.author, statement.component_version) == (
        "web",
        world.edith,
        "*",
    )
    shown = text(editor.get(f"/findings/{found.pk}/").content)
    assert "VEX statement recorded." in shown
    assert "will not fix" in shown
    assert "every version of requests" in shown


def test_the_finding_page_records_a_range_and_refuses_a_bad_one(world: World) -> None:
    found = finding(release(world, "1.0", SHOP_1), "requests", REQUESTS_CVE)
    editor = logged_in(world.edith)
    body = editor.get(f"/findings/{found.pk}/").content.decode()
    assert 'value="range"' in body and 'name="version_range"' in body
    url = f"/findings/{found.pk}/vex/"
    reason = {"state": "not_affected", "justification": "component_not_present"}
    cases = [
        (
            {"scope": "range", "version_range": "vers:pypi/>=x"},
            "range 'vers:pypi/>=x' cannot be read: 'x' is not a version (it has no digit)",
        ),
        (
            {"scope": "range", "version_range": "vers:pypi/>=2.29.0"},
            "range 'vers:pypi/>=2.29.0' does not contain requests 2.28.1",
        ),
        ({"scope": "range"}, "Write the range of versions the statement covers"),
        (
            {"scope": "version", "version_range": "vers:pypi/>=2.0"},
            "A version range is only for a statement about a range of versions",
        ),
    ]
    for data, message in cases:
        refused = editor.post(url, {**reason, **data})
        assert refused.status_code == 400
        assert message in text(refused.content)
    assert not VexStatement.objects.exists()

    answer = editor.post(
        url, {**reason, "scope": "range", "version_range": "vers:pypi/>=2.28.0|<2.30.0"}
    )
    assert answer.status_code == 302
    statement = VexStatement.objects.get()
    assert statement.component_version == "vers:pypi/>=2.28.0|<2.30.0"
    later = finding(release(world, "1.1", {"requests": "2.29.0"}), "requests", REQUESTS_CVE)
    shown = text(editor.get(f"/findings/{later.pk}/").content)
    assert "not affected component not present" in shown
    assert (
        "the versions of requests in the range vers:pypi/>=2.28.0|<2.30.0, in this release and "
        "later ones" in shown
    )
    assert "Stated for release 1.0 (this version is in the range it covers" in shown


def test_bulk_triage_with_a_range(world: World) -> None:
    first = finding(release(world, "1.0", SHOP_1), "requests", REQUESTS_CVE)
    second = finding(release(world, "1.1", {"requests": "2.29.0"}), "requests", REQUESTS_CVE)
    editor = logged_in(world.edith)
    data = {
        "action": "vex",
        "ids": [first.pk, second.pk],
        "vex_state": "not_affected",
        "vex_justification": "component_not_present",
        "vex_scope": "range",
        "next": "/findings/",
    }
    refused = editor.post(
        "/findings/selected/", {**data, "vex_version_range": "vers:pypi/>=2.29.0"}, follow=True
    )
    assert (
        f"range 'vers:pypi/>=2.29.0' does not contain requests 2.28.1, the version of finding "
        f"{first.pk}" in text(refused.content)
    )
    empty = editor.post("/findings/selected/", data, follow=True)
    assert "Write the range of versions the statement covers" in text(empty.content)
    assert not VexStatement.objects.exists()

    answer = editor.post(
        "/findings/selected/",
        {**data, "vex_version_range": "vers:pypi/>=2.28.0|<2.30.0"},
        follow=True,
    )
    assert "1 VEX statement recorded for 2 selected findings." in text(answer.content)
    statement = VexStatement.objects.get()
    assert statement.component_version == "vers:pypi/>=2.28.0|<2.30.0"
    later = finding(release(world, "1.2", {"requests": "2.29.0"}), "requests", REQUESTS_CVE)
    assert later.vex_statement_id == statement.pk


def test_who_may_not_record(world: World) -> None:
    found = finding(release(world, "1.0", SHOP_1), "requests", REQUESTS_CVE)
    data = {"state": "fixed", "scope": "version"}
    assert logged_in(world.victor).post(f"/findings/{found.pk}/vex/", data).status_code == 403
    assert logged_in(world.oscar).post(f"/findings/{found.pk}/vex/", data).status_code == 404
    assert logged_in(world.oscar).get(f"/findings/{found.pk}/").status_code == 404
    anonymous = Client().post(f"/findings/{found.pk}/vex/", data)
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]
    csrf = Client(enforce_csrf_checks=True)
    csrf.force_login(world.edith)
    assert csrf.post(f"/findings/{found.pk}/vex/", data).status_code == 403
    assert not VexStatement.objects.exists()


def test_bulk_triage_records_for_what_the_user_may_edit(world: World) -> None:
    first = release(world, "1.0", SHOP_1)
    second = release(world, "1.1", SHOP_1)
    theirs = product_create(name="theirs", acting_user=world.alice)
    # edith sees it (viewer) but may not change it
    readers = team_create(organisation=theirs.organisation, name="readers", members=[world.edith])
    product_grant(product=theirs, team=readers, role=Role.VIEWER, acting_user=world.alice)
    foreign = finding(release(world, "9.0", SHOP_1, product=theirs), "pyyaml", PYYAML_CVE)
    selected = [
        finding(first, "requests", REQUESTS_CVE).pk,
        finding(second, "requests", REQUESTS_CVE).pk,
        finding(first, "pyyaml", PYYAML_CVE).pk,
        foreign.pk,
    ]
    editor = logged_in(world.edith)
    answer = editor.post(
        "/findings/selected/",
        {
            "action": "vex",
            "ids": selected,
            "vex_state": "not_affected",
            "vex_justification": "component_not_present",
            "vex_detail": "triaged in bulk",
            "next": "/findings/?product=1",
        },
        follow=True,
    )
    shown = text(answer.content)
    # requests 2.28.1 in both releases is one scope: two statements for three findings
    assert "2 VEX statements recorded for 3 selected findings." in shown
    assert "1 finding was left out: VEX statements need the editor role." in shown
    assert VexStatement.objects.count() == 2
    assert set(VexStatement.objects.values_list("detail", flat=True)) == {"triaged in bulk"}
    assert Finding.objects.filter(product=world.product, analysis_state="not_affected").count() == 4
    foreign.refresh_from_db()
    assert foreign.analysis_state == ""

    # a bulk statement needs its state, and a not-affected one its justification
    refused = editor.post(
        "/findings/selected/",
        {"action": "vex", "ids": selected[:1], "vex_state": "not_affected", "next": "/findings/"},
        follow=True,
    )
    assert "choose a justification or write an impact statement" in text(refused.content)
    assert VexStatement.objects.count() == 2


def test_the_findings_list_offers_the_bulk_action(world: World) -> None:
    release(world, "1.0", SHOP_1)
    page = logged_in(world.edith).get("/findings/")
    body = page.content.decode()
    assert 'name="action" value="vex"' in body
    assert 'name="vex_state" form="bulk"' in body
    assert 'name="vex_justification" form="bulk"' in body


def test_the_bulk_scope_fields_render_for_the_bulk_form() -> None:
    from django.template.loader import render_to_string

    body = render_to_string("web/triage/_vex_bulk_scope.html")
    assert 'name="vex_scope" form="bulk"' in body
    assert '<option value="range">a range of versions of the component</option>' in body
    assert 'name="vex_version_range" form="bulk"' in body


def test_the_product_page_imports_and_exports(world: World) -> None:
    first = release(world, "1.0", SHOP_1)
    editor = logged_in(world.edith)
    page = text(editor.get(f"/products/{world.product.pk}/").content)
    assert "Import a VEX document" in page and "Export VEX" in page
    assert "Import a VEX document" not in text(
        logged_in(world.victor).get(f"/products/{world.product.pk}/").content
    )
    document = (
        b'{"@context": "https://openvex.dev/ns/v0.2.0", "@id": "urn:x:1", "author": "PSIRT",'
        b' "timestamp": "2024-01-01T00:00:00Z", "version": 1, "statements": [{"vulnerability":'
        b' {"name": "CVE-2023-32681"}, "products": [{"@id": "pkg:pypi/requests@2.28.1"}],'
        b' "status": "fixed"}, {"vulnerability": {"name": "CVE-2099-1"}, "products": [],'
        b' "status": "fixed"}]}'
    )
    imported = editor.post(
        f"/products/{world.product.pk}/vex/import/",
        {"document": SimpleUploadedFile("psirt.json", document)},
    )
    assert imported.status_code == 200
    shown = text(imported.content)
    assert "2 statements read, 1 stored" in shown
    assert "the statement names no product" in shown
    assert finding(first, "requests", REQUESTS_CVE).analysis_state == "fixed"

    bad = editor.post(
        f"/products/{world.product.pk}/vex/import/",
        {"document": SimpleUploadedFile("bad.json", b"[]")},
    )
    assert bad.status_code == 400
    assert "Nothing was stored." in text(bad.content)
    viewer = logged_in(world.victor)
    assert (
        viewer.post(
            f"/products/{world.product.pk}/vex/import/",
            {"document": SimpleUploadedFile("psirt.json", document)},
        ).status_code
        == 403
    )

    exported = viewer.get(
        f"/products/{world.product.pk}/vex/export/", {"format": "cyclonedx", "release": first.pk}
    )
    assert exported.status_code == 200
    assert exported["Content-Type"] == "application/vnd.cyclonedx+json"
    assert [s.vulnerability for s in read_vex(exported.content, "x").statements] == [REQUESTS_CVE]
    assert (
        logged_in(world.oscar).get(f"/products/{world.product.pk}/vex/export/").status_code == 404
    )
