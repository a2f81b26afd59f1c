"""Disclosure in a real browser (Debian's Chromium driven by Playwright) against a live server:

(a) an anonymous reporter sends a report through ``/report/``, keeps the tracking id and the
    status link, and reads the coordinator's reply on the status page;
(b) a coordinator runs a three-vendor case: accepts a report into a case, invites three vendors
    (each accepts the invitation link in their own browser context), proposes and activates an
    embargo, adds a vulnerability; each vendor records its status, the coordinator approves two,
    and a vendor sees only the approved statements of the others.

Every database write happens in the fixtures, before the browser starts (test_browser.py's
``browser`` fixture says why). Screenshots go to ``$VULNDESK_TEST_ARTIFACTS`` (the test's
tmp_path when unset)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache

from server.disclosure import disclosure_world
from server.disclosure.disclosure_world import World, make_user, submit

pytestmark = [pytest.mark.browser]

# the disclosure tests' fixtures (disclosure_world), used here by name
world = disclosure_world.world

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
PASSWORD = "a-long-browser-password-6"
VENDORS = (("vera", "Acme"), ("vince", "Bolt"), ("vicky", "Carbon"))


@pytest.fixture
def site(transactional_db: None, live_server: Any, world: World) -> dict[str, Any]:
    """The organisation with cora (triager) and three vendor users who may log in, and one
    report waiting in the queue."""
    cache.clear()  # the report form's rate limit
    for user in (world.cora, world.vera, world.vince, make_user("vicky")):
        user.set_password(PASSWORD)
        user.save()
    report, _ = submit(
        world, title="Heap overflow in libparse", description="A long header overflows."
    )
    return {"url": str(live_server.url), "report": report.tracking_id}


@pytest.fixture
def artifacts(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("VULNDESK_TEST_ARTIFACTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


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


def new_page(browser: Any) -> Any:
    context = browser.new_context(viewport={"width": 1360, "height": 900}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def log_in(page: Any, user: str) -> None:
    """Fill the login form the page shows (after a redirect to it, or opened here)."""
    if "/login/" not in page.url:
        page.goto(page.url.split("/", 3)[0] + "//" + page.url.split("/")[2] + "/login/")
    page.fill("#id_username", user)
    page.fill("#id_password", PASSWORD)
    page.click("button.primary")


def test_a_reporter_sends_a_report_and_reads_the_reply(
    browser: Any, site: dict[str, Any], artifacts: Path
) -> None:
    from playwright.sync_api import expect

    url = site["url"]
    reporter = new_page(browser)
    reporter.goto(f"{url}/report/")
    expect(reporter.locator("nav.mainnav")).to_have_count(0)  # no login, no staff navigation
    reporter.fill("#id_title", "Stored XSS in product reviews")
    reporter.fill("#id_description", "A review containing <script> runs in every reader's browser.")
    reporter.fill("#id_affected_product", "shop")
    reporter.fill("#id_affected_versions", "1.8.0")
    reporter.check("#id_wants_credit")
    reporter.fill("#id_credit_name", "A. Finder")
    reporter.set_input_files(
        "#id_attachments",
        files=[{"name": "poc.txt", "mimeType": "text/plain", "buffer": b"<b>review</b> payload"}],
    )
    reporter.screenshot(path=str(artifacts / "vulndesk-disclosure-report-form.png"), full_page=True)
    reporter.click("form.report-form button.primary")

    expect(reporter.locator("h1")).to_have_text("Report received")
    tracking_id = reporter.locator("#tracking-id").inner_text()
    link = reporter.locator("#status-link").inner_text()
    assert re.fullmatch(r"VDR-[A-Z2-7]{10}", tracking_id)
    assert link.startswith(f"{url}/report/{tracking_id}/?key=vdr_")
    expect(reporter.locator(".alert-warn")).to_contain_text("shown only once")
    reporter.screenshot(path=str(artifacts / "vulndesk-disclosure-report-sent.png"), full_page=True)

    reporter.goto(link)
    expect(reporter.locator("#report-state")).to_have_text("received")

    # the coordinator answers from the report's page
    staff = new_page(browser)
    staff.goto(f"{url}/reports/")
    log_in(staff, "cora")
    staff.goto(f"{url}/reports/")
    staff.click(f"a:text('{tracking_id}')")
    expect(staff.locator("h1")).to_contain_text("Stored XSS in product reviews")
    staff.click("button[name=state][value=valid]")
    expect(staff.locator("#report-state")).to_have_text("valid")
    staff.fill("#id_body", "Thank you: we reproduced it and are preparing a fix.")
    staff.click("form.reply-form button.primary")
    expect(staff.locator(".messages")).to_contain_text("Message sent to the reporter.")

    reporter.reload()
    expect(reporter.locator("#report-state")).to_have_text("valid")
    expect(reporter.locator("#messages")).to_contain_text("we reproduced it")
    reporter.fill("#id_report-body", "Great, thanks. Happy to test the fix.")
    reporter.click("#report-reply button.primary")
    expect(reporter.locator("#messages")).to_contain_text("Happy to test the fix.")
    reporter.screenshot(
        path=str(artifacts / "vulndesk-disclosure-report-status.png"), full_page=True
    )

    # a wrong secret is the 404 of an unknown report
    wrong = reporter.goto(link[:-4] + "AAAA")
    assert wrong is not None and wrong.status == 404


def test_a_coordinator_runs_a_three_vendor_case(
    browser: Any, site: dict[str, Any], artifacts: Path
) -> None:
    from playwright.sync_api import expect

    url = site["url"]
    cora = new_page(browser)
    cora.goto(f"{url}/reports/{site['report']}/")
    log_in(cora, "cora")
    cora.click("button[name=state][value=valid]")
    cora.click("#accept button.primary")
    expect(cora.locator(".messages")).to_contain_text("opened for the report")
    case_url = cora.url.split("#")[0]
    identifier = cora.locator("h1 .id").inner_text()
    assert identifier.startswith("VDC-")

    # three vendors, each accepting in their own browser
    vendors: dict[str, Any] = {}
    for user, organisation in VENDORS:
        cora.click("#participants summary")
        cora.fill("#id_email", f"{user}@example.org")
        cora.select_option("#id_role", "vendor")
        cora.fill("#id_organisation_name", organisation)
        cora.click("#invite-form button.primary")
        link = cora.locator("#invitation-link").inner_text()
        assert "/invitations/vdi_" in link
        page = new_page(browser)
        page.goto(link)
        log_in(page, user)
        expect(page.locator("h1")).to_have_text("Invitation to a case")
        page.click("button.primary")
        expect(page.locator("h1 .id")).to_have_text(identifier)
        vendors[organisation] = page
    cora.goto(case_url)
    participants = cora.locator("#participants tbody tr")
    expect(participants).to_have_count(5)  # coordinator, reporter, three vendors
    expect(cora.locator("#participants")).not_to_contain_text("pending")

    # embargo: proposed for a day (noon UTC), then accepted
    day = date.today() + timedelta(days=60)
    cora.click("#embargo summary")
    cora.fill("#id_end_date", day.isoformat())
    cora.click("#embargo-propose button.primary")
    expect(cora.locator("#embargo-state")).to_have_text("proposed")
    expect(cora.locator("#embargo-end")).to_have_text(f"{day.isoformat()} 12:00 UTC")
    cora.click("#embargo button[value=accept]")
    expect(cora.locator("#embargo-state")).to_have_text("active")

    # a vulnerability
    cora.click("#vulnerabilities summary")
    cora.fill("#vulnerability-form #id_title", "Heap overflow in the header parser")
    cora.fill("#vulnerability-form #id_cwe", "CWE-122")
    cora.fill("#vulnerability-form #id_component_purl", "pkg:pypi/libparse")
    cora.fill("#vulnerability-form #id_affected_range", "vers:pypi/<2.4.1")
    cora.click("#vulnerability-form button.primary")
    expect(cora.locator(".messages")).to_contain_text("Vulnerability added.")

    # each vendor states its status
    statements = {
        "Acme": ("affected", "Acme Router 3.x ships libparse 2.3; fixed in 3.2.1"),
        "Bolt": ("not_affected", "Bolt builds without the header parser"),
        "Carbon": ("affected", "Carbon Gateway is affected; a fix is in progress"),
    }
    for organisation, (status, statement) in statements.items():
        page = vendors[organisation]
        page.goto(case_url)
        page.select_option(".vendor-status-form select", status)
        page.fill(".vendor-status-form textarea", statement)
        page.click(".vendor-status-form button")
        expect(page.locator(".messages")).to_contain_text("Status recorded")

    # the coordinator sees every statement and approves Acme's and Bolt's
    cora.goto(case_url)
    rows = cora.locator("#vulnerabilities .status-row")
    expect(rows).to_have_count(3)
    for organisation in ("Acme", "Bolt"):
        cora.locator(f".status-row[data-vendor={organisation}] button").click()
        expect(cora.locator(".messages")).to_contain_text("Statement approved.")
    cora.screenshot(
        path=str(artifacts / "vulndesk-disclosure-case-coordinator.png"), full_page=True
    )

    cora.fill("#case-message-form #id_body", "Vendors: please confirm your fix dates.")
    cora.click("#case-message-form button.primary")
    expect(cora.locator("#case-thread")).to_contain_text("please confirm your fix dates")

    # Acme sees its own and Bolt's approved statement, not Carbon's unapproved one
    acme = vendors["Acme"]
    acme.goto(case_url)
    expect(acme.locator("#case-thread .message.unseen")).to_contain_text("fix dates")
    acme.click("#case-thread details.reply summary")
    acme.fill("#case-thread details.reply textarea", "Acme: 3.2.1 ships on the public date.")
    acme.click("#case-thread details.reply button")
    expect(acme.locator("#case-thread li.depth-1")).to_contain_text("3.2.1 ships")
    acme.click("#participants button[value=fix_ready]")
    expect(acme.locator(".messages")).to_contain_text("Recorded.")
    expect(acme.locator("#participants")).to_contain_text("VFd")
    statuses = acme.locator("#vulnerabilities .statuses")
    expect(statuses).to_contain_text(statements["Acme"][1])
    expect(statuses).to_contain_text(statements["Bolt"][1])
    expect(statuses).not_to_contain_text(statements["Carbon"][1])
    expect(acme.locator("#embargo-state")).to_have_text("active")
    acme.screenshot(path=str(artifacts / "vulndesk-disclosure-case-vendor.png"), full_page=True)
    # Carbon sees its own (awaiting approval) and the two approved ones
    carbon = vendors["Carbon"]
    carbon.goto(case_url)
    expect(carbon.locator("#vulnerabilities .statuses")).to_contain_text("awaiting approval")
    expect(carbon.locator("#vulnerabilities .status-row")).to_have_count(3)

    # the case list: state letters, embargo, public date
    cora.goto(f"{url}/cases/")
    expect(cora.locator("table.cases")).to_contain_text(identifier)
    expect(cora.locator("table.cases")).to_contain_text("Vfdpxa")  # Acme's fix alone: still f
    expect(cora.locator("table.cases")).to_contain_text(f"{day.isoformat()} 12:00 UTC")
