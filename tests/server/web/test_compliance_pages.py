"""The compliance pages: who sees what (404 for a product the user may not see, no forms and 403
for a viewer), an event's decisions with their reasons, the draft editor and what it says is
missing, the JSON and PDF exports, NIS2 records, and the evidence archive."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from server.compliance.compliance_world import KEV, T0, World, kev_file, world
from support import ROOT
from vulndesk.server.advisories.services import kev_import
from vulndesk.server.compliance.documents import report_document
from vulndesk.server.compliance.drafts import CRA_FIELDS
from vulndesk.server.compliance.models import CraEvent, Nis2Record, RegulatoryReport
from vulndesk.server.compliance.nis2 import nis2_record_create
from vulndesk.server.compliance.selectors import report_of
from vulndesk.server.inventory.services import sbom_analyse, sbom_upload
from vulndesk.server.provider.models import PublishedDocument
from vulndesk.server.web.forms.compliance import DraftForm

pytestmark = pytest.mark.django_db
__all__ = ["world"]

SBOM = ROOT / "src/vulndesk/demo/data/sboms/shop-web.cdx.json"


def client_of(user: Any, language: str = "en") -> Client:
    client = Client()
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


@pytest.fixture
def event(world: World, tmp_path: Path) -> CraEvent:
    """The router's event, opened by a KEV import just now (its early warning due in 24 h)."""
    kev_import(path=kev_file(tmp_path, KEV), actor_label="test")
    return CraEvent.objects.get(product=world.router)


def base(event: CraEvent) -> str:
    return f"/compliance/events/{event.pk}"


def draft_post(report: RegulatoryReport, **changes: Any) -> dict[str, Any]:
    """The draft form as the page fills it from ``report``, with ``changes``."""
    data = DraftForm.initial_of(report.content, CRA_FIELDS)
    data.update(changes)
    return {k: ("" if v is None else v) for k, v in data.items()}


def test_pages_render_for_the_right_users(world: World, event: CraEvent) -> None:
    edith, victor = client_of(world.edith), client_of(world.victor)
    for client in (edith, victor):
        page = client.get("/compliance/")
        assert page.status_code == 200
        html = page.content.decode()
        assert f'href="{base(event)}/"' in html and "router" in html
        assert f"/products/{world.router.pk}/compliance-archive.zip" in html
        assert client.get(f"{base(event)}/").status_code == 200
        assert client.get(f"{base(event)}/reports/early_warning/").status_code == 200
        assert client.get("/compliance/nis2/").status_code == 200
    # the early warning is due within 24 hours, in UTC, with the time left in words
    html = edith.get("/compliance/").content.decode()
    within = html.split('data-group="within_24h"')[1].split("</table>")[0]
    assert "Early warning" in within and " UTC" in within and "in 23 h" in within
    # the nav has the entry for a user who sees products
    assert 'href="/compliance/"' in html
    # a viewer sees no forms, and a change is a 403
    viewer_page = victor.get(f"{base(event)}/").content.decode()
    assert 'id="event-confirm"' not in viewer_page and 'id="measure-form"' not in viewer_page
    assert (
        'id="draft-form"'
        not in victor.get(f"{base(event)}/reports/early_warning/").content.decode()
    )
    assert victor.post(f"{base(event)}/state/confirm/").status_code == 403
    assert victor.post(f"{base(event)}/reports/early_warning/save/", {}).status_code == 403
    assert CraEvent.objects.get(pk=event.pk).state == "open"
    editor_page = edith.get(f"{base(event)}/").content.decode()
    assert 'id="event-confirm"' in editor_page and "csrfmiddlewaretoken" in editor_page


def test_the_pages_in_japanese(world: World, event: CraEvent) -> None:
    edith = client_of(world.edith, "ja")
    for url in ("/compliance/", f"{base(event)}/", f"{base(event)}/reports/early_warning/"):
        response = edith.get(url)
        assert response.status_code == 200 and '<html lang="ja">' in response.content.decode()


