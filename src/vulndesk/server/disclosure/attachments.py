"""What a report or case attachment may be: a safe name, an allowed type, a bounded size.

Attachments come from outside (an anonymous reporter, an external vendor), are stored byte for
byte and are only ever served as downloads by :func:`attachment_response`
(``Content-Disposition: attachment`` with ``X-Content-Type-Options: nosniff``) under the type
their bytes show, never the type they were declared with. Types a browser would run if it
were ever served inline are refused outright: HTML and SVG (stored cross-site scripting) and
executables. A zip archive is kept but never extracted.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from django.http import HttpResponse
from django.utils.http import content_disposition_header

from vulndesk.core.errors import InputError

if TYPE_CHECKING:
    from vulndesk.server.disclosure.models import CaseAttachment, ReportAttachment

#: the largest file kept (10 MiB): proofs of concept, logs, captures and screenshots fit
MAX_ATTACHMENT_BYTES: Final = 10 * 1024 * 1024
#: at most this many files in one submission or message
MAX_ATTACHMENTS: Final = 10

#: the types attachments are stored and served as
ALLOWED_TYPES: Final = frozenset(
    {
        "text/plain",
        "application/json",
        "application/pdf",
        "image/png",
        "image/jpeg",
        "application/zip",
        "application/gzip",
        "application/vnd.tcpdump.pcap",
        "application/x-pcapng",
    }
)

#: name endings refused whatever the bytes: what a browser renders as a page or a desktop runs
REFUSED_EXTENSIONS: Final = frozenset(
    {
        "htm", "html", "xhtml", "shtml", "svg", "svgz", "mht", "mhtml", "hta",
        "exe", "dll", "scr", "msi", "com", "cpl", "lnk", "bat", "cmd", "jar", "apk", "app",
    }
)  # fmt: skip

#: declared types refused whatever the bytes
_REFUSED_DECLARED: Final = (
    "text/html",
    "application/xhtml",
    "image/svg",
    "application/x-msdownload",
    "application/x-dosexec",
    "application/x-executable",
    "application/vnd.microsoft.portable-executable",
    "application/java-archive",
)

#: leading bytes -> the type they show (first match wins)
_MAGIC: Final = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"PK\x03\x04", "application/zip"),
    (b"PK\x05\x06", "application/zip"),  # an empty archive
    (b"\x1f\x8b", "application/gzip"),
    (b"\xd4\xc3\xb2\xa1", "application/vnd.tcpdump.pcap"),
    (b"\xa1\xb2\xc3\xd4", "application/vnd.tcpdump.pcap"),
    (b"\x4d\x3c\xb2\xa1", "application/vnd.tcpdump.pcap"),  # nanosecond timestamps
    (b"\xa1\xb2\x3c\x4d", "application/vnd.tcpdump.pcap"),
    (b"\x0a\x0d\x0d\x0a", "application/x-pcapng"),
)

#: leading bytes of executables, named in the refusal
_EXECUTABLES: Final = (
    (b"MZ", "a Windows executable"),
    (b"\x7fELF", "an ELF executable"),
    (b"\xcf\xfa\xed\xfe", "a Mach-O executable"),
    (b"\xce\xfa\xed\xfe", "a Mach-O executable"),
    (b"\xca\xfe\xba\xbe", "a Mach-O universal binary or Java class"),
)

#: text that a browser would take for markup (looked for at the start, case-insensitively)
_MARKUP: Final = (b"<!doctype html", b"<html", b"<svg", b"<?xml", b"<script", b"<head", b"<body")


@dataclass(frozen=True, slots=True)
class CheckedFile:
    """A file that passed :func:`attachment_check`: what to store."""

    file_name: str
    declared_type: str
    content_type: str
    size: int
    sha256: str
    content: bytes


def attachment_check(*, file_name: str, content: bytes, declared_type: str = "") -> CheckedFile:
    """Return the file as it is to be stored, or raise InputError saying why it is refused.

    Refused: a name with a path component (``/``, ``\\``, ``..``), a control character or
    nothing in it; an empty file or one past ``MAX_ATTACHMENT_BYTES``; HTML, SVG and other
    markup, executables, and any type outside ``ALLOWED_TYPES`` (told from the bytes, not the
    name or the declared type).
    """
    name = attachment_name(file_name)
    declared = (declared_type or "").split(";")[0].strip().lower()[:255]
    size = len(content)
    if size == 0:
        raise InputError(f"attachment {name!r} is empty")
    if size > MAX_ATTACHMENT_BYTES:
        raise InputError(
            f"attachment {name!r} is {size} bytes, more than the limit of "
            f"{MAX_ATTACHMENT_BYTES} bytes (10 MiB)"
        )
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension in REFUSED_EXTENSIONS:
        raise InputError(
            f"attachment {name!r}: .{extension} files are not accepted (web pages, SVG images "
            "and executables could run in a reader's browser or desktop); send it inside a zip "
            "archive or as text"
        )
    if declared.startswith(_REFUSED_DECLARED):
        raise InputError(f"attachment {name!r}: the type {declared!r} is not accepted")
    content_type = sniff_type(content)
    if content_type is None:
        raise InputError(
            f"attachment {name!r} is of a type that is not accepted: its content is none of "
            "text, JSON, PDF, PNG, JPEG, zip, gzip or a packet capture"
        )
    if content_type not in ALLOWED_TYPES:  # pragma: no cover - sniff_type only answers these
        raise InputError(f"attachment {name!r}: the type {content_type!r} is not accepted")
    return CheckedFile(
        file_name=name,
        declared_type=declared,
        content_type=content_type,
        size=size,
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
    )


def attachment_name(file_name: str) -> str:
    """Return ``file_name`` if it is a plain file name (NFC-normalised, trimmed), else raise
    InputError: no directories, no ``..``, no control or format characters, at most 255
    characters."""
    name = unicodedata.normalize("NFC", file_name or "").strip()
    if not name or name in {".", ".."}:
        raise InputError(f"attachment name {file_name!r} names no file")
    if "/" in name or "\\" in name or ".." in name.split("."):
        raise InputError(
            f"attachment name {file_name!r} has a path in it: give the file name alone"
        )
    if ".." in name:
        raise InputError(f"attachment name {file_name!r} has '..' in it")
    if any(unicodedata.category(c) in {"Cc", "Cf", "Cs", "Co", "Zl", "Zp"} for c in name):
        raise InputError(f"attachment name {file_name!r} has a control character in it")
    if len(name) > 255:
        raise InputError(f"attachment name {name[:40]!r}… is longer than 255 characters")
    return name


def sniff_type(content: bytes) -> str | None:
    """Return the allowed type ``content`` shows, or None (refused) when it shows none of them.

    Binary types are told by their leading bytes; executables raise InputError. Anything else
    must be UTF-8 text without NUL characters and not markup: JSON when it parses as JSON, else
    ``text/plain``.
    """
    for magic, kind in _EXECUTABLES:
        if content.startswith(magic):
            raise InputError(f"the file is {kind}; executables are not accepted")
    for magic, media_type in _MAGIC:
        if content.startswith(magic):
            return media_type
    if b"\x00" in content:
        return None
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    head = text[:1024].lstrip().lower().encode()
    if head.startswith(_MARKUP) or b"<svg" in head or b"<html" in head:
        raise InputError(
            "the file is HTML, SVG or XML markup, which is not accepted (it could run in a "
            "reader's browser); send it inside a zip archive"
        )
    try:
        json.loads(text)
    except ValueError:
        return "text/plain"
    return "application/json"


@dataclass(frozen=True, slots=True)
class Upload:
    """A file as a caller received it, before :func:`attachment_check`."""

    file_name: str
    content: bytes
    declared_type: str = ""


def uploads_check(uploads: Sequence[Upload]) -> list[CheckedFile]:
    """Return each upload checked (:func:`attachment_check`), or raise InputError for the first
    refused one or for more than ``MAX_ATTACHMENTS`` files."""
    if len(uploads) > MAX_ATTACHMENTS:
        raise InputError(f"{len(uploads)} attachments: at most {MAX_ATTACHMENTS} at a time")
    return [
        attachment_check(file_name=u.file_name, content=u.content, declared_type=u.declared_type)
        for u in uploads
    ]


def attachment_response(attachment: CaseAttachment | ReportAttachment) -> HttpResponse:
    """Return ``attachment`` as a download: its sniffed type, ``Content-Disposition:
    attachment``, ``nosniff`` and a sandboxing content security policy (for the web views too)."""
    response = HttpResponse(bytes(attachment.content), content_type=attachment.content_type)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=attachment.file_name
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
