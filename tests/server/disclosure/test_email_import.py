"""Reports that arrived by e-mail: a saved message becomes a report (title, text, sender,
checked attachments), a message that cannot be one is refused whole, and ``vulndesk report
import`` prints the reporter's status link once."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from server.disclosure.disclosure_world import World
from vulndesk.core.errors import InputError
from vulndesk.server.audit.models import AuditEvent
from vulndesk.server.disclosure.email_import import MAX_MESSAGE_BYTES, report_import_email
from vulndesk.server.disclosure.models import Report, ReportAttachment
from vulndesk.server.disclosure.selectors import report_for_reporter

pytestmark = pytest.mark.django_db


def message(
    *,
    subject: str = "XSS in the login page",
    text: str | None = "The next parameter is reflected unescaped.\nPoC attached.",
    html: str | None = None,
    sender: str | None = "Kim Finder <kim@example.net>",
    files: tuple[tuple[str, bytes, str], ...] = (),
) -> bytes:
    mail = EmailMessage()
    mail["Subject"] = subject
    if sender is not None:
        mail["From"] = sender
    mail["To"] = "security@example.com"
    if text is not None:
        mail.set_content(text)
    if html is not None:
        if text is None:
            mail.set_content(html, subtype="html")
        else:
            mail.add_alternative(html, subtype="html")
    for name, content, kind in files:
        maintype, subtype = kind.split("/")
        mail.add_attachment(content, maintype=maintype, subtype=subtype, filename=name)
    return bytes(mail)


def test_a_message_becomes_a_report_with_its_attachment(world: World) -> None:
    raw = message(files=(("poc.txt", b"curl 'https://shop/login?next=<script>'", "text/plain"),))
    report, secret = report_import_email(
        raw=raw, organisation=world.organisation, source="mail.eml"
    )
    assert (report.title, report.channel, report.language) == (
        "XSS in the login page",
        "email",
        "en",
    )
    assert report.description == "The next parameter is reflected unescaped.\nPoC attached."
    assert (report.reporter_name, report.reporter_email) == ("Kim Finder", "kim@example.net")
    (attachment,) = ReportAttachment.objects.filter(report=report)
    assert (attachment.file_name, attachment.content_type) == ("poc.txt", "text/plain")
    # the reporter can follow it like a report from the form
    assert report_for_reporter(tracking_id=report.tracking_id, secret=secret) == report
    assert AuditEvent.objects.filter(object_id=report.tracking_id).exists()


def test_a_japanese_message_and_an_html_only_one(world: World) -> None:
    japanese, _ = report_import_email(
        raw=message(subject="ログイン画面のXSS", text="next パラメータがエスケープされません。"),
        organisation=world.organisation,
        source="ja.eml",
    )
    assert japanese.language == "ja" and japanese.title == "ログイン画面のXSS"
    html, _ = report_import_email(
        raw=message(text=None, html="<p>The <b>next</b> parameter is reflected.</p>"),
        organisation=world.organisation,
        source="html.eml",
    )
    assert html.description == "The next parameter is reflected."


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (message(sender=None), "no sender address"),
        (message(text=None), "no text"),
        (b"just some bytes, no header at all", "not an e-mail message"),
        (message(files=(("page.html", b"<html>x</html>", "text/html"),)), "page.html"),
        (message(files=(("../../etc/cron.d/x", b"x", "text/plain"),)), "cron.d"),
        (b"x" * (MAX_MESSAGE_BYTES + 1), "at most"),
    ],
    ids=["no-sender", "no-text", "not-mail", "html-attachment", "path-in-name", "too-large"],
)
def test_a_message_that_cannot_be_a_report_stores_nothing(
    world: World, raw: bytes, reason: str
) -> None:
    with pytest.raises(InputError, match=reason) as refused:
        report_import_email(raw=raw, organisation=world.organisation, source="bad.eml")
    assert refused.value.source == "bad.eml"
    assert Report.objects.count() == 0 and ReportAttachment.objects.count() == 0


def test_the_command_imports_each_file_and_names_the_refused_one(cli: Any, tmp_path: Path) -> None:
    good, bad = tmp_path / "good.eml", tmp_path / "bad.eml"
    good.write_bytes(message())
    bad.write_bytes(message(sender=None))
    result = cli("report", "import", good, bad, "--site", "https://vd.example.org")
    assert result.returncode == 2, result.stderr
    assert f"{good}: report VDR-" in result.stdout and "(XSS in the login page)" in result.stdout
    assert "status link for the reporter: https://vd.example.org/report/VDR-" in result.stdout
    assert "?key=" in result.stdout
    assert f"{bad}: the message has no sender address" in result.stderr
