"""Notifications of new findings: webhooks signed with HMAC-SHA256, and e-mail over SMTP.

Matching leaves new and re-opened findings with ``notified_at`` empty: that column is the outbox
(``findings.services``). :func:`notifications_enqueue` queues one ``deliver_pending`` task, which
runs :func:`notifications_deliver` in two steps:

1. **Drain the outbox**, one release and at most ``BATCH`` findings at a time, each batch in one
   transaction: a ``pending`` Delivery per webhook endpoint of the product's organisation and per
   subscriber who may see the product (``accounts.permissions``), and ``notified_at`` set on the
   findings. A finding leaves the outbox exactly when its deliveries are recorded, so a worker
   that dies mid-run loses nothing; findings resolved before they were announced leave it quietly.
2. **Send what is due**: each webhook delivery is POSTed; each subscriber's due deliveries go out
   as one e-mail. A failure is recorded on the Delivery and retried with backoff (a later
   ``deliver_pending`` task, ``run_after`` the next retry) until ``MAX_ATTEMPTS``; then it is
   ``failed``. Deliveries are claimed with a lease, so two runs never send one twice and a
   delivery whose sender died goes out once the lease has run out.

Deliveries that are settled (sent or failed) are kept for ``DELIVERY_KEPT`` as the record of
what went out, then deleted by the run that finds them older (:func:`deliveries_prune`), so the
table does not grow with every finding a portfolio ever had.

Webhooks
    ``POST`` of ``{"event": "findings.new", "delivery": id, "product", "release", "findings"}``
    with the headers ``X-Vulndesk-Event``, ``X-Vulndesk-Delivery``, ``X-Vulndesk-Timestamp``
    (Unix seconds) and ``X-Vulndesk-Signature: sha256=<hex>``, the HMAC-SHA256 of
    ``"<timestamp>.<body>"`` with the endpoint's secret (:func:`webhook_signature`). A retry
    sends the same body (same ``delivery``, for receivers that deduplicate) with a new timestamp.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import transaction
from django.db.models import F, Min, Q
from django.utils import timezone, translation
from django.utils.translation import gettext, ngettext

from vulndesk import __version__
from vulndesk.core.errors import InputError
from vulndesk.server.accounts.models import Organisation
from vulndesk.server.accounts.permissions import visible_products
from vulndesk.server.audit.services import audit_record
from vulndesk.server.findings.models import SEVERITY_RANK, Finding, FindingStatus, Severity
from vulndesk.server.inventory.models import Release
from vulndesk.server.jobs.models import Job
from vulndesk.server.jobs.services import job_progress
from vulndesk.server.notifications.models import (
    Delivery,
    DeliveryChannel,
    DeliveryStatus,
    EmailSubscription,
    WebhookEndpoint,
)

EVENT = "findings.new"
#: findings per outbox batch (and so at most per webhook message)
BATCH = 500
#: attempts per delivery before it is marked failed
MAX_ATTEMPTS = 6
#: wait before the n-th retry: 1, 4, 16, 64 minutes... at most 6 hours
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_MAX = timedelta(hours=6)
#: how long a claimed delivery is left to its sender before another run may take it up
LEASE = timedelta(minutes=10)
WEBHOOK_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
#: findings listed per release in an e-mail (the rest are counted)
EMAIL_LISTED = 20
_WEBHOOKS_PER_CLAIM = 50
#: how long sent and failed deliveries are kept
DELIVERY_KEPT = timedelta(days=90)
#: settled deliveries one run deletes at most (the next run takes the rest)
_PRUNE_BATCH = 10_000

ENDPOINT_FIELDS = ("name", "url", "active", "min_severity", "secret")


# --- configuration: endpoints and subscriptions -----------------------------------------------


def _check_url(url: str) -> str:
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise InputError(f"webhook URL {url!r}: expected http:// or https:// and a host name")
    return url


def _check_severity(value: str) -> str:
    if value not in Severity.values:
        raise InputError(
            f"minimum severity {value!r}: expected one of {', '.join(Severity.values)}"
        )
    return value


@transaction.atomic
def webhook_endpoint_create(
    *,
    organisation: Organisation,
    name: str,
    url: str,
    acting_user: Any,
    min_severity: str = Severity.UNKNOWN,
    secret: str | None = None,
    active: bool = True,
) -> WebhookEndpoint:
    """Create a webhook endpoint of ``organisation`` and return it.

    Without ``secret`` a random one is made; show it to whoever configures the receiver.
    """
    name = name.strip()
    if not name:
        raise InputError("a webhook endpoint needs a name")
    if WebhookEndpoint.objects.filter(organisation=organisation, name=name).exists():
        raise InputError(f"{organisation.name} already has a webhook endpoint named {name!r}")
    endpoint = WebhookEndpoint.objects.create(
        organisation=organisation,
        name=name,
        url=_check_url(url),
        secret=secret or secrets.token_urlsafe(32),
        active=active,
        min_severity=_check_severity(min_severity),
        created_by=acting_user if getattr(acting_user, "is_authenticated", False) else None,
    )
    audit_record(
        action="webhook.create",
        object_type="webhook_endpoint",
        object_id=str(endpoint.pk),
        data={
            "organisation": organisation.name,
            "name": name,
            "url": endpoint.url,
            "active": active,
            "min_severity": endpoint.min_severity,
        },
        acting_user=acting_user,
    )
    return endpoint


@transaction.atomic
def webhook_endpoint_update(
    *, endpoint: WebhookEndpoint, acting_user: Any, **changes: Any
) -> WebhookEndpoint:
    """Change an endpoint's fields (ENDPOINT_FIELDS) and return it; the secret is not audited,
    only that it changed."""
    unknown = set(changes) - set(ENDPOINT_FIELDS)
    if unknown:
        raise TypeError(f"unknown webhook endpoint fields: {', '.join(sorted(unknown))}")
    if "url" in changes:
        changes["url"] = _check_url(changes["url"])
    if "min_severity" in changes:
        _check_severity(changes["min_severity"])
    if "name" in changes:
        changes["name"] = changes["name"].strip()
        if not changes["name"]:
            raise InputError("a webhook endpoint needs a name")
    if "secret" in changes and not changes["secret"]:
        raise InputError("a webhook endpoint needs a secret")
    shown = {k: ("(changed)" if k == "secret" else v) for k, v in changes.items()}
    before = {k: ("(old)" if k == "secret" else getattr(endpoint, k)) for k in changes}
    for name, value in changes.items():
        setattr(endpoint, name, value)
    endpoint.save()
    audit_record(
        action="webhook.update",
        object_type="webhook_endpoint",
        object_id=str(endpoint.pk),
        data={"changes": shown, "before": before},
        acting_user=acting_user,
    )
    return endpoint


@transaction.atomic
def webhook_endpoint_delete(*, endpoint: WebhookEndpoint, acting_user: Any) -> None:
    """Delete an endpoint; its deliveries stay in the log (without the link)."""
    audit_record(
        action="webhook.delete",
        object_type="webhook_endpoint",
        object_id=str(endpoint.pk),
        data={"name": endpoint.name, "url": endpoint.url},
        acting_user=acting_user,
    )
    endpoint.delete()


@transaction.atomic
def email_subscription_set(
    *, user: Any, acting_user: Any, min_severity: str = Severity.HIGH, active: bool = True
) -> EmailSubscription:
    """Subscribe ``user`` to e-mail about new findings from ``min_severity`` up (or change their
    subscription); return it."""
    subscription, created = EmailSubscription.objects.update_or_create(
        user=user, defaults={"min_severity": _check_severity(min_severity), "active": active}
    )
    audit_record(
        action="email_subscription.create" if created else "email_subscription.update",
        object_type="email_subscription",
        object_id=str(subscription.pk),
        data={"user": user.get_username(), "min_severity": min_severity, "active": active},
        acting_user=acting_user,
    )
    return subscription


@transaction.atomic
def email_subscription_delete(*, user: Any, acting_user: Any) -> None:
    """End ``user``'s e-mail subscription (nothing when they have none)."""
    subscription = EmailSubscription.objects.filter(user=user).first()
    if subscription is None:
        return
    audit_record(
        action="email_subscription.delete",
        object_type="email_subscription",
        object_id=str(subscription.pk),
        data={"user": user.get_username()},
        acting_user=acting_user,
    )
    subscription.delete()


