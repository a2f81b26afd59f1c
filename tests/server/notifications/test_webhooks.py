"""Webhooks: signed JSON POSTed to a real loopback HTTP server, retried while it fails."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from vulndesk.server.accounts.models import Organisation
from vulndesk.server.audit.models import AuditEvent
from vulndesk.server.findings.models import Finding, FindingStatus
from vulndesk.server.inventory.models import Release
from vulndesk.server.jobs.models import Job, JobKind
from vulndesk.server.notifications import services
from vulndesk.server.notifications.models import Delivery, DeliveryStatus
from vulndesk.server.notifications.services import (
    notifications_deliver,
    notifications_enqueue,
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_endpoint_update,
)
from vulndesk.server.notifications.tasks import deliver_pending

SECRET = "a-shared-secret"


def _endpoint(portfolio, receiver, **options):
    return webhook_endpoint_create(
        organisation=portfolio.organisation,
        name="SOC",
        url=receiver.url,
        secret=SECRET,
        acting_user=None,
        **options,
    )


def test_new_findings_are_posted_signed(portfolio, webhook_receiver) -> None:
    _endpoint(portfolio, webhook_receiver)
    critical = portfolio.finding("CVE-2024-0001", "critical")
    low = portfolio.finding("CVE-2024-0002", "low", component="idna", version="2.7")
    resolved = portfolio.finding("CVE-2024-0003", status=FindingStatus.RESOLVED)

    run = notifications_deliver()

    assert (run.findings, run.created, run.sent) == (3, 1, 1)
    (request,) = webhook_receiver.received
    assert request.path == "/hooks/vulndesk"
    headers = {k.lower(): v for k, v in request.headers.items()}
    assert headers["x-vulndesk-event"] == "findings.new"
    assert headers["content-type"] == "application/json"
    # the receiver's check, written out independently of vulndesk's code
    expected = hmac.new(
        SECRET.encode(), headers["x-vulndesk-timestamp"].encode() + b"." + request.body,
        hashlib.sha256,
    ).hexdigest()  # fmt: skip
    assert hmac.compare_digest(headers["x-vulndesk-signature"], f"sha256={expected}")
    assert abs(int(headers["x-vulndesk-timestamp"]) - timezone.now().timestamp()) < 60

    body = request.json()
    assert body["event"] == "findings.new"
    assert body["product"] == {"id": portfolio.product.pk, "name": "Shop", "organisation": "Acme"}
    assert body["release"] == {"id": portfolio.release.pk, "version": "1.0"}
    assert body["delivery"] == int(headers["x-vulndesk-delivery"])
    # most severe first; the resolved finding is not announced
    assert [f["vulnerability_id"] for f in body["findings"]] == ["CVE-2024-0001", "CVE-2024-0002"]
    first = body["findings"][0]
    assert first["severity"] == "critical"
    assert first["component"] == {
        "name": "requests",
        "version": "2.19.0",
        "purl": "pkg:pypi/requests@2.19.0",
    }
    assert first["fixed_versions"] == ["2.20.0"]
    assert first["first_seen"] == critical.first_seen.isoformat()
    assert body["findings"][1]["id"] == low.pk

    # every finding left the outbox, the resolved one too
    assert not Finding.objects.filter(notified_at__isnull=True).exists()
    resolved.refresh_from_db()
    assert resolved.notified_at is not None
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.http_status, delivery.attempts) == ("sent", 200, 1)
    # nothing left to retry: no later run queued
    assert run.next_retry_at is None
    assert not DBTaskResult.objects.exists()


def test_a_second_run_sends_nothing_again(portfolio, webhook_receiver) -> None:
    _endpoint(portfolio, webhook_receiver)
    portfolio.finding("CVE-2024-0001")
    notifications_deliver()
    run = notifications_deliver()
    assert (run.findings, run.sent) == (0, 0)
    assert len(webhook_receiver.received) == 1


def test_minimum_severity_and_other_organisations(portfolio, webhook_receiver) -> None:
    _endpoint(portfolio, webhook_receiver, min_severity="high")
    other = Organisation.objects.create(name="Other", slug="other")
    webhook_endpoint_create(
        organisation=other, name="theirs", url=webhook_receiver.url + "/other", acting_user=None
    )
    portfolio.finding("CVE-2024-0001", "critical")
    portfolio.finding("CVE-2024-0002", "medium", component="idna")
    portfolio.finding("CVE-2024-0003", "unknown", component="six")

    notifications_deliver()

    (request,) = webhook_receiver.received  # the other organisation's endpoint hears nothing
    assert request.path == "/hooks/vulndesk"
    assert [f["vulnerability_id"] for f in request.json()["findings"]] == ["CVE-2024-0001"]


def test_only_lower_findings_send_nothing(portfolio, webhook_receiver) -> None:
    _endpoint(portfolio, webhook_receiver, min_severity="critical")
    portfolio.finding("CVE-2024-0002", "medium")
    run = notifications_deliver()
    assert (run.findings, run.created) == (1, 0)
    assert webhook_receiver.received == []


def test_a_failing_endpoint_is_retried_with_backoff(portfolio, webhook_receiver) -> None:
    _endpoint(portfolio, webhook_receiver)
    portfolio.finding("CVE-2024-0001")
    webhook_receiver.statuses = [500]
    now = timezone.now()

    run = notifications_deliver(now=now)

    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.http_status) == ("pending", 1, 500)
    assert delivery.error.startswith("HTTP 500")
    assert delivery.next_attempt_at == now + timedelta(minutes=1)
    assert (run.sent, run.retrying) == (0, 1)
    # the retry is a later deliver task, shown as a notification job
    task = DBTaskResult.objects.get(task_path=deliver_pending.module_path, status="READY")
    assert task.run_after == delivery.next_attempt_at
    assert Job.objects.get(task_id=task.id).kind == JobKind.NOTIFICATION

    # not due yet: nothing is sent
    notifications_deliver(now=now + timedelta(seconds=30))
    assert len(webhook_receiver.received) == 1

    run = notifications_deliver(now=now + timedelta(minutes=2))
    assert run.sent == 1
    first, second = webhook_receiver.received
    assert first.body == second.body  # the same delivery, for receivers that deduplicate
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.http_status) == ("sent", 2, 200)
    assert delivery.error == ""


def test_an_endpoint_that_keeps_failing_is_given_up(portfolio, webhook_receiver) -> None:
    _endpoint(portfolio, webhook_receiver)
    portfolio.finding("CVE-2024-0001")
    webhook_receiver.statuses = [503] * services.MAX_ATTEMPTS
    now = timezone.now()
    for _ in range(services.MAX_ATTEMPTS):
        notifications_deliver(now=now)
        now += services.BACKOFF_MAX
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("failed", services.MAX_ATTEMPTS)
    assert delivery.next_attempt_at is None
    run = notifications_deliver(now=now + services.BACKOFF_MAX)
    assert run.next_retry_at is None
    assert len(webhook_receiver.received) == services.MAX_ATTEMPTS


def test_an_unreachable_endpoint_records_the_error(portfolio, webhook_receiver) -> None:
    endpoint = _endpoint(portfolio, webhook_receiver)
    webhook_endpoint_update(endpoint=endpoint, url="http://127.0.0.1:9/", acting_user=None)
    portfolio.finding("CVE-2024-0001")
    notifications_deliver()
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.http_status is None
    assert "ConnectError" in delivery.error


def test_a_large_outbox_goes_out_in_batches(portfolio, webhook_receiver) -> None:
    _endpoint(portfolio, webhook_receiver)
    for n in range(services.BATCH + 1):
        portfolio.finding(f"CVE-2024-{n:05d}", component=f"pkg{n}")
    run = notifications_deliver()
    assert run.findings == services.BATCH + 1
    sizes = sorted(len(r.json()["findings"]) for r in webhook_receiver.received)
    assert sizes == [1, services.BATCH]
    assert not Finding.objects.filter(notified_at__isnull=True).exists()


def test_enqueue_queues_one_task(db: None) -> None:
    job = notifications_enqueue()
    assert job is not None and job.kind == JobKind.NOTIFICATION
    assert notifications_enqueue() is None
    assert DBTaskResult.objects.filter(task_path=deliver_pending.module_path).count() == 1


def test_endpoint_changes_are_audited(portfolio, webhook_receiver) -> None:
    endpoint = webhook_endpoint_create(
        organisation=portfolio.organisation, name="SOC", url=webhook_receiver.url, acting_user=None
    )
    assert len(endpoint.secret) >= 32  # made up when none is given
    webhook_endpoint_update(endpoint=endpoint, active=False, secret="new-secret", acting_user=None)
    webhook_endpoint_delete(endpoint=endpoint, acting_user=None)
    events = list(AuditEvent.objects.order_by("id").values_list("action", "data"))
    assert [a for a, _ in events] == ["webhook.create", "webhook.update", "webhook.delete"]
    assert "new-secret" not in str(events) and endpoint.secret not in str(events)
    assert events[1][1]["changes"] == {"active": False, "secret": "(changed)"}


def test_settled_deliveries_are_pruned_after_the_kept_time(portfolio, webhook_receiver) -> None:
    _endpoint(portfolio, webhook_receiver)
    portfolio.finding("CVE-2024-0001")
    other = Release.objects.create(product=portfolio.product, version="2.0")
    portfolio.finding("CVE-2024-0002", release=other)
    webhook_receiver.statuses = [200, 503]  # the first goes out, the second keeps waiting
    notifications_deliver()
    sent = Delivery.objects.get(status=DeliveryStatus.SENT)
    pending = Delivery.objects.get(status=DeliveryStatus.PENDING)
    later = timezone.now() + services.DELIVERY_KEPT + timedelta(days=1)
    webhook_receiver.statuses = [503] * services.MAX_ATTEMPTS  # still failing: stays pending
    run = notifications_deliver(now=later)
    assert run.pruned == 1
    assert not Delivery.objects.filter(pk=sent.pk).exists()
    assert Delivery.objects.filter(pk=pending.pk).exists()  # never while it may still go out
    assert AuditEvent.objects.filter(action="notifications.prune", data__deleted=1).exists()
    assert notifications_deliver(now=later).pruned == 0
