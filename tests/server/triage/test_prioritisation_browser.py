"""The finding page's priority section in a real browser (Debian's Chromium, Playwright): an
editor reads why a finding is out-of-cycle, overrides Exploitation with a reason, and sees the
new priority and the override. Screenshots go to ``$VULNDESK_TEST_ARTIFACTS`` (else tmp_path)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from server.triage.prioritisation_world import KEV, NONE, World, world
from vulndesk.server.findings.models import Finding
from vulndesk.server.inventory.models import Product
from vulndesk.server.triage.prioritisation import priorities_refresh

pytestmark = [pytest.mark.browser]
__all__ = ["world"]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
PASSWORD = "a-long-browser-password-5"


@pytest.fixture
def site(transactional_db: None, live_server: Any, world: World) -> tuple[str, World]:
    Product.objects.filter(pk=world.plant.pk).update(exposure="open")
    priorities_refresh(Finding.objects.all())
    world.edith.set_password(PASSWORD)
    world.edith.save()
    return str(live_server.url), world


@pytest.fixture
def browser(site: tuple[str, World]) -> Iterator[Any]:
    """Chromium, started after every database write (see tests/server/web/test_browser.py)."""
    if not CHROMIUM.exists():
        pytest.skip(f"Debian's chromium is not installed ({CHROMIUM})")
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def test_an_editor_reads_and_overrides_a_priority(
    browser: Any, site: tuple[str, World], tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    url, world = site
    artifacts = Path(os.environ.get("VULNDESK_TEST_ARTIFACTS") or tmp_path)
    artifacts.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1360, "height": 1100}, locale="en-GB")
    page.set_default_timeout(15_000)
    page.goto(f"{url}/login/")
    page.fill("#id_username", "edith")
    page.fill("#id_password", PASSWORD)
    page.click("button.primary")

    page.goto(f"{url}/findings/{world.findings[KEV].pk}/")
    section = page.locator("#priority")
    expect(section.locator(".priority-head .prio")).to_have_text("out-of-cycle")
    expect(section.locator("tr.ssvc-exploitation")).to_contain_text("CISA KEV")
    expect(section.locator(".priority-head .due")).to_contain_text("overdue")
    section.screenshot(path=str(artifacts / "priority-section.png"))

    page.goto(f"{url}/findings/{world.findings[NONE].pk}/")
    expect(section.locator(".priority-head .prio")).to_have_text("defer")
    form = section.locator("details.ssvc-override")
    page.click("details.ssvc-override summary")
    form.locator("select[name=choice]").select_option("exploitation=active")
    form.locator("textarea[name=reason]").fill("exploited against our VPN, per the SOC")
    form.locator("button.primary").click()
    expect(page).to_have_url(re.compile(rf"/findings/{world.findings[NONE].pk}/#priority$"))
    expect(page.locator(".messages")).to_contain_text("Exploitation set to active")
    expect(section.locator(".priority-head .prio")).to_have_text("scheduled")
    expect(section.locator("table.ssvc-overrides")).to_contain_text("per the SOC")
    expect(section.locator("tr.ssvc-exploitation")).to_contain_text("(automatic: none)")
    page.screenshot(path=str(artifacts / "priority-override.png"), full_page=True)