@transaction.atomic
def delivery_retry(*, delivery: Delivery, acting_user: Any) -> Delivery:
    """Make a failed delivery pending again with a fresh set of attempts; return it."""
    if delivery.status != DeliveryStatus.FAILED:
        raise InputError(f"delivery {delivery.pk} is {delivery.status}, not failed")
    delivery.status = DeliveryStatus.PENDING
    delivery.attempts = 0
    delivery.next_attempt_at = timezone.now()
    delivery.claim = ""
    delivery.save(update_fields=["status", "attempts", "next_attempt_at", "claim"])
    audit_record(
        action="delivery.retry",
        object_type="delivery",
        object_id=str(delivery.pk),
        data={"channel": delivery.channel, "target": delivery.target},
        acting_user=acting_user,
    )
    transaction.on_commit(notifications_enqueue)
    return delivery


# --- the task ---------------------------------------------------------------------------------


def _task_scheduled(at: datetime) -> bool:
    """Return whether a ``deliver_pending`` task is queued to run at ``at`` or before."""
    from django_tasks_db.models import DBTaskResult, get_date_max

    from vulndesk.server.notifications.tasks import deliver_pending

    return (
        DBTaskResult.objects.filter(task_path=deliver_pending.module_path, status="READY")
        .filter(Q(run_after=get_date_max()) | Q(run_after__lte=at))
        .exists()
    )