def test_an_archive_without_top_level_dependencies_says_so(world: World) -> None:
    response = client_of(world.edith).get(f"/products/{world.lab.pk}/compliance-archive.zip")
    assert response.status_code == 200
    assert response.headers["X-Vulndesk-Top-Level-Dependencies"] == "unknown"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    history = json.loads(archive.read("sbom-history.json"))
    assert all(r["top_level_dependencies"] == [] for r in history["releases"])


def test_a_product_the_user_may_not_see_is_a_404(world: World, event: CraEvent) -> None:
    oscar = client_of(world.oscar)
    page = oscar.get("/compliance/").content.decode()
    assert KEV not in page and "router" not in page
    for url in (
        f"{base(event)}/",
        f"{base(event)}/reports/early_warning/",
        f"{base(event)}/reports/early_warning/export.json",
        f"{base(event)}/reports/early_warning/export.pdf",
        f"/products/{world.router.pk}/compliance-archive.zip",
    ):
        assert oscar.get(url).status_code == 404, url
    for url in (
        f"{base(event)}/state/confirm/",
        f"{base(event)}/reports/early_warning/save/",
        f"{base(event)}/reports/early_warning/submit/",
    ):
        assert oscar.post(url, {"reference": "x"}).status_code == 404, url
    assert client_of(world.edith).get(f"{base(event)}/reports/nonsense/").status_code == 404


def test_confirm_dismiss_and_reopen_with_reasons(world: World, event: CraEvent) -> None:
    edith = client_of(world.edith)
    response = edith.post(f"{base(event)}/state/confirm/", {"confirm-reason": ""}, follow=True)
    assert "The event is confirmed now." in response.content.decode()
    assert CraEvent.objects.get(pk=event.pk).state == "confirmed"
    response = edith.post(f"{base(event)}/state/dismiss/", {"dismiss-reason": " "}, follow=True)
    assert "A reason is required." in response.content.decode()
    assert CraEvent.objects.get(pk=event.pk).state == "confirmed"
    edith.post(f"{base(event)}/state/dismiss/", {"dismiss-reason": "not our build"})
    dismissed = CraEvent.objects.get(pk=event.pk)
    assert (dismissed.state, dismissed.state_reason) == ("dismissed", "not our build")
    page = edith.get(f"{base(event)}/").content.decode()
    assert "not our build" in page and 'id="event-reopen"' in page
    assert 'id="event-confirm"' not in page  # the transition table has no dismissed -> confirmed
    edith.post(f"{base(event)}/state/reopen/", {"reopen-reason": ""})
    assert CraEvent.objects.get(pk=event.pk).state == "dismissed"
    edith.post(f"{base(event)}/state/reopen/", {"reopen-reason": "it is our build after all"})
    assert CraEvent.objects.get(pk=event.pk).state == "open"
    # a refused transition (confirm twice) comes back as a message, not a 500
    edith.post(f"{base(event)}/state/confirm/", {})
    response = edith.post(f"{base(event)}/state/confirm/", {}, follow=True)
    assert response.status_code == 200 and "Not saved" in response.content.decode()


def test_the_measure_starts_the_final_clock(world: World, event: CraEvent) -> None:
    edith = client_of(world.edith)
    edith.post(
        f"{base(event)}/measure/",
        {"fix_version": "2.0.1", "description": "", "available_at": "2020-01-01T10:00"},
    )
    event.refresh_from_db()
    assert event.measure_fix_version == "2.0.1"
    final = report_of(event, "final")
    assert final is not None and final.due_at is not None
    assert final.due_at.isoformat().startswith("2020-01-15T10:00:00")
    edith.post(f"{base(event)}/member-states/", {"member_states": ["DE", "FR"]})
    event.refresh_from_db()
    assert event.member_states == ["DE", "FR"]


