"""Reports that arrived by e-mail: a saved message (RFC 5322, ``.eml``) becomes a report.

Many reporters still write to ``security@``: a PSIRT saves the message and imports it, so the
report gets a tracking id, a status link for the reporter and the same triage as one sent
through the form. The subject is the title, the text part the description (the HTML part with
its tags removed when there is no text part), the sender the reporter, and the attached files
the report's attachments, each checked as the form checks them (``attachments``). A message
that cannot be a report (too large, no sender, no text) is refused whole with the reason, and
nothing is stored: the import is one transaction with ``reports.report_submit``.
"""

from __future__ import annotations

import re
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parseaddr
from typing import Any, Final

from django.utils.html import strip_tags

from vulndesk.core.errors import InputError
from vulndesk.server.accounts.models import Organisation
from vulndesk.server.disclosure.attachments import MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS, Upload
from vulndesk.server.disclosure.models import Channel, Report
from vulndesk.server.disclosure.reports import report_submit

__all__ = ["MAX_MESSAGE_BYTES", "report_import_email"]

#: the largest message read: every attachment at its largest, plus the text and the encoding
MAX_MESSAGE_BYTES: Final = MAX_ATTACHMENTS * MAX_ATTACHMENT_BYTES * 4 // 3 + 1024 * 1024
#: what a title may hold (the form's limit)
_TITLE_CHARS: Final = 300
_JAPANESE: Final = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def report_import_email(
    *, raw: bytes, organisation: Organisation, source: str, acting_user: Any = None
) -> tuple[Report, str]:
    """Store the report an e-mail message ``raw`` carries, received by ``organisation``, and
    return it with the reporter's secret (to send them their status link). ``source`` names the
    file in messages. Raises InputError saying what is wrong, storing nothing."""
    if len(raw) > MAX_MESSAGE_BYTES:
        raise InputError(
            f"the message is {len(raw):,} bytes; at most {MAX_MESSAGE_BYTES:,} are read",
            source=source,
        )
    message = BytesParser(policy=policy.default).parsebytes(raw)
    if not isinstance(message, EmailMessage) or not message.keys():
        raise InputError("not an e-mail message (no header lines)", source=source)
    name, address = parseaddr(str(message.get("From", "")))
    if not address or "@" not in address:
        raise InputError("the message has no sender address (From:)", source=source)
    description = _body(message)
    if not description:
        raise InputError("the message has no text to make a report of", source=source)
    subject = " ".join(str(message.get("Subject", "")).split())
    title = subject or description.splitlines()[0]
    uploads = [
        Upload(
            file_name=part.get_filename() or "attachment",
            content=part.get_payload(decode=True) or b"",
            declared_type=part.get_content_type(),
        )
        for part in message.iter_attachments()
    ]
    try:
        return report_submit(
            organisation=organisation,
            title=title[:_TITLE_CHARS],
            description=description,
            channel=Channel.EMAIL,
            reporter_name=name.strip(),
            reporter_email=address.strip(),
            language="ja" if _JAPANESE.search(subject + description) else "en",
            attachments=uploads,
            acting_user=acting_user,
        )
    except InputError as exc:
        raise InputError(exc.message, source=source) from None


def _body(message: EmailMessage) -> str:
    """Return the message's text: its plain text part, else its HTML part without tags."""
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    text = str(part.get_content())
    if part.get_content_type() == "text/html":
        text = strip_tags(text)
    return "\n".join(line.rstrip() for line in text.strip().splitlines())