def notifications_enqueue(*, run_after: datetime | None = None) -> Job | None:
    """Queue one ``deliver_pending`` task (at ``run_after``, else now) and return its job; None
    when one is already queued to run by then."""
    from vulndesk.server.jobs.models import JobKind
    from vulndesk.server.jobs.services import job_enqueue
    from vulndesk.server.notifications.tasks import deliver_pending

    if _task_scheduled(run_after or timezone.now()):
        return None
    task = deliver_pending if run_after is None else deliver_pending.using(run_after=run_after)
    return job_enqueue(task=task, kind=JobKind.NOTIFICATION, label="Notifications of new findings")


@dataclass(slots=True)
class DeliveryRun:
    """What one :func:`notifications_deliver` run did."""

    findings: int = 0  # taken out of the outbox
    created: int = 0  # deliveries recorded
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    pruned: int = 0
    next_retry_at: datetime | None = field(default=None)

    def as_dict(self) -> dict[str, Any]:
        """Return the counts (a task's return value)."""
        return {
            "findings": self.findings,
            "deliveries": self.created,
            "sent": self.sent,
            "retrying": self.retrying,
            "failed": self.failed,
            "pruned": self.pruned,
            "next_retry_at": self.next_retry_at.isoformat() if self.next_retry_at else None,
        }


def notifications_deliver(*, now: datetime | None = None, job_id: int | None = None) -> DeliveryRun:
    """Turn the findings outbox into deliveries, send every delivery due at ``now`` (default: the
    current time), and queue a later run for the next retry; return what was done."""
    now = now or timezone.now()
    run = DeliveryRun()
    _outbox_drain(now, run, job_id)
    _send_due(now, run)
    run.pruned = deliveries_prune(now=now)
    waiting = Delivery.objects.filter(status=DeliveryStatus.PENDING)
    if not settings.EMAIL_ENABLED:
        waiting = waiting.exclude(channel=DeliveryChannel.EMAIL)  # they wait for SMTP settings
    next_retry = waiting.aggregate(at=Min("next_attempt_at"))["at"]
    if next_retry is not None:
        run.next_retry_at = max(next_retry, now)
        notifications_enqueue(run_after=run.next_retry_at)
    return run


