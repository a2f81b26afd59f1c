"""The CRA early warning in a real browser (Debian's Chromium driven by Playwright) against a live
server: a KEV import lands on a release of a product placed on the EU market and opens a CRA
event; the editor sees it on the compliance dashboard, due within 24 hours, confirms it, fills
the early warning (member states and the rest), saves it, downloads the JSON and the PDF, checks
the JSON and marks the report submitted.

Every database write happens in the fixtures, before the browser starts (Django refuses ORM calls
inside Playwright's event loop). Screenshots go to ``$VULNDESK_TEST_ARTIFACTS`` (the test's
tmp_path when unset)."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from server.compliance.compliance_world import KEV, World, kev_file, world
from vulndesk.server.advisories.services import kev_import
from vulndesk.server.compliance.models import CraEvent

pytestmark = [pytest.mark.browser]
__all__ = ["world"]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
PASSWORD = "a-long-browser-password-8"


@pytest.fixture
def site(
    transactional_db: None, live_server: Any, world: World, tmp_path: Path, settings: Any
) -> dict[str, Any]:
    """The live server with the compliance world, and the router's CRA event opened by a KEV
    import just now."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    world.edith.set_password(PASSWORD)
    world.edith.save()
    kev_import(path=kev_file(tmp_path, KEV), actor_label="test")
    event = CraEvent.objects.get(product=world.router, vulnerability_id=KEV)
    return {"url": str(live_server.url), "event": event.pk}


@pytest.fixture
def browser(site: dict[str, Any]) -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(f"Debian's chromium is not installed ({CHROMIUM})")
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def test_an_editor_confirms_fills_exports_and_submits_the_early_warning(
    site: dict[str, Any], browser: Any, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    artifacts = Path(os.environ.get("VULNDESK_TEST_ARTIFACTS") or tmp_path)
    artifacts.mkdir(parents=True, exist_ok=True)
    url, event_id = site["url"], site["event"]
    context = browser.new_context(
        viewport={"width": 1360, "height": 900}, locale="en-GB", accept_downloads=True
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{url}/login/")
    page.fill("#id_username", "edith")
    page.fill("#id_password", PASSWORD)
    page.click("button.primary")

    # the dashboard: the early warning is due within 24 hours
    page.click("nav.mainnav >> text=Compliance")
    expect(page.locator("h1")).to_have_text("Compliance")
    soon = page.locator("table.clocks[data-group=within_24h] tbody tr")
    expect(soon.filter(has_text="Early warning")).to_have_count(1)
    early = soon.filter(has_text="Early warning")
    expect(early).to_contain_text(KEV)
    expect(early).to_contain_text("router")
    expect(early.locator(".due-words")).to_have_text(re.compile(r"^in 2[34] h$"))
    expect(early).to_contain_text(" UTC")
    expect(page.locator("#undecided")).to_contain_text(KEV)
    expect(page.locator("#products tr[data-product] .archive-link")).to_have_count(1)
    page.screenshot(path=str(artifacts / "vulndesk-compliance-dashboard.png"), full_page=True)

    # the event: confirm it
    early.locator(f"a:text('{KEV}')").click()
    expect(page.locator("h1")).to_contain_text(KEV)
    expect(page.locator("#event-state")).to_have_text("open")
    expect(page.locator("#trigger")).to_contain_text("CISA KEV")
    page.click("#event-confirm button")
    expect(page.locator(".messages")).to_contain_text("The event is confirmed now.")
    expect(page.locator("#event-state")).to_have_text("confirmed")
    page.screenshot(path=str(artifacts / "vulndesk-compliance-event.png"), full_page=True)

    # the early warning: what is missing, then fill it in
    page.click("#reports a:text('Early warning')")
    expect(page.locator("h1")).to_contain_text("Early warning")
    expect(page.locator("#report-state")).to_have_text("due")
    expect(page.locator(".missing-fields")).to_contain_text(
        "Member states where the product is made available"
    )
    expect(page.locator("#id_product_name")).to_have_value("router")
    for code in ("DE", "NL", "FR"):
        page.check(f"#draft-form input[name=member_states][value={code}]")
    page.fill("#id_malicious_actor", "unknown")
    page.fill("#id_sensitivity", "TLP:AMBER")
    page.fill("#id_notes", "Seen exploited against customers' routers.")
    page.click("#draft-form button.primary")
    expect(page.locator(".messages")).to_contain_text("Draft saved.")
    expect(page.locator("#complete")).to_be_visible()
    expect(page.locator("#draft-form input[name=member_states][value=NL]")).to_be_checked()
    page.screenshot(path=str(artifacts / "vulndesk-compliance-report.png"), full_page=True)

    # the exports
    with page.expect_download() as json_download:
        page.click("#export-json")
    assert json_download.value.suggested_filename == "router-cve-2024-0001-early_warning.json"
    document = json.loads(Path(json_download.value.path()).read_text())
    assert document["format"] == "vulndesk-regulatory-report/1"
    assert (document["kind"], document["state"]) == ("early_warning", "due")
    assert document["product"]["name"] == "router"
    assert document["event"]["state"] == "confirmed"
    assert document["content"]["member_states"] == ["DE", "FR", "NL"]  # in the form's order
    assert document["content"]["malicious_actor"] == "unknown"
    assert document["content"]["cve_ids"] == [KEV]
    assert document["submission"] is None
    with page.expect_download() as pdf_download:
        page.click("#export-pdf")
    assert pdf_download.value.suggested_filename.endswith(".pdf")
    assert Path(pdf_download.value.path()).read_bytes().startswith(b"%PDF")

    # submitted through ENISA's platform: record the reference
    page.fill("#id_reference", "SRP-2026-000123")
    page.click("#submit-form button")
    expect(page.locator(".messages")).to_contain_text("Marked submitted.")
    expect(page.locator("#report-state")).to_have_text("submitted")
    expect(page.locator("#submission-reference")).to_have_text("SRP-2026-000123")
    expect(page.locator("#draft-form")).to_have_count(0)
    page.goto(f"{url}/compliance/events/{event_id}/")
    expect(page.locator("#reports tr[data-kind=early_warning]")).to_contain_text("SRP-2026-000123")
    page.goto(f"{url}/compliance/")
    expect(page.locator("table.clocks[data-group=within_24h]")).to_have_count(0)
    context.close()
