"""The web interface in a real browser (Debian's Chromium driven by Playwright) against a live
server: log in, search, open an advisory, scan the demo SBOM, switch to Japanese; create a
product and a release with its SBOM, watch the analysis job finish, filter the findings.

Screenshots go to ``$VULNDESK_TEST_ARTIFACTS`` (the test's tmp_path when unset)."""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connections
from django_tasks_db.management.commands.db_worker import Worker

from support import ROOT
from vulndesk.server.accounts.services import organisation_default, team_create
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
def artifacts(tmp_path: Path) -> Path:
    """Return the folder screenshots are saved in."""
    folder = Path(os.environ.get("VULNDESK_TEST_ARTIFACTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


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


def test_a_csirt_analyst_walks_through_the_interface(
    browser: Any, demo_site: str, artifacts: Path
) -> None:
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

    page.screenshot(path=str(artifacts / "vulndesk-scan-ja.png"), full_page=True)
    page.goto(f"{demo_site}/advisories/GHSA-j8r2-6x86-q33q")
    page.screenshot(path=str(artifacts / "vulndesk-advisory-ja.png"), full_page=True)
    page.close()


@pytest.fixture
def team_site(demo_site: str) -> str:
    """The demo site, with the analyst in a team (so they may create products)."""
    analyst = get_user_model().objects.get(username="analyst")
    team_create(organisation=organisation_default(), name="Web team", members=[analyst])
    return demo_site


def start_worker(live_server: Any) -> threading.Thread:
    """Start a thread that runs the queued tasks (django-tasks-db's worker, batch mode: it stops
    when the queue is empty), as ``vulndesk worker`` would.

    On SQLite the test database lives in memory, and the live server's threads share one
    connection to it (``connections_override``: a second connection would see another, empty
    database); the worker uses it too. On PostgreSQL it opens its own connection, and closes it
    at the end.
    """
    shared = dict(live_server.thread.connections_override)

    def work() -> None:
        for alias, connection in shared.items():
            connections[alias] = connection
        try:
            Worker(
                queue_names=["*"],
                interval=0,
                batch=True,
                backend_name="default",
                startup_delay=False,
                max_tasks=None,
                worker_id="browser-test",
                excluded_queue_names=[],
            ).run()
        finally:
            if not shared:
                connections.close_all()

    thread = threading.Thread(target=work, name="worker")
    thread.start()
    return thread


def test_an_sbom_upload_is_analysed_and_its_findings_filtered(
    team_site: str, browser: Any, artifacts: Path, live_server: Any
) -> None:
    from playwright.sync_api import expect

    site = team_site
    page = browser.new_page(viewport={"width": 1360, "height": 900}, locale="en-GB")
    page.set_default_timeout(15_000)
    page.goto(f"{site}/login/")
    page.fill("#id_username", "analyst")
    page.fill("#id_password", PASSWORD)
    page.click("button.primary")

    # a product for the team the analyst is in
    page.click("nav.mainnav >> text=Products")
    page.click("text=New product")
    page.select_option("#id_team", label="Default / Web team")
    page.fill("#id_name", "shop")
    page.fill("#id_tags", "customer-facing")
    page.select_option("#id_exposure", "open")
    page.click("button.primary")
    expect(page.locator("h1")).to_have_text("shop")
    expect(page.locator(".facts")).to_contain_text(re.compile(r"Exposure\s*open"))

    # a release with its SBOM: the analysis is a job the page follows until it ends
    page.click("details.newrelease summary")
    page.fill("#id_version", "1.8.0")
    page.set_input_files("#id_sbom", str(DEMO / "sboms/shop-web.cdx.json"))
    page.click("text=Create release")
    expect(page.locator("h1")).to_contain_text("shop 1.8.0")
    state = page.locator("#analysis .jobstate")
    expect(state).to_contain_text("waiting")
    page.screenshot(path=str(artifacts / "vulndesk-release-waiting.png"), full_page=True)
    worker = start_worker(live_server)
    try:
        expect(page.locator("#analysis .jobstate")).to_contain_text("done")
        findings = page.locator("#release-live table.findings tbody tr")
        expect(findings).to_have_count(4)
        expect(findings.first).to_contain_text("CVE-2020-14343")
        expect(page.locator("table.sboms")).to_contain_text("analysed")
    finally:
        worker.join(timeout=60)
    page.screenshot(path=str(artifacts / "vulndesk-release-analysed.png"), full_page=True)

    # the findings list, narrowed with htmx as the filters change
    page.click("nav.mainnav >> text=Findings")
    rows = page.locator("#finding-results table.findings tbody tr")
    expect(rows).to_have_count(4)
    page.check("input[name=severity][value=critical]")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("pyyaml")
    expect(page).to_have_url(re.compile(r"/findings/\?.*severity=critical"))
    page.uncheck("input[name=severity][value=critical]")
    page.fill("#id_q", "jinja")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("CVE-2024-22195")
    page.screenshot(path=str(artifacts / "vulndesk-findings.png"), full_page=True)

    page.goto(f"{site}/")
    expect(page.locator(".stats.risk")).to_contain_text("4")
    page.screenshot(path=str(artifacts / "vulndesk-dashboard.png"), full_page=True)

    # 日本語
    page.click("form.langswitch button[value=ja]")
    expect(page.locator("nav.mainnav")).to_contain_text("検出結果")
    expect(page.locator("h1")).to_have_text("ダッシュボード")
    expect(page.locator(".stats.risk")).to_contain_text("未解決の検出結果")
    page.screenshot(path=str(artifacts / "vulndesk-dashboard-ja.png"), full_page=True)
    page.click("nav.mainnav >> text=検出結果")
    expect(page.locator("table.findings thead")).to_contain_text("深刻度")
    page.screenshot(path=str(artifacts / "vulndesk-findings-ja.png"), full_page=True)
    page.close()