@transaction.atomic
def deliveries_prune(*, now: datetime, kept: timedelta = DELIVERY_KEPT) -> int:
    """Delete settled (sent or failed) deliveries created more than ``kept`` before ``now``, at
    most ``_PRUNE_BATCH`` of them, and return how many; pending ones are never touched."""
    old = Delivery.objects.filter(
        status__in=[DeliveryStatus.SENT, DeliveryStatus.FAILED], created_at__lt=now - kept
    )
    ids = list(old.order_by("created_at").values_list("id", flat=True)[:_PRUNE_BATCH])
    if not ids:
        return 0
    deleted, _ = Delivery.objects.filter(id__in=ids).delete()
    audit_record(
        action="notifications.prune",
        object_type="delivery",
        object_id="",
        data={"deleted": deleted, "older_than": (now - kept).isoformat()},
        acting_user=None,
        actor_label="system",
    )
    return deleted


# --- step 1: the outbox -----------------------------------------------------------------------


@dataclass(slots=True)
class _Subscriber:
    user_id: int
    email: str
    min_rank: int
    visible: set[int]  # ids of the products they may see


@dataclass(slots=True)
class _Audience:
    """Who hears about what, read once per run."""

    endpoints: dict[int, list[WebhookEndpoint]]  # organisation id -> active endpoints
    subscribers: list[_Subscriber]

    @classmethod
    def load(cls) -> _Audience:
        endpoints: dict[int, list[WebhookEndpoint]] = {}
        for endpoint in WebhookEndpoint.objects.filter(active=True):
            endpoints.setdefault(endpoint.organisation_id, []).append(endpoint)
        subscribers = []
        if settings.EMAIL_ENABLED:
            subscriptions = EmailSubscription.objects.filter(
                active=True, user__is_active=True
            ).select_related("user")
            for subscription in subscriptions:
                user = subscription.user
                if not user.email:
                    continue
                visible = visible_products(user).values_list("id", flat=True)
                subscribers.append(
                    _Subscriber(
                        user_id=user.pk,
                        email=user.email,
                        min_rank=SEVERITY_RANK[subscription.min_severity],
                        visible=set(visible),
                    )
                )
        return cls(endpoints, subscribers)


_FINDING_FIELDS = (
    "id", "status", "vulnerability_id", "aliases", "summary", "severity", "severity_rank",
    "cvss_score", "kev", "component_name", "component_version", "purl", "fixed_versions",
    "first_seen",
)  # fmt: skip


def _outbox_drain(now: datetime, run: DeliveryRun, job_id: int | None) -> None:
    """Take every finding out of the outbox, recording the deliveries that announce it."""
    outbox = Finding.objects.filter(notified_at__isnull=True)
    total = outbox.count()
    if not total:
        return
    audience = _Audience.load()
    after = 0  # releases up to this id are done (later findings wait for the next run)
    while True:
        release_id = (
            outbox.filter(release_id__gt=after)
            .order_by("release_id")
            .values_list("release_id", flat=True)
            .first()
        )
        if release_id is None:
            break
        with transaction.atomic():
            rows = list(
                outbox.filter(release_id=release_id)
                .select_for_update(skip_locked=True)
                .order_by("id")
                .values(*_FINDING_FIELDS)[:BATCH]
            )
            if rows:
                release = Release.objects.select_related("product__organisation").get(pk=release_id)
                active = [r for r in rows if r["status"] == FindingStatus.ACTIVE]
                run.created += _deliveries_record(release, active, audience, now)
                Finding.objects.filter(id__in=[r["id"] for r in rows]).update(notified_at=now)
                run.findings += len(rows)
        if len(rows) < BATCH:
            after = release_id  # done, or the rest is locked by another run
        job_progress(job_id, done=min(run.findings, total), total=total)


