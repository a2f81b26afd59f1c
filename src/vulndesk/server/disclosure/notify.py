"""Notices of a case to its participants (e-mail) and to the organisation's webhooks.

What is told, and to whom:

- **invitation**: the invited contact gets the invitation link with its one-time secret, sent
  when the inviting transaction commits (:func:`invitation_send`); the secret is never stored,
  so the notice row keeps the text without it, and a failed invitation is not retried (invite
  again);
- **new message**: every participant but the author (here and below: the participants who
  accepted their invitation and were not removed; a pending invitee hears nothing but the
  invitation and its reminder);
- **embargo change**: every participant (proposed, accepted, revised, exited, dropped);
- **vendor status approved**: every participant but the approver;
- **report status**: the reporter, when they left an e-mail address, with their status page;
- **reminders** (``disclosure.reminders``): an active embargo ends soon; a vendor has not
  accepted its invitation, or not opened the case, after some days.

**Nothing of the case's content goes out**: no title, description, message body or statement,
only the case identifier, states, dates and "log in to read it". Webhooks get the same facts as
JSON (``event`` ``disclosure.<kind>``), signed as the notifications app signs them
(``notifications.services.webhook_send``); e-mail goes out through its mailer
(``notifications.services.mail_send``, ``VULNDESK_SMTP_URL``).

Each notice is a :class:`~vulndesk.server.disclosure.models.CaseNotice` row, created pending in
the transaction of the change (the outbox) and sent by :func:`notices_deliver`, which the
worker runs (``disclosure.tasks``); a failure is retried with the notifications app's backoff
up to its ``MAX_ATTEMPTS``. A notice's ``key`` is unique, so each event reaches each recipient
once. A participant's ``notified_at`` is the last time a notice reached them.

Links point at ``VULNDESK_PUBLIC_URL`` (the web interface's address, default
``http://localhost:8000``) and the paths ``CASE_PATH``, ``INVITATION_PATH`` and
``REPORT_STATUS_PATH``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any, Final

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext

from vulndesk.server.disclosure.models import (
    Case,
    CaseMessage,
    CaseNotice,
    NoticeKind,
    NoticeStatus,
    Participant,
    ParticipantRole,
    Report,
    VendorStatus,
)
from vulndesk.server.notifications.models import DeliveryChannel, WebhookEndpoint
from vulndesk.server.notifications.outbox import outbox_deliver, outbox_settle
from vulndesk.server.notifications.services import (
    SendOutcome,
    mail_send,
)

__all__ = [
    "CASE_PATH",
    "INVITATION_PATH",
    "REPORT_STATUS_PATH",
    "SUBJECT_PREFIX",
    "NoticeRun",
    "case_notify",
    "invitation_notice",
    "invitation_send",
    "login_line",
    "notice_footer",
    "notice_text",
    "notices_deliver",
    "notices_enqueue",
    "notify_embargo",
    "notify_message",
    "notify_report_state",
    "notify_status_approved",
    "participant_address",
    "site_url",
    "utc_text",
]

CASE_PATH: Final = "/cases/{case_id}/"
INVITATION_PATH: Final = "/invitations/{secret}/"
REPORT_STATUS_PATH: Final = "/report/{tracking_id}/"
_EVENT_PREFIX: Final = "disclosure."
SUBJECT_PREFIX: Final = "[vulndesk] "


def site_url() -> str:
    """Return the web interface's address, without a trailing slash (``VULNDESK_PUBLIC_URL``)."""
    url = getattr(settings, "VULNDESK_PUBLIC_URL", "") or os.environ.get("VULNDESK_PUBLIC_URL", "")
    return (url.strip() or "http://localhost:8000").rstrip("/")


def _case_url(case: Case) -> str:
    return site_url() + CASE_PATH.format(case_id=case.pk)


def _report_url(report: Report) -> str:
    return site_url() + REPORT_STATUS_PATH.format(tracking_id=report.tracking_id)


def participant_address(participant: Participant) -> str:
    """Return where ``participant`` gets e-mail: their user's address, else the invited one
    (the reporter: the address of their report); "" when there is none."""
    user = participant.user
    if user is not None and user.email:
        return str(user.email)
    return participant.email


def _language(participant: Participant | None, report: Report | None = None) -> str:
    if report is None and participant is not None and participant.report_id is not None:
        report = participant.report
    if report is not None and (participant is None or participant.user_id is None):
        return report.language
    user = participant.user if participant is not None else None
    profile = getattr(user, "vulndesk_profile", None) if user is not None else None
    return getattr(profile, "language", "") or settings.LANGUAGE_CODE


