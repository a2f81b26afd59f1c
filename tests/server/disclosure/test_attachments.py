"""Attachments: an allow-list of types told from the bytes, a size limit, plain file names;
what is refused is never stored."""

from __future__ import annotations

import pytest

from server.disclosure.disclosure_world import CaseWorld, World, submit
from vulndesk.core.errors import InputError
from vulndesk.server.disclosure import services
from vulndesk.server.disclosure.attachments import (
    MAX_ATTACHMENT_BYTES,
    Upload,
    attachment_check,
)
from vulndesk.server.disclosure.models import CaseAttachment, Report, ReportAttachment

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [
        ("poc.py", b"import requests\nrequests.get('http://x')\n", "text/plain"),
        ("trace.json", b'{"a": [1, 2]}', "application/json"),
        ("report.pdf", b"%PDF-1.7\n...", "application/pdf"),
        ("shot.png", PNG, "image/png"),
        ("shot.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 16, "image/jpeg"),
        ("poc.zip", b"PK\x03\x04" + b"\x00" * 26, "application/zip"),
        ("capture.pcap", b"\xd4\xc3\xb2\xa1" + b"\x00" * 20, "application/vnd.tcpdump.pcap"),
        ("capture.pcapng", b"\x0a\x0d\x0d\x0a" + b"\x00" * 20, "application/x-pcapng"),
        ("レポート.txt", "脆弱性の詳細".encode(), "text/plain"),
    ],
)
def test_allowed_types_are_told_from_the_bytes(name: str, content: bytes, kind: str) -> None:
    checked = attachment_check(
        file_name=name, content=content, declared_type="Application/Octet-Stream; x=1"
    )
    assert (checked.file_name, checked.content_type, checked.size) == (name, kind, len(content))
    assert checked.declared_type == "application/octet-stream"  # kept, never served


def test_a_declared_html_type_is_refused() -> None:
    with pytest.raises(InputError, match="text/html"):
        attachment_check(file_name="a.txt", content=b"hello", declared_type="text/html")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("page.html", b"hello", r"\.html files are not accepted"),
        ("image.svg", b"<svg/>", r"\.svg files are not accepted"),
        ("notes.txt", b"  <!DOCTYPE html><html><script>alert(1)</script>", "markup"),
        ("drawing.txt", b'<svg xmlns="http://www.w3.org/2000/svg"><script/></svg>', "markup"),
        ("tool.exe", b"MZ\x90\x00", r"\.exe files are not accepted"),
        ("tool.bin", b"MZ\x90\x00" + b"\x00" * 60, "Windows executable"),
        ("a.out", b"\x7fELF\x02\x01\x01", "ELF executable"),
        ("blob.dat", b"\x00\x01\x02\x03\xfe", "not accepted"),
        ("empty.txt", b"", "is empty"),
    ],
)
def test_dangerous_and_unknown_types_are_refused(name: str, content: bytes, message: str) -> None:
    with pytest.raises(InputError, match=message):
        attachment_check(file_name=name, content=content)


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd",
        "..\\..\\boot.ini",
        "/etc/passwd",
        "sub/dir.txt",
        "..",
        "",
        "a\x00b.txt",
        "evil\r\nContent-Type: text/html.txt",
        "right\u202etxt.exe",  # a right-to-left override hiding the extension
    ],
)
def test_names_with_paths_or_control_characters_are_refused(name: str) -> None:
    with pytest.raises(InputError, match="attachment name"):
        attachment_check(file_name=name, content=b"hello")


def test_a_file_past_the_limit_is_refused() -> None:
    attachment_check(file_name="big.txt", content=b"a" * MAX_ATTACHMENT_BYTES)
    with pytest.raises(InputError, match="more than the limit"):
        attachment_check(file_name="big.txt", content=b"a" * (MAX_ATTACHMENT_BYTES + 1))


def test_a_refused_attachment_stores_nothing(world: World, case_world: CaseWorld) -> None:
    reports_before = Report.objects.count()
    with pytest.raises(InputError):
        submit(world, attachments=[Upload("ok.txt", b"fine"), Upload("x.html", b"<p>")])
    assert Report.objects.count() == reports_before
    assert not ReportAttachment.objects.exists()
    with pytest.raises(InputError):
        services.case_message_post(
            actor=case_world.acme, body="see", attachments=[Upload("../x.txt", b"a")]
        )
    assert not case_world.case.messages.exists() and not CaseAttachment.objects.exists()


def test_accepted_attachments_keep_bytes_and_digest(case_world: CaseWorld) -> None:
    message = services.case_message_post(
        actor=case_world.acme, body="see", attachments=[Upload("shot.png", PNG, "image/png")]
    )
    (stored,) = message.attachments.all()
    assert bytes(stored.content) == PNG and stored.content_type == "image/png"
    assert len(stored.sha256) == 64 and stored.uploaded_by == case_world.acme
