"""The public report form and the reporter's status page: no login, CSRF, abuse limits,
refused attachments, the secret link (a wrong secret is the 404 of an unknown report)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from server.disclosure import disclosure_world
from server.disclosure.disclosure_world import CaseWorld, World, submit
from vulndesk.server.disclosure import reports
from vulndesk.server.disclosure.embargo import embargo_accept, embargo_propose
from vulndesk.server.disclosure.models import CaseMessage, Report, ReportMessage
from vulndesk.server.disclosure.selectors import report_for_reporter
from vulndesk.server.disclosure.services import case_message_post
from vulndesk.server.web.views.disclosure_public import REPORTS_PER_HOUR

pytestmark = pytest.mark.django_db

# the disclosure tests' fixtures (disclosure_world), used here by name
case_world = disclosure_world.case_world
world = disclosure_world.world

FORM = {
    "title": "XSS in the login page",
    "description": "The next parameter is echoed without escaping.",
    "affected_product": "shop",
    "affected_versions": "1.x",
    "language": "en",
}


@pytest.fixture(autouse=True)
def fresh_cache() -> None:
    cache.clear()  # the rate limit counts in the cache


def send(client: Client, **fields: Any) -> Any:
    return client.post(reverse("web:report-submit"), {**FORM, **fields})


def status_url(report: Report, secret: str) -> str:
    return reverse("web:report-status", args=[report.tracking_id]) + f"?key={secret}"


def test_the_form_needs_no_login(client: Client, world: World) -> None:
    response = client.get(reverse("web:report-submit"))
    assert response.status_code == 200
    assert b'name="website"' in response.content  # the honeypot
    assert response["Cache-Control"] == "no-store"


def test_a_report_is_stored_and_its_link_shown_once(client: Client, world: World) -> None:
    pdf = SimpleUploadedFile("poc.pdf", b"%PDF-1.4 proof", content_type="application/pdf")
    response = send(client, reporter_email="", attachments=[pdf])
    assert response.status_code == 200
    report = Report.objects.get()
    assert report.organisation == world.organisation
    assert report.channel == "web" and report.reporter_email == ""
    assert [a.file_name for a in report.attachments.all()] == ["poc.pdf"]
    page = response.content.decode()
    assert report.tracking_id in page
    secret = re.search(r"key=(vdr_[\w-]+)", page)
    assert secret is not None
    assert secret[1] not in report.secret_digest  # only the digest is kept
    assert report_for_reporter(tracking_id=report.tracking_id, secret=secret[1]) == report
    assert "shown only once" in page
    assert response["Cache-Control"] == "no-store"


def test_a_refused_attachment_stores_nothing_and_says_why(client: Client, world: World) -> None:
    page = SimpleUploadedFile("x.html", b"<html><script>alert(1)</script>", "text/html")
    response = send(client, attachments=[page])
    assert response.status_code == 400
    assert ".html files are not accepted" in response.content.decode()
    assert not Report.objects.exists()


def test_missing_fields_are_shown_on_the_form(client: Client, world: World) -> None:
    response = send(client, title="", reporter_email="not-an-address")
    assert response.status_code == 400
    assert response.context["form"].errors.keys() == {"title", "reporter_email"}
    assert not Report.objects.exists()


def test_the_honeypot_stores_nothing(client: Client, world: World) -> None:
    response = send(client, website="http://spam.example")
    assert response.status_code == 400
    assert not Report.objects.exists()


def test_reports_per_address_are_limited(client: Client, world: World) -> None:
    for _ in range(REPORTS_PER_HOUR):
        assert send(client).status_code == 200
    response = send(client)
    assert response.status_code == 429
    assert "Too many reports" in response.content.decode()
    assert Report.objects.count() == REPORTS_PER_HOUR
    other = Client(REMOTE_ADDR="192.0.2.7")
    assert send(other).status_code == 200


def test_csrf_is_enforced(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    assert send(client).status_code == 403
    page = client.get(reverse("web:report-submit"))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    assert token is not None
    assert send(client, csrfmiddlewaretoken=token[1]).status_code == 200
    assert Report.objects.count() == 1


def test_the_status_page_needs_the_secret(client: Client, world: World) -> None:
    report, secret = submit(world)
    reports.report_message_post(
        report=report, body="Thanks, we are looking.", acting_user=world.cora
    )
    response = client.get(status_url(report, secret))
    assert response.status_code == 200
    assert "Thanks, we are looking." in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    assert response["Referrer-Policy"] == "no-referrer"
    base = reverse("web:report-status", args=[report.tracking_id])
    unknown = reverse("web:report-status", args=["VDR-AAAAAAAAAA"])
    for url in (base + "?key=vdr_wrong", base + "?key=", unknown + f"?key={secret}"):
        assert client.get(url).status_code == 404, url
    # without a key (the address a notice e-mail gives): a form asking for it, the same for an
    # id that does not exist, showing nothing of the report
    for url in (base, unknown):
        asking = client.get(url).content.decode()
        assert 'name="key"' in asking and "Thanks, we are looking." not in asking, url
    # a reply with a wrong secret is a 404 too, and stores nothing
    assert client.post(base, {"key": "vdr_wrong", "report-body": "hi"}).status_code == 404
    assert ReportMessage.objects.count() == 1


def test_the_reporter_replies_with_an_attachment(client: Client, world: World) -> None:
    report, secret = submit(world)
    log = SimpleUploadedFile("trace.txt", b"GET /?next=javascript:alert(1)", "text/plain")
    url = reverse("web:report-status", args=[report.tracking_id])
    response = client.post(
        url,
        {
            "key": secret,
            "thread": "report",
            "report-body": "More detail.",
            "report-attachments": [log],
        },
    )
    assert response.status_code == 302
    assert response["Location"].endswith(f"?key={secret}#messages")
    message = ReportMessage.objects.get()
    assert message.from_reporter and message.body == "More detail."
    attachment = message.attachments.get()
    download = client.get(
        reverse("web:report-file-reporter", args=[report.tracking_id, attachment.pk])
        + f"?key={secret}"
    )
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    wrong = reverse("web:report-file-reporter", args=[report.tracking_id, attachment.pk])
    assert client.get(wrong + "?key=vdr_nope").status_code == 404
    refused = SimpleUploadedFile("a.svg", b"<svg onload=alert(1)>", "image/svg+xml")
    response = client.post(
        url,
        {"key": secret, "thread": "report", "report-body": "x", "report-attachments": [refused]},
    )
    assert response.status_code == 400
    assert ".svg files are not accepted" in response.content.decode()
    assert ReportMessage.objects.count() == 1


def test_the_reporter_sees_the_case_and_writes_to_it(client: Client, case_world: CaseWorld) -> None:
    cw = case_world
    embargo_propose(actor=cw.coordinator, end=date.today() + timedelta(days=30))
    embargo_accept(actor=cw.coordinator)
    case_message_post(actor=cw.coordinator, body="Vendors are on it.")
    response = client.get(status_url(cw.report, cw.secret))
    page = response.content.decode()
    assert cw.case.identifier in page and "Vendors are on it." in page
    assert "12:00 UTC" in page  # the embargo ends at noon UTC
    url = reverse("web:report-status", args=[cw.report.tracking_id])
    response = client.post(url, {"key": cw.secret, "thread": "case", "case-body": "Thank you."})
    assert response.status_code == 302
    message = CaseMessage.objects.get(body="Thank you.")
    assert message.author == cw.reporter


def test_the_status_page_speaks_the_reports_language_and_links_keep_the_key(
    client: Client, world: World
) -> None:
    report, secret = submit(world, language="ja")
    page = client.get(status_url(report, secret)).content.decode()
    assert '<html lang="ja">' in page
    # the language links carry the key; no form posts (no-referrer would fail the CSRF check)
    assert f'href="?key={secret}&amp;lang=en"' in page
    assert 'action="/i18n/setlang/"' not in page
    english = client.get(status_url(report, secret) + "&lang=en").content.decode()
    assert '<html lang="en">' in english
