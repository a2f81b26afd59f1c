"""Bulk VEX triage in a real browser (Debian's Chromium driven by Playwright): an editor selects
the findings of one component in two releases, records "not affected" for them from the
findings list, and the finding page says who said it.

Screenshots go to ``$VULNDESK_TEST_ARTIFACTS`` (the test's tmp_path when unset)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from server.triage.vex_world import REQUESTS_CVE, build, finding, release

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
PASSWORD = "a-long-browser-password-5"


@pytest.fixture
def vex_site(transactional_db: None, live_server: Any) -> dict[str, Any]:
    """The shop with two analysed releases; edith (editor) may log in. Every write happens
    here, before the browser starts (test_browser.py's ``browser`` fixture says why)."""
    world = build()
    world.edith.set_password(PASSWORD)
    world.edith.save()
    first = release(world, "1.0", {"requests": "2.28.1", "pyyaml": "5.3.1"})
    second = release(world, "1.1", {"requests": "2.28.1", "pyyaml": "5.3.1"})
    return {
        "url": str(live_server.url),
        "product": world.product.pk,
        "findings": [finding(r, "requests", REQUESTS_CVE).pk for r in (first, second)],
    }


@pytest.fixture
def artifacts(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("VULNDESK_TEST_ARTIFACTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@contextmanager
def _chromium() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(f"Debian's chromium is not installed ({CHROMIUM})")
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def browser(vex_site: dict[str, Any]) -> Iterator[Any]:
    with _chromium() as chromium:
        yield chromium


@pytest.fixture
def range_site(transactional_db: None, live_server: Any) -> dict[str, Any]:
    """The shop with requests 2.28.1 in release 1.0, 2.29.0 in 1.1 and 2.30.0 in 1.2; edith
    (editor) may log in. Every write happens here, before the browser starts."""
    world = build()
    world.edith.set_password(PASSWORD)
    world.edith.save()
    releases = [
        release(world, version, {"requests": requests})
        for version, requests in (("1.0", "2.28.1"), ("1.1", "2.29.0"), ("1.2", "2.30.0"))
    ]
    return {
        "url": str(live_server.url),
        "findings": [finding(r, "requests", REQUESTS_CVE).pk for r in releases],
    }


@pytest.fixture
def range_browser(range_site: dict[str, Any]) -> Iterator[Any]:
    with _chromium() as chromium:
        yield chromium


def test_bulk_triage_from_the_findings_list(
    browser: Any, vex_site: dict[str, Any], artifacts: Path
) -> None:
    from playwright.sync_api import expect

    site = vex_site["url"]
    page = browser.new_page(viewport={"width": 1360, "height": 900}, locale="en-GB")
    page.set_default_timeout(15_000)
    page.goto(f"{site}/login/")
    page.fill("#id_username", "edith")
    page.fill("#id_password", PASSWORD)
    page.click("button.primary")

    page.goto(f"{site}/findings/?product={vex_site['product']}&q={REQUESTS_CVE}")
    rows = page.locator("#finding-results table.findings tbody tr")
    expect(rows).to_have_count(2)
    for finding_id in vex_site["findings"]:
        page.check(f"#finding-results input[name=ids][value='{finding_id}']")
    page.click("details.bulk-vex summary")
    page.select_option("select[name=vex_state]", "not_affected")
    page.select_option("select[name=vex_justification]", "component_not_present")
    page.fill("input[name=vex_detail]", "only in the build image")
    page.screenshot(path=str(artifacts / "vulndesk-vex-bulk.png"), full_page=True)
    page.click("details.bulk-vex button[value=vex]")

    expect(page.locator(".messages")).to_contain_text(
        "1 VEX statement recorded for 2 selected findings."
    )
    expect(page).to_have_url(re.compile(r"/findings/\?product="))

    page.goto(f"{site}/findings/{vex_site['findings'][1]}/")
    section = page.locator("section#vex")
    expect(section).to_contain_text("not affected")
    expect(section).to_contain_text("component not present")
    expect(section).to_contain_text("only in the build image")
    expect(section.locator(".vex-author")).to_contain_text("edith on")
    page.screenshot(path=str(artifacts / "vulndesk-vex-finding.png"), full_page=True)
    page.close()


def test_a_range_statement_from_the_finding_page(
    range_browser: Any, range_site: dict[str, Any], artifacts: Path
) -> None:
    from playwright.sync_api import expect

    site = range_site["url"]
    first, inside, outside = range_site["findings"]
    page = range_browser.new_page(viewport={"width": 1360, "height": 900}, locale="en-GB")
    page.set_default_timeout(15_000)
    page.goto(f"{site}/login/")
    page.fill("#id_username", "edith")
    page.fill("#id_password", PASSWORD)
    page.click("button.primary")

    page.goto(f"{site}/findings/{first}/")
    form = page.locator("details.vex-record")
    form.locator("summary").click()
    page.select_option("#id_state", "not_affected")
    page.select_option("#id_justification", "vulnerable_code_not_present")
    form.locator("input[name=scope][value=range]").check()
    page.fill("#id_version_range", "vers:pypi/>=x")
    form.locator("button[type=submit]").click()
    expect(page.locator("details.vex-record")).to_contain_text(
        "range 'vers:pypi/>=x' cannot be read: 'x' is not a version (it has no digit)"
    )

    page.fill("#id_version_range", "vers:pypi/>=2.28.0|<2.30.0")
    page.screenshot(path=str(artifacts / "vulndesk-vex-range-form.png"), full_page=True)
    page.locator("details.vex-record button[type=submit]").click()
    expect(page.locator(".messages")).to_contain_text("VEX statement recorded.")

    page.goto(f"{site}/findings/{inside}/")
    section = page.locator("section#vex")
    expect(section).to_contain_text("not affected")
    expect(section.locator(".vex-covers")).to_contain_text(
        "the versions of requests in the range vers:pypi/>=2.28.0|<2.30.0"
    )
    expect(section.locator(".vex-stated-on")).to_contain_text("release 1.0")
    page.screenshot(path=str(artifacts / "vulndesk-vex-range-finding.png"), full_page=True)
    page.goto(f"{site}/findings/{outside}/")
    expect(page.locator("section#vex")).to_contain_text("No VEX statement applies to this finding.")
    page.close()