def _event_id() -> str:
    return uuid.uuid4().hex[:16]


def _queue(
    *,
    key: str,
    kind: str,
    channel: str,
    target: str,
    subject: str = "",
    body: str = "",
    payload: dict[str, Any] | None = None,
    case: Case | None = None,
    report: Report | None = None,
    participant: Participant | None = None,
    endpoint: WebhookEndpoint | None = None,
    due: datetime | None,
) -> CaseNotice | None:
    """Create the notice ``key`` unless it exists; return it, or None when it did."""
    notice, created = CaseNotice.objects.get_or_create(
        key=key[:200],
        defaults={
            "kind": kind,
            "channel": channel,
            "target": target[:1000],
            "subject": subject[:300],
            "body": body,
            "payload": payload or {},
            "case": case,
            "report": report,
            "participant": participant,
            "endpoint": endpoint,
            "next_attempt_at": due,
        },
    )
    return notice if created else None


def case_notify(
    case: Case,
    *,
    kind: str,
    key: str,
    compose: Callable[[Participant], tuple[str, str]],
    payload: dict[str, Any],
    recipients: Iterable[Participant] | None = None,
    exclude: Iterable[int] = (),
    webhooks: bool = True,
    now: datetime | None = None,
) -> int:
    """Queue notice ``key`` of ``case`` for each recipient with an e-mail address (default:
    every participant who accepted and was not removed, but ``exclude``) and each active
    webhook endpoint of the organisation; return how many were queued (an existing key is left
    alone: once per event and recipient). ``compose`` returns the subject and body for one
    recipient, called in their language; it must not use the case's content (module
    docstring)."""
    now = now or timezone.now()
    excluded = set(exclude)
    if recipients is None:
        recipients = (
            # an invitation not accepted yet gets the invitation and its reminder, nothing more
            Participant.objects.filter(
                case=case, removed_at__isnull=True, accepted_at__isnull=False
            )
            .select_related("user", "user__vulndesk_profile", "report")
            .order_by("id")
        )
    queued = 0
    facts = {"case": {"id": case.pk, "identifier": case.identifier}, **payload}
    for participant in recipients:
        address = participant_address(participant)
        if participant.pk in excluded or not address:
            continue
        with translation.override(_language(participant)):
            subject, body = compose(participant)
        notice = _queue(
            key=f"{key}:p{participant.pk}",
            kind=kind,
            channel=DeliveryChannel.EMAIL,
            target=address,
            subject=subject,
            body=body,
            payload=facts,
            case=case,
            participant=participant,
            due=now,
        )
        queued += notice is not None
    if webhooks:
        for endpoint in WebhookEndpoint.objects.filter(organisation_id=case.organisation_id):
            if not endpoint.active:
                continue
            notice = _queue(
                key=f"{key}:w{endpoint.pk}",
                kind=kind,
                channel=DeliveryChannel.WEBHOOK,
                target=endpoint.url,
                payload=facts,
                case=case,
                endpoint=endpoint,
                due=now,
            )
            queued += notice is not None
    if queued:
        transaction.on_commit(notices_enqueue)
    return queued


def login_line(participant: Participant, case: Case) -> str:
    """Return the line that sends ``participant`` to the case (the reporter: to their report's
    status page), in the active language."""
    if participant.user_id is None and participant.role == ParticipantRole.REPORTER:
        report = participant.report
        if report is not None:
            return gettext(
                "Follow it on your report's status page, with the secret you were given when "
                "you sent the report: %(url)s"
            ) % {"url": _report_url(report)}
    return gettext("Log in to read it: %(url)s") % {"url": _case_url(case)}


def notice_footer() -> str:
    """Return why the recipient gets a notice, in the active language."""
    return gettext(
        "You receive this because you take part in a coordinated vulnerability disclosure "
        "case in vulndesk. Details stay in vulndesk: they are never sent by e-mail."
    )


def notice_text(*paragraphs: str) -> str:
    """Return ``paragraphs`` as a plain-text e-mail body."""
    return "\n\n".join(paragraphs) + "\n"


# -- events ---------------------------------------------------------------------------------------