def _finding_json(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "vulnerability_id": row["vulnerability_id"],
        "aliases": row["aliases"],
        "summary": row["summary"],
        "severity": row["severity"],
        "cvss_score": row["cvss_score"],
        "kev": row["kev"],
        "component": {
            "name": row["component_name"],
            "version": row["component_version"],
            "purl": row["purl"],
        },
        "fixed_versions": row["fixed_versions"],
        "first_seen": row["first_seen"].isoformat(),
    }


def _deliveries_record(
    release: Release, rows: list[dict[str, Any]], audience: _Audience, now: datetime
) -> int:
    """Create the pending deliveries announcing ``rows`` (active findings of ``release``);
    return how many."""
    if not rows:
        return 0
    product = release.product
    where = {
        "product": {
            "id": product.pk,
            "name": product.name,
            "organisation": product.organisation.name,
        },
        "release": {"id": release.pk, "version": release.version},
    }
    rows = sorted(rows, key=lambda r: (-r["severity_rank"], r["vulnerability_id"]))
    deliveries = []
    for endpoint in audience.endpoints.get(product.organisation_id, ()):
        wanted = [r for r in rows if r["severity_rank"] >= SEVERITY_RANK[endpoint.min_severity]]
        if wanted:
            deliveries.append(
                Delivery(
                    channel=DeliveryChannel.WEBHOOK,
                    endpoint=endpoint,
                    target=endpoint.url,
                    finding_count=len(wanted),
                    next_attempt_at=now,
                    payload={"event": EVENT, **where, "findings": list(map(_finding_json, wanted))},
                )
            )
    for subscriber in audience.subscribers:
        if product.pk not in subscriber.visible:
            continue
        wanted = [r for r in rows if r["severity_rank"] >= subscriber.min_rank]
        if wanted:
            counts: dict[str, int] = {}
            for r in wanted:
                counts[r["severity"]] = counts.get(r["severity"], 0) + 1
            deliveries.append(
                Delivery(
                    channel=DeliveryChannel.EMAIL,
                    user_id=subscriber.user_id,
                    target=subscriber.email,
                    finding_count=len(wanted),
                    next_attempt_at=now,
                    payload={
                        **where,
                        "counts": counts,
                        "findings": [_finding_json(r) for r in wanted[:EMAIL_LISTED]],
                    },
                )
            )
    Delivery.objects.bulk_create(deliveries)
    return len(deliveries)


# --- step 2: sending --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SendOutcome:
    """The outcome of one attempt to send a webhook or an e-mail."""

    ok: bool
    http_status: int | None = None
    error: str = ""
    final: bool = False  # a failure no retry can mend


_Outcome = SendOutcome


def _claim(deliveries: Iterable[int], now: datetime) -> str:
    """Take the due deliveries among ``deliveries`` (ids) for this run; return the claim token.

    One UPDATE both checks and takes: a delivery another run claimed meanwhile is no longer due
    (its ``next_attempt_at`` moved a lease ahead), so it is left out.
    """
    token = uuid.uuid4().hex
    Delivery.objects.filter(
        id__in=list(deliveries), status=DeliveryStatus.PENDING, next_attempt_at__lte=now
    ).update(claim=token, attempts=F("attempts") + 1, next_attempt_at=now + LEASE)
    return token


def backoff(attempts: int) -> timedelta:
    """Return the wait after a delivery's ``attempts``-th failed attempt."""
    return min(BACKOFF_BASE * 4 ** max(attempts - 1, 0), BACKOFF_MAX)


