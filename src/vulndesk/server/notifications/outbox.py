"""Sending an outbox of notices: the disclosure cases' (``disclosure.CaseNotice``) and the
regulatory clocks' (``compliance.ComplianceNotice``).

Each app keeps its own table, one row per event and recipient (a unique key, so an event never
queues twice); this sends the rows that are due. A row is claimed with a conditional UPDATE (a
second worker skips it), sent by e-mail or to its webhook endpoint through the notification
senders (``services.mail_send`` / ``services.webhook_send``), and settled: sent, retried after
``services.backoff`` until ``services.MAX_ATTEMPTS``, or failed. E-mail rows wait while no SMTP
server is configured.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal

import httpx
import orjson
from django.conf import settings
from django.db.models import F, Model

from vulndesk.server.notifications.models import DeliveryChannel, DeliveryStatus
from vulndesk.server.notifications.services import (
    LEASE,
    MAX_ATTEMPTS,
    WEBHOOK_TIMEOUT,
    SendOutcome,
    backoff,
    mail_send,
    webhook_send,
)

__all__ = ["Result", "outbox_deliver", "outbox_settle"]

#: what one attempt came to
Result = Literal["sent", "retrying", "failed"]
# both outbox tables use the deliveries' states (their NoticeStatus is DeliveryStatus)
_PENDING, _SENT, _FAILED = DeliveryStatus.PENDING, DeliveryStatus.SENT, DeliveryStatus.FAILED


def outbox_deliver(
    model: type[Model],
    *,
    now: datetime,
    event_prefix: str,
    delivery_prefix: str,
    on_settled: Callable[[Any, Result], None],
    on_sent: Callable[[Any], None] | None = None,
) -> None:
    """Send every pending row of ``model`` due at ``now``; call ``on_settled(row, result)``
    after each attempt (the caller counts), and ``on_sent(row)`` after a successful one.

    A webhook's event is ``event_prefix`` + the row's kind, its delivery id ``delivery_prefix``
    + the row's id; its body the row's payload with both.
    """
    manager = model._default_manager
    due = manager.filter(status=_PENDING, next_attempt_at__lte=now)
    if not settings.EMAIL_ENABLED:
        due = due.exclude(channel=DeliveryChannel.EMAIL)
    with httpx.Client(timeout=WEBHOOK_TIMEOUT, follow_redirects=False) as client:
        for notice_id in list(due.order_by("next_attempt_at", "id").values_list("id", flat=True)):
            claimed = manager.filter(
                pk=notice_id, status=_PENDING, next_attempt_at__lte=now
            ).update(next_attempt_at=now + LEASE, attempts=F("attempts") + 1)
            if not claimed:
                continue  # another run took it
            notice = manager.select_related("endpoint").get(pk=notice_id)
            result = outbox_settle(
                notice, _send(client, notice, event_prefix, delivery_prefix), now
            )
            if result == "sent" and on_sent is not None:
                on_sent(notice)
            on_settled(notice, result)


def _send(
    client: httpx.Client, notice: Any, event_prefix: str, delivery_prefix: str
) -> SendOutcome:
    if notice.channel == DeliveryChannel.EMAIL:
        return mail_send(to=notice.target, subject=notice.subject, body=notice.body)
    endpoint = notice.endpoint
    if endpoint is None:
        return SendOutcome(False, error="the endpoint was deleted", final=True)
    if not endpoint.active:
        return SendOutcome(False, error="the endpoint is not active", final=True)
    event = event_prefix + notice.kind
    delivery = f"{delivery_prefix}{notice.pk}"
    body = orjson.dumps({"event": event, "delivery": delivery, **notice.payload})
    return webhook_send(
        client, url=endpoint.url, secret=endpoint.secret, event=event, delivery=delivery, body=body
    )


def outbox_settle(notice: Any, outcome: SendOutcome, now: datetime) -> Result:
    """Record one attempt's outcome on ``notice`` and return what it came to."""
    notice.error = outcome.error[:2000]
    result: Result
    if outcome.ok:
        notice.status, notice.sent_at, notice.next_attempt_at, notice.error = _SENT, now, None, ""
        result = "sent"
    elif outcome.final or notice.attempts >= MAX_ATTEMPTS:
        notice.status, notice.next_attempt_at = _FAILED, None
        result = "failed"
    else:
        notice.next_attempt_at = now + backoff(notice.attempts)
        result = "retrying"
    notice.save(update_fields=["status", "sent_at", "next_attempt_at", "error"])
    return result