def notify_message(message: CaseMessage) -> int:
    """Queue "a new message in case VDC-…" for every participant but the author."""
    case = message.case

    def compose(participant: Participant) -> tuple[str, str]:
        subject = gettext("New message in case %(case)s") % {"case": case.identifier}
        body = gettext("There is a new message in case %(case)s.") % {"case": case.identifier}
        return SUBJECT_PREFIX + subject, notice_text(
            body, login_line(participant, case), notice_footer()
        )

    return case_notify(
        case,
        kind=NoticeKind.MESSAGE,
        key=f"message:{message.pk}",
        compose=compose,
        payload={"message": {"id": message.pk}},
        exclude=[message.author_id],
    )


def notify_embargo(case: Case, previous: str) -> int:
    """Queue the news of an embargo change (its state and agreed or proposed end) for every
    participant."""
    end = case.embargo_end_at
    proposed = case.proposed_end_at

    def compose(participant: Participant) -> tuple[str, str]:
        state = str(case.get_embargo_state_display())
        subject = gettext("Embargo of case %(case)s: %(state)s") % {
            "case": case.identifier,
            "state": state,
        }
        lines = [
            gettext("The embargo of case %(case)s is now: %(state)s.")
            % {"case": case.identifier, "state": state}
        ]
        if end is not None:
            lines.append(gettext("End: %(end)s (UTC).") % {"end": utc_text(end)})
        if proposed is not None:
            lines.append(gettext("Proposed new end: %(end)s (UTC).") % {"end": utc_text(proposed)})
        body = "\n".join(lines)
        return SUBJECT_PREFIX + subject, notice_text(
            body, login_line(participant, case), notice_footer()
        )

    return case_notify(
        case,
        kind=NoticeKind.EMBARGO,
        key=f"embargo:{case.pk}:{_event_id()}",
        compose=compose,
        payload={
            "embargo": {
                "from": previous,
                "to": case.embargo_state,
                "end": end.isoformat() if end else None,
                "proposed_end": proposed.isoformat() if proposed else None,
            }
        },
    )


def notify_status_approved(status: VendorStatus, approver: Participant) -> int:
    """Queue "a vendor statement was approved" for every participant but the approver."""
    case = status.vulnerability.case

    def compose(participant: Participant) -> tuple[str, str]:
        subject = gettext("Vendor statement approved in case %(case)s") % {"case": case.identifier}
        body = gettext(
            "A vendor statement in case %(case)s was approved and can now be read by the "
            "participants."
        ) % {"case": case.identifier}
        return SUBJECT_PREFIX + subject, notice_text(
            body, login_line(participant, case), notice_footer()
        )

    return case_notify(
        case,
        kind=NoticeKind.STATUS_APPROVED,
        key=f"status_approved:{status.pk}:{_event_id()}",
        compose=compose,
        payload={"status": {"id": status.pk, "vulnerability": status.vulnerability_id}},
        exclude=[approver.pk],
    )


def notify_report_state(report: Report) -> int:
    """Queue the reporter's notice of their report's new state (when they left an address);
    return 1 when queued."""
    if not report.reporter_email:
        return 0
    with translation.override(report.language):
        state = str(report.get_state_display())
        subject = gettext("Your report %(report)s: %(state)s") % {
            "report": report.tracking_id,
            "state": state,
        }
        body = notice_text(
            gettext("The status of your report %(report)s is now: %(state)s.")
            % {"report": report.tracking_id, "state": state},
            gettext(
                "Follow it on your report's status page, with the secret you were given when "
                "you sent the report: %(url)s"
            )
            % {"url": _report_url(report)},
            gettext("You receive this because you left this address with your report."),
        )
    notice = _queue(
        key=f"report_state:{report.pk}:{report.state}:{_event_id()}",
        kind=NoticeKind.REPORT_STATE,
        channel=DeliveryChannel.EMAIL,
        target=report.reporter_email,
        subject=SUBJECT_PREFIX + subject,
        body=body,
        payload={"report": {"tracking_id": report.tracking_id, "state": report.state}},
        report=report,
        case=report.case,
        due=timezone.now(),
    )
    if notice is not None:
        transaction.on_commit(notices_enqueue)
    return 1 if notice is not None else 0


def invitation_notice(participant: Participant, secret: str) -> None:
    """Queue the invitation of ``participant`` and send it with its link (``secret``) when the
    transaction commits; tell the organisation's webhooks that someone was invited."""
    case = participant.case
    with translation.override(settings.LANGUAGE_CODE):
        subject, body = _invitation_text(participant, None)
    notice = _queue(
        key=f"invitation:{participant.pk}",
        kind=NoticeKind.INVITATION,
        channel=DeliveryChannel.EMAIL,
        target=participant.email,
        subject=subject,
        body=body,
        payload={"case": {"id": case.pk, "identifier": case.identifier}},
        case=case,
        participant=participant,
        due=None,  # sent at commit only: the link is not kept
    )
    case_notify(
        case,
        kind=NoticeKind.INVITATION,
        key=f"invitation:{participant.pk}",
        compose=lambda p: ("", ""),
        payload={"participant": {"id": participant.pk, "role": participant.role}},
        recipients=(),
    )
    if notice is not None:
        notice_id = notice.pk
        transaction.on_commit(lambda: invitation_send(notice_id, secret))