def _settle(deliveries: list[Delivery], outcome: _Outcome, now: datetime, run: DeliveryRun) -> None:
    """Record the outcome of one attempt at ``deliveries``."""
    for delivery in deliveries:
        delivery.claim = ""
        delivery.http_status = outcome.http_status
        delivery.error = outcome.error[:2000]
        if outcome.ok:
            delivery.status = DeliveryStatus.SENT
            delivery.sent_at = now
            delivery.next_attempt_at = None
            run.sent += 1
        elif outcome.final or delivery.attempts >= MAX_ATTEMPTS:
            delivery.status = DeliveryStatus.FAILED
            delivery.next_attempt_at = None
            run.failed += 1
        else:
            delivery.next_attempt_at = now + backoff(delivery.attempts)
            run.retrying += 1
    Delivery.objects.bulk_update(
        deliveries, ["claim", "http_status", "error", "status", "sent_at", "next_attempt_at"]
    )


def _send_due(now: datetime, run: DeliveryRun) -> None:
    due = Delivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
    with httpx.Client(timeout=WEBHOOK_TIMEOUT, follow_redirects=False) as client:
        while True:
            ids = list(
                due.filter(channel=DeliveryChannel.WEBHOOK)
                .order_by("next_attempt_at", "id")
                .values_list("id", flat=True)[:_WEBHOOKS_PER_CLAIM]
            )
            if not ids:
                break
            token = _claim(ids, now)
            for delivery in Delivery.objects.filter(claim=token).select_related("endpoint"):
                _settle([delivery], _webhook_post(client, delivery), now, run)
    if not settings.EMAIL_ENABLED:
        return  # e-mail deliveries wait for SMTP to be configured
    # one e-mail per subscriber, with all their due deliveries
    orphans = due.filter(channel=DeliveryChannel.EMAIL, user__isnull=True)
    run.failed += orphans.update(status=DeliveryStatus.FAILED, error="the user was deleted")
    while True:
        user_id = (
            due.filter(channel=DeliveryChannel.EMAIL, user__isnull=False)
            .order_by("next_attempt_at", "id")
            .values_list("user_id", flat=True)
            .first()
        )
        if user_id is None:
            break
        ids = due.filter(channel=DeliveryChannel.EMAIL, user_id=user_id).values_list(
            "id", flat=True
        )
        token = _claim(ids, now)
        deliveries = list(Delivery.objects.filter(claim=token).order_by("id"))
        if deliveries:
            _settle(deliveries, _email_send(user_id, deliveries), now, run)


