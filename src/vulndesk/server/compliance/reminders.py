"""Reminders and escalations of reports that are due, sent once each.

:func:`compliance_run` (queued by the worker, ``compliance.tasks``) looks at the reports not yet
submitted of events that are not dismissed and of significant NIS2 incidents:

- from ``REMINDER_BEFORE`` (6 hours) before the due time: a **reminder** to the product's
  owner and the members of the teams that own the product, and the organisation's webhooks;
- at the due time: an **overdue** escalation to the same people, the administrators
  (superusers) and the webhooks.

Each notice is a :class:`~vulndesk.server.compliance.models.ComplianceNotice` whose ``key``
names the report, the kind and the recipient and is unique: each goes out once, whatever the
number of runs. A run past the due time sends the escalation alone (a reminder of something
already overdue says nothing). Notices go out through the notifications app's senders
(``mail_send``, ``webhook_send``), retried with its backoff. They hold identifiers and due
times; the product's name too unless one of its releases is in a disclosure case under an
embargo in force. Nothing else of the vulnerability is sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone, translation
from django.utils.translation import gettext

from vulndesk.server.compliance.models import (
    ComplianceNotice,
    CraEvent,
    EventState,
    Nis2Record,
    NoticeKind,
    RegulatoryReport,
)
from vulndesk.server.inventory.models import Product, ProductGrant, Role
from vulndesk.server.notifications.models import DeliveryChannel, WebhookEndpoint
from vulndesk.server.notifications.outbox import outbox_deliver

__all__ = ["EVENT_PATH", "REMINDER_BEFORE", "ComplianceRun", "compliance_run", "notices_deliver"]

#: how long before the due time the reminder goes out
REMINDER_BEFORE: Final = timedelta(hours=6)
EVENT_PATH: Final = "/compliance/events/{event_id}/"
RECORD_PATH: Final = "/compliance/nis2/{record_id}/"
_EVENT_PREFIX: Final = "compliance."
_SUBJECT_PREFIX: Final = "[vulndesk] "


@dataclass
class ComplianceRun:
    """What one :func:`compliance_run` did."""

    reminders: int = 0
    overdue: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0

    def as_dict(self) -> dict[str, int]:
        """Return the counts."""
        return {
            "reminders": self.reminders,
            "overdue": self.overdue,
            "sent": self.sent,
            "retrying": self.retrying,
            "failed": self.failed,
        }


def compliance_run(*, now: datetime | None = None) -> ComplianceRun:
    """Queue the reminders and escalations due at ``now`` (default: the current time), send
    the notices waiting, and return what was done (module docstring)."""
    now = now or timezone.now()
    run = ComplianceRun()
    for report in _reports_to_remind(now):
        kind = NoticeKind.OVERDUE if report.due_at <= now else NoticeKind.REMINDER
        queued = _queue_for(report, kind, now)
        if kind == NoticeKind.OVERDUE:
            run.overdue += queued
        else:
            run.reminders += queued
    notices_deliver(now=now, run=run)
    return run


def _reports_to_remind(now: datetime) -> list[RegulatoryReport]:
    """Return the reports due within REMINDER_BEFORE (or past due) that still lack the notice
    of their stage."""
    escalated = ComplianceNotice.objects.filter(report=OuterRef("pk"), kind=NoticeKind.OVERDUE)
    reminded = ComplianceNotice.objects.filter(report=OuterRef("pk"), kind=NoticeKind.REMINDER)
    reports = (
        RegulatoryReport.objects.filter(
            submitted_at__isnull=True, due_at__isnull=False, due_at__lte=now + REMINDER_BEFORE
        )
        .filter(
            Q(event__isnull=False) & ~Q(event__state=EventState.DISMISSED)
            | Q(record__isnull=False, record__significant=True)
        )
        .exclude(Exists(escalated))
        .exclude(Q(due_at__gt=now) & Q(Exists(reminded)))
        .select_related("event__product__organisation", "record__organisation", "record__product")
        .order_by("due_at", "id")
    )
    return list(reports)


def _recipients(product: Product | None, record: Nis2Record | None, escalate: bool) -> list[Any]:
    """Return the users to tell: the product's owner and its owner teams' members (a NIS2
    record without product: whoever created it), and for an escalation the superusers."""
    users: dict[int, Any] = {}
    User = get_user_model()
    if product is not None:
        if product.owner_id is not None and product.owner is not None:
            users[product.owner.pk] = product.owner
        teams = ProductGrant.objects.filter(product=product, role=Role.OWNER).values("team_id")
        for user in User.objects.filter(vulndesk_teams__in=teams, is_active=True).distinct():
            users[user.pk] = user
    elif record is not None and record.created_by is not None:
        users[record.created_by.pk] = record.created_by
    if escalate:
        for user in User.objects.filter(is_superuser=True, is_active=True):
            users[user.pk] = user
    return [u for _, u in sorted(users.items()) if u.email]


def _embargoed(product: Product | None, now: datetime) -> bool:
    """Return whether a release of ``product`` is in a disclosure case under an embargo in
    force."""
    if product is None:
        return False
    from vulndesk.server.disclosure.models import Case, EmbargoState

    return Case.objects.filter(
        releases__release__product=product,
        embargo_state__in=[EmbargoState.ACTIVE, EmbargoState.REVISED],
        embargo_end_at__gt=now,
    ).exists()


def _facts(report: RegulatoryReport, now: datetime) -> tuple[dict[str, Any], str, str]:
    """Return the notice's payload, the product's name ("" under an embargo) and the path."""
    event: CraEvent | None = report.event
    record: Nis2Record | None = report.record
    product = event.product if event is not None else record.product if record else None
    name = "" if _embargoed(product, now) else (product.name if product is not None else "")
    assert report.due_at is not None
    payload: dict[str, Any] = {
        "report": {"id": report.pk, "kind": report.kind, "due_at": report.due_at.isoformat()},
    }
    if event is not None:
        payload["cra_event"] = {
            "id": event.pk,
            "regime": event.regime,
            "vulnerability_id": event.vulnerability_id,
        }
        path = EVENT_PATH.format(event_id=event.pk)
    else:
        assert record is not None
        payload["nis2_record"] = {"id": record.pk, "kind": record.kind}
        path = RECORD_PATH.format(record_id=record.pk)
    if product is not None:
        payload["product"] = {"id": product.pk, **({"name": name} if name else {})}
    return payload, name, path


def _compose(report: RegulatoryReport, kind: str, name: str, path: str) -> tuple[str, str]:
    from vulndesk.server.disclosure.notify import site_url

    assert report.due_at is not None
    what = str(report.get_kind_display())
    if report.event is not None:
        subject_of = report.event.vulnerability_id or f"CRA event {report.event_id}"
    else:
        subject_of = f"NIS2 record {report.record_id}"
    values = {
        "report": what,
        "about": subject_of,
        "due": report.due_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M"),
    }
    if kind == NoticeKind.OVERDUE:
        subject = gettext("Overdue: %(report)s of %(about)s") % values
        first = gettext("The %(report)s of %(about)s was due at %(due)s (UTC).") % values
    else:
        subject = gettext("Due soon: %(report)s of %(about)s") % values
        first = gettext("The %(report)s of %(about)s is due at %(due)s (UTC).") % values
    lines = [first]
    if name:
        lines.append(gettext("Product: %(product)s") % {"product": name})
    lines.append(gettext("Open it in vulndesk: %(url)s") % {"url": site_url() + path})
    return _SUBJECT_PREFIX + subject, "\n\n".join(lines) + "\n"


def _language(user: Any) -> str:
    profile = getattr(user, "vulndesk_profile", None)
    return getattr(profile, "language", "") or settings.LANGUAGE_CODE


def _queue_for(report: RegulatoryReport, kind: str, now: datetime) -> int:
    """Queue the notices of ``kind`` for ``report``; return how many were new."""
    payload, name, path = _facts(report, now)
    event = report.event
    product = (
        event.product if event is not None else report.record.product if report.record else None
    )
    organisation_id = (
        product.organisation_id
        if product is not None
        else report.record.organisation_id
        if report.record is not None
        else None
    )
    escalate = kind == NoticeKind.OVERDUE
    queued = 0
    for user in _recipients(product, report.record, escalate):
        with translation.override(_language(user)):
            subject, body = _compose(report, kind, name, path)
        queued += _queue(
            report,
            key=f"{report.pk}:{kind}:u{user.pk}",
            kind=kind,
            channel=DeliveryChannel.EMAIL,
            target=user.email,
            subject=subject,
            body=body,
            payload=payload,
            now=now,
        )
    endpoints = WebhookEndpoint.objects.filter(organisation_id=organisation_id, active=True)
    for endpoint in endpoints:
        queued += _queue(
            report,
            key=f"{report.pk}:{kind}:w{endpoint.pk}",
            kind=kind,
            channel=DeliveryChannel.WEBHOOK,
            target=endpoint.url,
            payload=payload,
            endpoint=endpoint,
            now=now,
        )
    return queued


def _queue(
    report: RegulatoryReport,
    *,
    key: str,
    kind: str,
    channel: str,
    target: str,
    payload: dict[str, Any],
    now: datetime,
    subject: str = "",
    body: str = "",
    endpoint: WebhookEndpoint | None = None,
) -> int:
    _, created = ComplianceNotice.objects.get_or_create(
        key=key[:200],
        defaults={
            "report": report,
            "endpoint": endpoint,
            "kind": kind,
            "channel": channel,
            "target": target[:1000],
            "subject": subject[:300],
            "body": body,
            "payload": payload,
            "next_attempt_at": now,
            "created_at": now,
        },
    )
    return int(created)


def notices_deliver(
    *, now: datetime | None = None, run: ComplianceRun | None = None
) -> ComplianceRun:
    """Send every pending compliance notice due at ``now`` and return the counts; e-mail waits
    while no SMTP server is configured (``notifications.outbox``)."""
    now = now or timezone.now()
    counts = run or ComplianceRun()
    outbox_deliver(
        ComplianceNotice,
        now=now,
        event_prefix=_EVENT_PREFIX,
        delivery_prefix="compliance-notice-",
        on_settled=lambda _, result: setattr(counts, result, getattr(counts, result) + 1),
    )
    return counts