def test_the_draft_editor_saves_and_shows_what_is_missing(world: World, event: CraEvent) -> None:
    edith = client_of(world.edith)
    url = f"{base(event)}/reports/early_warning/"
    page = edith.get(url).content.decode()
    missing = page.split('class="missing-fields"')[1].split("</ul>")[0]
    assert 'data-path="member_states"' in missing
    assert 'data-path="product.name"' not in missing  # pre-filled
    report = report_of(event, "early_warning")
    assert report is not None
    # a score out of range and a member state that is not one are refused, nothing saved
    bad = edith.post(f"{url}save/", draft_post(report, cvss_score="11"))
    assert bad.status_code == 400 and 'class="error"' in bad.content.decode()
    bad = edith.post(f"{url}save/", draft_post(report, member_states=["US"]))
    assert bad.status_code == 400
    assert report_of(event, "early_warning").content == report.content  # type: ignore[union-attr]
    saved = edith.post(
        f"{url}save/",
        draft_post(report, member_states=["DE", "NL"], malicious_actor="unknown group",
                   cwe_ids="CWE-78\nCWE-20"),
        follow=True,
    )  # fmt: skip
    html = saved.content.decode()
    assert "Draft saved." in html and 'id="complete"' in html
    content = report_of(event, "early_warning").content  # type: ignore[union-attr]
    assert content["member_states"] == ["DE", "NL"]
    assert content["malicious_actor"] == "unknown group"
    assert content["cwe_ids"] == ["CWE-78", "CWE-20"]
    assert content["product_name"] == "router"  # kept as pre-filled


def test_json_and_pdf_exports(world: World, event: CraEvent) -> None:
    victor = client_of(world.victor)  # a viewer may export
    report = report_of(event, "early_warning")
    assert report is not None
    response = victor.get(f"{base(event)}/reports/early_warning/export.json")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "router-cve-2024-0001-early_warning.json" in response.headers["Content-Disposition"]
    assert json.loads(response.content) == report_document(report)
    for language in ("en", "ja"):
        response = client_of(world.victor, language).get(
            f"{base(event)}/reports/early_warning/export.pdf"
        )
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF")
        assert response.headers["Content-Disposition"].startswith("attachment;")


def test_submission_needs_a_reference_and_ends_editing(world: World, event: CraEvent) -> None:
    edith = client_of(world.edith)
    url = f"{base(event)}/reports/early_warning/"
    response = edith.post(f"{url}submit/", {"reference": ""}, follow=True)
    assert "The submission reference is required." in response.content.decode()
    edith.post(f"{url}submit/", {"reference": "SRP-2026-0042"})
    report = report_of(event, "early_warning")
    assert report is not None and report.submission_reference == "SRP-2026-0042"
    page = edith.get(url).content.decode()
    assert 'id="draft-form"' not in page and "SRP-2026-0042" in page
    refused = edith.post(f"{url}save/", draft_post(report, notes="late"))
    assert refused.status_code == 400 and "was submitted" in refused.content.decode()


def test_nis2_records(world: World) -> None:
    record = nis2_record_create(
        organisation=world.router.organisation,
        entity_type="important",
        sector="manufacturing",
        title="Outage of the update server",
        product=world.router,
        assessment={"impact_availability": "low"},
        acting_user=world.edith,
    )
    assert not record.significant
    edith, oscar = client_of(world.edith), client_of(world.oscar)
    assert "Outage of the update server" in edith.get("/compliance/nis2/").content.decode()
    assert "Outage" not in oscar.get("/compliance/nis2/").content.decode()
    url = f"/compliance/nis2/{record.pk}/"
    assert oscar.get(url).status_code == 404
    assert 'id="assessment-form"' not in client_of(world.victor).get(url).content.decode()
    response = edith.post(
        f"{url}assessment/",
        {
            "impact_confidentiality": "none", "impact_integrity": "none",
            "impact_availability": "high", "exploitation": "none", "societal_impact": "none",
            "description": "The update server was down for six hours.",
            "member_states": ["DE"],
        },
        follow=True,
    )  # fmt: skip
    assert "Assessment saved: significant" in response.content.decode()
    record = Nis2Record.objects.get(pk=record.pk)
    assert record.significant and record.member_states == ["DE"]
    page = edith.get(url).content.decode()
    assert f"{url}reports/early_warning/" in page
    report_page = edith.get(f"{url}reports/early_warning/")
    assert report_page.status_code == 200 and 'id="draft-form"' in report_page.content.decode()
    report = report_of(record, "early_warning")
    assert report is not None
    exported = edith.get(f"{url}reports/early_warning/export.json")
    assert json.loads(exported.content) == report_document(report)
    assert edith.get(f"{url}reports/early_warning/export.pdf").content.startswith(b"%PDF")
    assert oscar.get(f"{url}reports/early_warning/export.json").status_code == 404


