"""The web interface in a real browser (Debian's Chromium driven by Playwright) against a live
server: log in, search, open an advisory, scan the demo SBOM, switch to Japanese."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from support import ROOT
from vulndesk.server.advisories.services import feeds_import

pytestmark = [pytest.mark.browser]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DEMO = ROOT / "src/vulndesk/demo/data"
PASSWORD = "a-long-browser-password-3"


@pytest.fixture
def demo_site(transactional_db: None, live_server: Any) -> str:
    feeds_import(paths=[DEMO / "osv"], actor_label="test")
    get_user_model().objects.create_user("analyst", password=PASSWORD)
    return str(live_server.url)


@pytest.fixture
def browser(demo_site: str) -> Iterator[Any]:
    """Return Chromium, started after ``demo_site`` has written its data.

    Playwright's sync API runs an event loop in this thread while it is open. Django refuses ORM
    calls there (async-unsafe), and its connections are kept per async context, so one opened
    inside the loop would never be closed (PostgreSQL then refuses to drop the test database).
    So: every database write before the browser starts; the live server answers in its thread.
    """
    if not CHROMIUM.exists():
        pytest.skip(
            f"Debian's chromium is not installed ({CHROMIUM}); scripts/test installs it when "
            "run as root with apt-get (apt-get install chromium)"
        )
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def test_a_csirt_analyst_walks_through_the_interface(browser: Any, demo_site: str) -> None:
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1360, "height": 900}, locale="en-GB")
    page.set_default_timeout(15_000)

    # anonymous: the login page, then in
    page.goto(f"{demo_site}/advisories/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/advisories/$"))
    page.fill("#id_username", "analyst")
    page.fill("#id_password", PASSWORD)
    page.click("button.primary")
    expect(page).to_have_url(f"{demo_site}/advisories/")
    expect(page.locator("#advisory-results")).to_contain_text("8 advisories")

    # live search: htmx swaps the results in and keeps the URL in step
    page.fill("#id_q", "pyyaml")
    results = page.locator("#advisory-results")
    expect(results).to_contain_text("1 advisory")
    expect(results.locator("td.id a")).to_have_text(["GHSA-8q59-q68h-6hv4"])
    expect(page).to_have_url(re.compile(r"/advisories/\?q=pyyaml"))

    # the advisory page
    results.locator("td.id a").first.click()
    expect(page.locator("h1")).to_have_text("GHSA-8q59-q68h-6hv4")
    expect(page.locator(".advisory-head .sev")).to_have_text(re.compile(r"Critical\s+9\.8", re.I))
    expect(page.locator("body")).to_contain_text("<5.4")
    raw = page.locator("details.raw pre")
    expect(raw).to_be_hidden()
    page.click("details.raw summary")
    expect(raw).to_contain_text('"id": "GHSA-8q59-q68h-6hv4"')

    # scan the demo SBOM
    page.click("nav.mainnav >> text=Scan an SBOM")
    page.set_input_files("#id_sbom", str(DEMO / "sboms/shop-web.cdx.json"))
    page.click("form.upload button.primary")
    findings = page.locator("table.findings tbody tr")
    expect(findings).to_have_count(4)
    expect(findings.first).to_contain_text("CVE-2020-14343")
    expect(findings.first).to_contain_text("pyyaml")
    expect(page.locator("body")).to_contain_text("billing-core")

    # 日本語
    page.click("form.langswitch button[value=ja]")
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    expect(page.locator("nav.mainnav")).to_contain_text("ダッシュボード")
    expect(page.locator("h1")).to_have_text("SBOM をスキャン")
    page.set_input_files("#id_sbom", str(DEMO / "sboms/shop-web.cdx.json"))
    page.click("form.upload button.primary")
    expect(page.locator("table.findings thead")).to_contain_text("修正済みバージョン")
    expect(page.locator("table.findings tbody tr").first).to_contain_text("緊急")

    screenshots = os.environ.get("VULNDESK_SCREENSHOT_DIR")
    if screenshots:
        page.screenshot(path=str(Path(screenshots) / "vulndesk-scan-ja.png"), full_page=True)
        page.goto(f"{demo_site}/advisories/GHSA-j8r2-6x86-q33q")
        page.screenshot(path=str(Path(screenshots) / "vulndesk-advisory-ja.png"), full_page=True)
    page.close()
