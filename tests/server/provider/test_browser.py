"""The public pages in a real browser (Debian's Chromium driven by Playwright): a reader opens
the disclosure policy, switches it to Japanese with the page's language buttons, and follows
the link to an advisory, which keeps the language.

Screenshots go to ``$VULNDESK_TEST_ARTIFACTS`` (the test's tmp_path when unset)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from server.provider.provider_world import advisory, build
from vulndesk.server.provider.services import csaf_publish

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


@pytest.fixture
def site(transactional_db: None, live_server: Any) -> str:
    """The provider with one public advisory. Every write happens here, before the browser
    starts (SQLite allows one writer)."""
    world = build(base_url=str(live_server.url))
    csaf_publish(
        document=advisory("EX-2025-001"), organisation=world.organisation, acting_user=world.alice
    )
    return str(live_server.url)


@pytest.fixture
def browser(site: str) -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(f"Debian's chromium is not installed ({CHROMIUM})")
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def test_the_policy_in_both_languages_and_an_advisory(
    browser: Any, site: str, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    artifacts = Path(os.environ.get("VULNDESK_TEST_ARTIFACTS") or tmp_path)
    artifacts.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page.set_default_timeout(15_000)
    page.goto(f"{site}/security/policy/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("section.policy")).to_contain_text("Safe harbour")
    page.click("form.langlinks button[value=ja]")
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    expect(page.locator("section.policy")).to_contain_text("セーフハーバー")
    expect(page).to_have_url(f"{site}/security/policy/")
    page.screenshot(path=str(artifacts / "vulndesk-policy-ja.png"), full_page=True)
    page.goto(f"{site}/security/advisories/")
    page.click("a.id:has-text('EX-2025-001')")
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    expect(page.locator("h1")).to_contain_text("Example Router: command injection")
    expect(page.locator("table.affected")).to_contain_text("Example Router 1.0")
    page.screenshot(path=str(artifacts / "vulndesk-advisory-ja.png"), full_page=True)
    page.click("form.langlinks button[value=en]")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("body")).to_contain_text("Affected products")
    page.close()
