"""The remediation plan in a real browser (Debian's Chromium driven by Playwright) against a live
server: from the release page to the plan, a status change through the form, the refusal of a
change the transition table does not allow. Screenshots go to ``$VULNDESK_TEST_ARTIFACTS``
(the test's tmp_path when unset)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from server.triage.remediation_world import build

pytestmark = [pytest.mark.browser]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
PASSWORD = "a-long-browser-password-5"


@pytest.fixture
def site(transactional_db: None, live_server: Any, settings: Any) -> dict[str, Any]:
    """The live server with the remediation world written (before the browser starts: Django
    refuses ORM calls inside Playwright's event loop)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    world = build()
    world.edith.set_password(PASSWORD)
    world.edith.save()
    return {"url": str(live_server.url), "release": world.release.pk}


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


def test_an_editor_plans_and_moves_an_upgrade_along(
    site: dict[str, Any], browser: Any, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    artifacts = Path(os.environ.get("VULNDESK_TEST_ARTIFACTS") or tmp_path)
    artifacts.mkdir(parents=True, exist_ok=True)
    url = site["url"]
    page = browser.new_page(viewport={"width": 1360, "height": 900}, locale="en-GB")
    page.set_default_timeout(15_000)
    page.goto(f"{url}/login/")
    page.fill("#id_username", "edith")
    page.fill("#id_password", PASSWORD)
    page.click("button.primary")

    page.goto(f"{url}/releases/{site['release']}/")
    page.click(".pagehead >> text=Remediation plan")
    expect(page.locator("h1")).to_contain_text("Remediation plan")
    rows = page.locator("table.remediation tbody tr")
    expect(rows).to_have_count(4)
    expect(rows.nth(0)).to_contain_text(re.compile(r"1\.26\.5\s*→\s*2\.2\.2"))
    expect(rows.nth(0).locator(".tag-warn")).to_have_text("major upgrade")
    jinja2 = rows.nth(1)
    expect(jinja2).to_have_class(re.compile(r"\boverdue\b"))
    expect(jinja2.locator(".tag-overdue")).to_be_visible()
    page.screenshot(path=str(artifacts / "vulndesk-remediation.png"), full_page=True)

    # move jinja2 to "in progress" with a note; the page comes back at the row
    jinja2.locator("select[name=status]").select_option("in_progress")
    jinja2.locator("input[name=note]").fill("PR #12 bumps it")
    jinja2.locator("button[type=submit]").click()
    expect(page.locator(".messages")).to_contain_text("Saved: jinja2 2.10, in progress.")
    jinja2 = page.locator("table.remediation tbody tr").nth(1)
    expect(jinja2.locator(".remstatus")).to_have_text("in progress")
    expect(jinja2).to_contain_text("PR #12 bumps it")
    expect(page).to_have_url(re.compile(r"/remediation/#c\d+$"))

    # then fixed: a settled item offers only "open" next
    jinja2.locator("select[name=status]").select_option("fixed")
    jinja2.locator("button[type=submit]").click()
    jinja2 = page.locator("table.remediation tbody tr").nth(1)
    expect(jinja2.locator(".remstatus")).to_have_text("fixed")
    expect(jinja2).not_to_have_class(re.compile(r"\boverdue\b"))
    options = jinja2.locator("select[name=status] option")
    expect(options).to_have_count(2)  # unchanged, open
    page.screenshot(path=str(artifacts / "vulndesk-remediation-changed.png"), full_page=True)
    page.close()
