"""Report intake and triage: a report arrives (public form, API, e-mail import), is
validated, discussed with the reporter through its thread, and accepted into a case
(``services.report_accept``) or closed.

The reporter follows the report through a status link that carries a secret; only its SHA-256
digest is stored. Every change writes an audit row in its transaction.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Sequence
from typing import Any

from django.db import transaction

from vulndesk.core.errors import InputError
from vulndesk.server.accounts.models import Organisation
from vulndesk.server.audit.services import audit_record
from vulndesk.server.disclosure import notify
from vulndesk.server.disclosure.attachments import CheckedFile, Upload, uploads_check
from vulndesk.server.disclosure.checks import (
    check_transition,
    clean_email,
    clean_purl,
    clean_text,
    clean_vers,
    require_triage,
    user_or_none,
)
from vulndesk.server.disclosure.models import (
    RM_TRANSITIONS,
    Channel,
    Report,
    ReportAttachment,
    ReportLanguage,
    ReportMessage,
    RmState,
)
from vulndesk.server.disclosure.selectors import (
    CaseNotFound,
    report_for_reporter,
    secret_digest,
)

__all__ = ["report_message_post", "report_submit", "report_transition"]


@transaction.atomic
def report_submit(
    *,
    organisation: Organisation,
    title: str,
    description: str,
    channel: str = Channel.WEB,
    affected_product: str = "",
    affected_versions: str = "",
    component_purl: str = "",
    affected_range: str = "",
    reporter_name: str = "",
    reporter_email: str = "",
    encryption_contact: str = "",
    wants_credit: bool = False,
    credit_name: str = "",
    language: str = ReportLanguage.EN,
    attachments: Sequence[Upload] = (),
    acting_user: Any = None,
) -> tuple[Report, str]:
    """Store a report received by ``organisation`` and return it with the reporter's secret.

    The secret goes into the reporter's status link (``tracking_id`` + secret) and is shown
    once: only its SHA-256 digest is kept. ``acting_user`` is None for the public form and the
    e-mail import (the reporter may stay anonymous: name and e-mail are optional).
    """
    if str(channel) not in Channel.values:
        raise InputError(f"unknown channel {channel!r}: one of {', '.join(Channel.values)}")
    if str(language) not in ReportLanguage.values:
        raise InputError(
            f"unknown language {language!r}: one of {', '.join(ReportLanguage.values)}"
        )
    checked = uploads_check(attachments)
    secret = "vdr_" + secrets.token_urlsafe(32)
    report = Report(
        organisation=organisation,
        channel=str(channel),
        title=clean_text(title, "title", 300, required=True),
        description=clean_text(description, "description", 100_000, required=True),
        affected_product=clean_text(affected_product, "affected product", 500),
        affected_versions=clean_text(affected_versions, "affected versions", 500),
        component_purl=clean_purl(component_purl, keep_version=True),
        affected_range=clean_vers(affected_range),
        reporter_name=clean_text(reporter_name, "reporter name", 200),
        reporter_email=clean_email(reporter_email),
        encryption_contact=clean_text(encryption_contact, "encryption key or URL", 20_000),
        wants_credit=bool(wants_credit),
        credit_name=clean_text(credit_name, "credit name", 200),
        language=str(language),
        secret_digest=secret_digest(secret),
        submitted_by=user_or_none(acting_user),
    )
    for _ in range(5):
        report.tracking_id = "VDR-" + base64.b32encode(secrets.token_bytes(10)).decode()[:10]
        if not Report.objects.filter(tracking_id=report.tracking_id).exists():
            break
    report.save()
    for file in checked:
        _report_attachment(report, None, file)
    audit_record(
        action="report.submit",
        object_type="disclosure.report",
        object_id=report.tracking_id,
        data={
            "organisation": organisation.slug,
            "channel": report.channel,
            "attachments": len(checked),
        },
        acting_user=acting_user,
        actor_label="" if user_or_none(acting_user) else f"reporter ({report.channel})",
    )
    return report, secret


@transaction.atomic
def report_transition(*, report: Report, state: str, acting_user: Any) -> Report:
    """Move ``report`` to ``state`` along ``RM_TRANSITIONS`` and return it (a triager of its
    organisation; anyone else gets 404). Accepting goes through :func:`report_accept`, which
    opens the case."""
    require_triage(report, acting_user)
    state = str(state)
    if state not in RmState.values or state == RmState.START:
        raise InputError(f"unknown report state {state!r}")
    if state == RmState.ACCEPTED and report.case_id is None:
        raise InputError("a report is accepted by opening a case for it (report_accept)")
    report = Report.objects.select_for_update().get(pk=report.pk)
    current = report.state
    if state == current:
        return report
    check_transition(RM_TRANSITIONS, current, state, f"report {report.tracking_id}")
    report.state = state
    report.save(update_fields=["state", "updated_at"])
    audit_record(
        action="report.transition",
        object_type="disclosure.report",
        object_id=report.tracking_id,
        data={"from": current, "to": state},
        acting_user=acting_user,
    )
    notify.notify_report_state(report)
    return report


@transaction.atomic
def report_message_post(
    *,
    report: Report,
    body: str,
    acting_user: Any = None,
    reporter_secret: str | None = None,
    attachments: Sequence[Upload] = (),
) -> ReportMessage:
    """Add a message to ``report``'s thread and return it: from the reporter when
    ``reporter_secret`` is given (it must be the report's), else from ``acting_user``, a
    triager of the report's organisation (anyone else: 404)."""
    from_reporter = reporter_secret is not None
    if from_reporter:
        if (
            report_for_reporter(tracking_id=report.tracking_id, secret=reporter_secret or "")
            is None
        ):
            raise CaseNotFound("no such report")
    else:
        require_triage(report, acting_user)
    checked = uploads_check(attachments)
    message = ReportMessage.objects.create(
        report=report,
        from_reporter=from_reporter,
        author=None if from_reporter else user_or_none(acting_user),
        body=clean_text(body, "message", 100_000, required=True),
    )
    for file in checked:
        _report_attachment(report, message, file)
    audit_record(
        action="report.message",
        object_type="disclosure.report",
        object_id=report.tracking_id,
        data={"message": message.pk, "from_reporter": from_reporter, "attachments": len(checked)},
        acting_user=None if from_reporter else acting_user,
        actor_label="reporter" if from_reporter else "",
    )
    return message


def _report_attachment(report: Report, message: ReportMessage | None, file: CheckedFile) -> None:
    ReportAttachment.objects.create(
        report=report,
        message=message,
        file_name=file.file_name,
        declared_type=file.declared_type,
        content_type=file.content_type,
        size=file.size,
        sha256=file.sha256,
        content=file.content,
    )