def test_the_evidence_archive(world: World, event: CraEvent) -> None:
    content = SBOM.read_bytes()
    document = sbom_upload(
        release=world.r2, file_name="../shop-web.cdx.json", content=content, acting_user=world.alice
    )
    sbom_analyse(sbom_id=document.pk)
    for tracking_id, cve in (("ACME-2026-1", KEV), ("ACME-2026-2", "CVE-1999-0001")):
        csaf = json.dumps({"document": {"title": tracking_id}, "vulnerabilities": [{"cve": cve}]})
        PublishedDocument.objects.create(
            organisation=world.router.organisation, tracking_id=tracking_id,
            filename=f"{tracking_id.lower()}.json", version="1", title=f"Advisory {cve}",
            category="csaf_security_advisory", tlp="CLEAR", content=csaf.encode(),
            sha256="0" * 64, sha512="0" * 128, initial_release_date=T0,
            current_release_date=T0, published_at=T0,
        )  # fmt: skip
    response = client_of(world.victor).get(f"/products/{world.router.pk}/compliance-archive.zip")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["X-Vulndesk-Top-Level-Dependencies"] == "known"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    manifest = json.loads(archive.read("manifest.json"))
    names = {m["name"] for m in manifest["members"]}
    assert names == set(archive.namelist()) - {"manifest.json"}
    for member in manifest["members"]:
        assert hashlib.sha256(archive.read(member["name"])).hexdigest() == member["sha256"]
    assert archive.read("sboms/2.0/shop-web.cdx.json") == content
    history = json.loads(archive.read("sbom-history.json"))
    (release,) = [
        r for r in history["releases"] if r["original_file_name"].endswith("web.cdx.json")
    ]
    assert release["sha256"] == hashlib.sha256(content).hexdigest()
    assert release["top_level_dependencies"]  # the demo SBOM says which are direct
    record = json.loads(archive.read("handling-record.json"))
    assert {KEV} <= {v for f in record["findings"] for v in f["vulnerability_ids"]}
    # the CSAF advisory naming the product's vulnerability, not the other one
    assert [a["title"] for a in record["advisories"]] == [f"Advisory {KEV}"]
    assert [r["kind"] for r in record["reports"]] == ["early_warning", "notification", "final"]
    assert any(n.endswith("early_warning.pdf") for n in names)


def test_every_form_needs_the_csrf_token(world: World, event: CraEvent) -> None:
    edith = Client(enforce_csrf_checks=True)
    edith.force_login(world.edith)
    for url in (
        f"{base(event)}/state/confirm/",
        f"{base(event)}/measure/",
        f"{base(event)}/member-states/",
        f"{base(event)}/reports/early_warning/save/",
        f"{base(event)}/reports/early_warning/submit/",
    ):
        assert edith.post(url, {"reference": "x"}).status_code == 403, url
    assert CraEvent.objects.get(pk=event.pk).state == "open"
    page = edith.get(f"{base(event)}/reports/early_warning/").content.decode()
    assert page.count('name="csrfmiddlewaretoken"') >= 3  # language, logout, draft, submit