def webhook_signature(*, secret: str, timestamp: str, body: bytes) -> str:
    """Return the ``X-Vulndesk-Signature`` value of ``body`` sent at ``timestamp``:
    ``sha256=`` and the hex HMAC-SHA256 of ``"<timestamp>.<body>"`` keyed with ``secret``."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


def _webhook_post(client: httpx.Client, delivery: Delivery) -> _Outcome:
    endpoint = delivery.endpoint
    if endpoint is None:
        return _Outcome(False, error="the endpoint was deleted", final=True)
    if not endpoint.active:
        return _Outcome(False, error="the endpoint is not active", final=True)
    return webhook_send(
        client,
        url=endpoint.url,
        secret=endpoint.secret,
        event=EVENT,
        delivery=str(delivery.pk),
        body=orjson.dumps({"event": EVENT, "delivery": delivery.pk, **delivery.payload}),
    )


def webhook_send(
    client: httpx.Client, *, url: str, secret: str, event: str, delivery: str, body: bytes
) -> SendOutcome:
    """POST ``body`` (JSON) to ``url`` signed with ``secret`` (module docstring, "Webhooks")
    and return the outcome; other apps' notices (``disclosure.notify``) go out through it."""
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": f"vulndesk/{__version__}",
        "X-Vulndesk-Event": event,
        "X-Vulndesk-Delivery": delivery,
        "X-Vulndesk-Timestamp": timestamp,
        "X-Vulndesk-Signature": webhook_signature(secret=secret, timestamp=timestamp, body=body),
    }
    try:
        response = client.post(url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        return _Outcome(False, error=f"{type(exc).__name__}: {exc}")
    if response.is_success:
        return _Outcome(True, http_status=response.status_code)
    return _Outcome(
        False,
        http_status=response.status_code,
        error=f"HTTP {response.status_code}: {response.text[:500]}",
    )


def _email_send(user_id: int, deliveries: list[Delivery]) -> _Outcome:
    user = get_user_model().objects.filter(pk=user_id).select_related("vulndesk_profile").first()
    if user is None or not user.is_active or not user.email:
        return _Outcome(
            False, error="the user was deleted, deactivated or has no e-mail address", final=True
        )
    profile = getattr(user, "vulndesk_profile", None)
    with translation.override(getattr(profile, "language", "") or settings.LANGUAGE_CODE):
        subject, body = email_compose(deliveries)
    return mail_send(to=user.email, subject=subject, body=body)


def mail_send(*, to: str, subject: str, body: str) -> SendOutcome:
    """Send one plain-text e-mail to ``to`` with the default mailer (``VULNDESK_SMTP_URL``) and
    return the outcome; other apps' notices (``disclosure.notify``) go out through it."""
    message = mail.EmailMessage(subject, body, to=[to])
    try:
        mail.mailers.default.send_messages([message])
    except OSError as exc:  # smtplib.SMTPException is an OSError, as are socket errors
        return _Outcome(False, error=f"{type(exc).__name__}: {exc}")
    return _Outcome(True)


def email_compose(deliveries: list[Delivery]) -> tuple[str, str]:
    """Return the subject and plain-text body of the e-mail announcing ``deliveries`` (one
    user's), in the active language: per release, counts by severity and the worst findings."""
    releases: dict[int, dict[str, Any]] = {}
    for delivery in deliveries:
        payload = delivery.payload
        entry = releases.setdefault(
            payload["release"]["id"],
            {"product": payload["product"], "release": payload["release"], "counts": {}, "all": []},
        )
        for severity, count in payload["counts"].items():
            entry["counts"][severity] = entry["counts"].get(severity, 0) + count
        entry["all"].extend(payload["findings"])
    total = sum(d.finding_count for d in deliveries)
    subject = "[vulndesk] " + gettext("%(findings)s in %(releases)s") % {
        "findings": ngettext("%(count)d new finding", "%(count)d new findings", total)
        % {"count": total},
        "releases": ngettext("%(count)d release", "%(count)d releases", len(releases))
        % {"count": len(releases)},
    }
    lines = [
        ngettext(
            "vulndesk found %(count)d new finding in the products you can see.",
            "vulndesk found %(count)d new findings in the products you can see.",
            total,
        )
        % {"count": total},
        "",
    ]
    ranked = sorted(SEVERITY_RANK, key=SEVERITY_RANK.__getitem__, reverse=True)
    for entry in releases.values():
        counts = ", ".join(
            f"{entry['counts'][s]} {Severity(s).label}" for s in ranked if s in entry["counts"]
        )
        lines.append(
            f"{entry['product']['name']} {entry['release']['version']}"
            f" ({entry['product']['organisation']}): {counts}"
        )
        findings = sorted(
            entry["all"], key=lambda f: (-SEVERITY_RANK[f["severity"]], f["vulnerability_id"])
        )
        for finding in findings[:EMAIL_LISTED]:
            component = finding["component"]
            severity = str(Severity(finding["severity"]).label).upper()
            line = f"  {severity:<9} {finding['vulnerability_id']}  {component['name']}"
            if component["version"]:
                line += f" {component['version']}"
            if finding["fixed_versions"]:
                line += "  " + gettext("fixed in %(versions)s") % {
                    "versions": ", ".join(finding["fixed_versions"])
                }
            lines.append(line)
        hidden = sum(entry["counts"].values()) - min(len(findings), EMAIL_LISTED)
        if hidden > 0:
            lines.append("  " + gettext("and %(count)d more") % {"count": hidden})
        lines.append("")
    lines.append(gettext("You receive this because you subscribed to new findings in vulndesk."))
    return subject, "\n".join(lines) + "\n"