def _invitation_text(participant: Participant, secret: str | None) -> tuple[str, str]:
    from vulndesk.server.disclosure.services import INVITATION_VALID_DAYS

    case = participant.case
    link = (
        site_url() + INVITATION_PATH.format(secret=secret)
        if secret
        else gettext("(the invitation link, not kept)")
    )
    subject = gettext("Invitation to case %(case)s") % {"case": case.identifier}
    body = notice_text(
        gettext(
            "You are invited to take part in the coordinated vulnerability disclosure case "
            "%(case)s of %(organisation)s as %(role)s."
        )
        % {
            "case": case.identifier,
            "organisation": case.organisation.name,
            "role": participant.get_role_display(),
        },
        gettext(
            "Log in (or create an account) and accept the invitation with this link; it works "
            "once, within %(days)d days: %(link)s"
        )
        % {"days": INVITATION_VALID_DAYS, "link": link},
        notice_footer(),
    )
    return SUBJECT_PREFIX + subject, body


def invitation_send(notice_id: int, secret: str, *, now: datetime | None = None) -> bool:
    """Send the invitation ``notice_id`` with the link of ``secret`` (run at commit); record
    the outcome and return whether it went out. Without SMTP settings it fails at once: give
    the contact the secret another way, or invite again once e-mail is configured."""
    now = now or timezone.now()
    notice = (
        CaseNotice.objects.select_related("participant", "participant__case__organisation")
        .filter(pk=notice_id, status=NoticeStatus.PENDING)
        .first()
    )
    if notice is None or notice.participant is None:
        return False
    if not settings.EMAIL_ENABLED:
        outcome = SendOutcome(False, error="e-mail is not configured (VULNDESK_SMTP_URL)")
    else:
        with translation.override(settings.LANGUAGE_CODE):
            subject, body = _invitation_text(notice.participant, secret)
        outcome = mail_send(to=notice.target, subject=subject, body=body)
    CaseNotice.objects.filter(pk=notice.pk).update(attempts=F("attempts") + 1)
    notice.attempts += 1
    final = SendOutcome(outcome.ok, outcome.http_status, outcome.error, True)
    if outbox_settle(notice, final, now) == "sent":
        Participant.objects.filter(pk=notice.participant_id).update(notified_at=now)
    return outcome.ok


def utc_text(moment: datetime) -> str:
    """Return ``moment`` as ``YYYY-MM-DD HH:MM`` in UTC."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


# -- delivery -------------------------------------------------------------------------------------


class NoticeRun:
    """What one :func:`notices_deliver` run did."""

    def __init__(self) -> None:
        self.sent = 0
        self.retrying = 0
        self.failed = 0

    def as_dict(self) -> dict[str, int]:
        """Return the counts."""
        return {"sent": self.sent, "retrying": self.retrying, "failed": self.failed}


def notices_enqueue() -> None:
    """Queue a ``deliver_case_notices`` task unless one is waiting already."""
    from django_tasks_db.models import DBTaskResult

    from vulndesk.server.disclosure.tasks import deliver_case_notices

    waiting = DBTaskResult.objects.filter(
        task_path=deliver_case_notices.module_path, status="READY"
    )
    if not waiting.exists():
        deliver_case_notices.enqueue()


def notices_deliver(*, now: datetime | None = None) -> NoticeRun:
    """Send every pending notice due at ``now`` (default: the current time) and return what was
    done; e-mail notices wait while no SMTP server is configured (``notifications.outbox``)."""
    now = now or timezone.now()
    run = NoticeRun()

    def sent(notice: CaseNotice) -> None:
        if notice.participant_id is not None:
            Participant.objects.filter(pk=notice.participant_id).update(notified_at=now)

    outbox_deliver(
        CaseNotice,
        now=now,
        event_prefix=_EVENT_PREFIX,
        delivery_prefix="notice-",
        on_settled=lambda _, result: setattr(run, result, getattr(run, result) + 1),
        on_sent=sent,
    )
    return run
