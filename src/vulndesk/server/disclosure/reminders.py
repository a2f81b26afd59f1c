"""Reminders of a case, sent by the worker's periodic disclosure task (``disclosure.tasks``).

- **The embargo ends soon**: ``embargo_hours`` (default 24, ``VULNDESK_EMBARGO_REMINDER_HOURS``)
  before an active (or revised) embargo ends, every participant and the organisation's webhooks
  are told when. Once per agreed end: a revised end is a new event, reminded again.
- **A vendor is silent**: ``vendor_days`` (default 3, ``VULNDESK_VENDOR_REMINDER_DAYS``) after
  a vendor was invited and has not accepted (while the invitation is still valid), or after it
  accepted and has not opened the case (``seen_at`` empty), the vendor is reminded, once each.

Each reminder is a notice (``disclosure.notify``) whose key names the event and the recipient,
so running the reminders again, or from two workers at once, sends nothing twice.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from vulndesk.server.disclosure.models import (
    Case,
    EmbargoState,
    NoticeKind,
    Participant,
    ParticipantRole,
)
from vulndesk.server.disclosure.notify import (
    SUBJECT_PREFIX,
    case_notify,
    login_line,
    notice_footer,
    notice_text,
    utc_text,
)

__all__ = [
    "DEFAULT_EMBARGO_REMINDER_HOURS",
    "DEFAULT_VENDOR_REMINDER_DAYS",
    "ReminderRun",
    "reminder_settings",
    "reminders_send",
]

DEFAULT_EMBARGO_REMINDER_HOURS: Final = 24.0
DEFAULT_VENDOR_REMINDER_DAYS: Final = 3.0


@dataclass(frozen=True, slots=True)
class ReminderRun:
    """How many notices one run of the reminders queued."""

    embargo_ending: int
    vendor_pending: int
    vendor_unseen: int

    def as_dict(self) -> dict[str, int]:
        """Return the counts."""
        return {
            "embargo_ending": self.embargo_ending,
            "vendor_pending": self.vendor_pending,
            "vendor_unseen": self.vendor_unseen,
        }


def _number(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    try:
        value = float(raw) if raw else default
    except ValueError:
        return default
    return value if value > 0 else default


def reminder_settings() -> tuple[float, float]:
    """Return the embargo reminder's lead time in hours and the vendor reminder's wait in days
    (``VULNDESK_EMBARGO_REMINDER_HOURS``, ``VULNDESK_VENDOR_REMINDER_DAYS``; a value that is not
    a positive number falls back to the default)."""
    return (
        _number("VULNDESK_EMBARGO_REMINDER_HOURS", DEFAULT_EMBARGO_REMINDER_HOURS),
        _number("VULNDESK_VENDOR_REMINDER_DAYS", DEFAULT_VENDOR_REMINDER_DAYS),
    )


@transaction.atomic
def reminders_send(
    *,
    now: datetime | None = None,
    embargo_hours: float | None = None,
    vendor_days: float | None = None,
) -> ReminderRun:
    """Queue every reminder due at ``now`` (module docstring) that was not queued before and
    return the counts; :func:`~vulndesk.server.disclosure.notify.notices_deliver` sends them."""
    from vulndesk.server.disclosure.services import INVITATION_VALID_DAYS

    now = now or timezone.now()
    default_hours, default_days = reminder_settings()
    hours = embargo_hours if embargo_hours is not None else default_hours
    days = vendor_days if vendor_days is not None else default_days
    ending = 0
    soon = Case.objects.filter(
        embargo_state__in=[EmbargoState.ACTIVE, EmbargoState.REVISED],
        closed_at__isnull=True,
        embargo_end_at__gt=now,
        embargo_end_at__lte=now + timedelta(hours=hours),
    ).select_related("organisation")
    for case in soon:
        ending += _embargo_ending(case, now)
    vendors = Participant.objects.filter(
        role=ParticipantRole.VENDOR, removed_at__isnull=True, case__closed_at__isnull=True
    ).select_related("case", "case__organisation", "user", "user__vulndesk_profile")
    pending = vendors.filter(
        accepted_at__isnull=True,
        invited_at__lte=now - timedelta(days=days),
        invited_at__gt=now - timedelta(days=INVITATION_VALID_DAYS),
    ).exclude(invitation_digest="")
    unseen = vendors.filter(accepted_at__lte=now - timedelta(days=days), seen_at__isnull=True)
    return ReminderRun(
        embargo_ending=ending,
        vendor_pending=sum(_vendor(p, NoticeKind.VENDOR_PENDING, now) for p in pending),
        vendor_unseen=sum(_vendor(p, NoticeKind.VENDOR_UNSEEN, now) for p in unseen),
    )


def _embargo_ending(case: Case, now: datetime) -> int:
    end = case.embargo_end_at
    assert end is not None  # the query asked for one

    def compose(participant: Participant) -> tuple[str, str]:
        subject = gettext("Embargo of case %(case)s ends %(end)s UTC") % {
            "case": case.identifier,
            "end": utc_text(end),
        }
        body = gettext(
            "The embargo of case %(case)s ends at %(end)s UTC. Prepare what is to be "
            "published by then."
        ) % {"case": case.identifier, "end": utc_text(end)}
        return SUBJECT_PREFIX + subject, notice_text(
            body, login_line(participant, case), notice_footer()
        )

    return case_notify(
        case,
        kind=NoticeKind.EMBARGO_ENDING,
        key=f"embargo_ending:{case.pk}:{end.isoformat()}",
        compose=compose,
        payload={"embargo": {"state": case.embargo_state, "end": end.isoformat()}},
        now=now,
    )


def _vendor(participant: Participant, kind: str, now: datetime) -> int:
    case = participant.case
    since = participant.invited_at if kind == NoticeKind.VENDOR_PENDING else participant.accepted_at
    assert since is not None  # the query asked for one

    def compose(recipient: Participant) -> tuple[str, str]:
        if kind == NoticeKind.VENDOR_PENDING:
            subject = gettext("Reminder: invitation to case %(case)s") % {"case": case.identifier}
            body = notice_text(
                gettext(
                    "You were invited on %(date)s UTC to take part in case %(case)s and have not "
                    "accepted yet. Use the link of the invitation e-mail; if it is lost or has "
                    "expired, ask the case's coordinator to invite you again."
                )
                % {"date": utc_text(since), "case": case.identifier},
                notice_footer(),
            )
        else:
            subject = gettext("Reminder: case %(case)s is waiting for you") % {
                "case": case.identifier
            }
            body = notice_text(
                gettext("You joined case %(case)s on %(date)s UTC and have not opened it yet.")
                % {"date": utc_text(since), "case": case.identifier},
                login_line(recipient, case),
                notice_footer(),
            )
        return SUBJECT_PREFIX + subject, body

    return case_notify(
        case,
        kind=kind,
        key=f"{kind}:{participant.pk}",
        compose=compose,
        payload={"participant": {"id": participant.pk, "role": participant.role}},
        recipients=[participant],
        webhooks=False,
        now=now,
    )
