"""Case notices by e-mail (a real SMTP server on loopback) and webhooks (a loopback receiver):
invitations with their one-time link, new messages, embargo changes, approved statements, the
reporter's status; reminders with a controlled clock, each sent once; and no content of an
embargoed case in any notice."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from email.header import decode_header, make_header
from email.message import Message
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from server.disclosure.disclosure_world import CaseWorld, make_user
from server.notifications.conftest import Mailbox, WebhookReceiver
from vulndesk.server.disclosure import embargo, reports, services
from vulndesk.server.disclosure.models import CaseNotice, NoticeKind, Participant
from vulndesk.server.disclosure.notify import invitation_send, notices_deliver
from vulndesk.server.disclosure.reminders import reminders_send
from vulndesk.server.disclosure.tasks import disclosure_run, disclosure_schedule
from vulndesk.server.notifications.services import webhook_endpoint_create, webhook_signature

pytestmark = pytest.mark.django_db

HOOK_SECRET = "hook-secret-for-tests"
SECRETS = (
    "TOP-SECRET-TITLE",
    "TOP-SECRET-DESCRIPTION",
    "TOP-SECRET-BODY",
    "TOP-SECRET-STATEMENT",
    "TOP-SECRET-CASE",
    "SQL injection",  # the report's title
    "unescaped",  # the report's description
)


def subject(message: Message) -> str:
    return str(make_header(decode_header(message["Subject"])))


def text(message: Message) -> str:
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode(message.get_content_charset() or "utf-8")


def hook(w: CaseWorld, receiver: WebhookReceiver) -> None:
    webhook_endpoint_create(
        organisation=w.world.organisation,
        name="soc",
        url=receiver.url,
        secret=HOOK_SECRET,
        acting_user=w.world.cora,
    )


def later(**delta: float) -> datetime:
    return timezone.now() + timedelta(**delta)


def test_an_invitation_carries_its_link_once_the_change_commits(
    case_world: CaseWorld,
    mailbox: Mailbox,
    webhook_receiver: WebhookReceiver,
    django_capture_on_commit_callbacks: Any,
) -> None:
    w = case_world
    hook(w, webhook_receiver)
    with django_capture_on_commit_callbacks(execute=True):
        participant, secret = services.participant_invite(
            actor=w.coordinator, email="psirt@cargo.example", role="vendor", organisation_name="C"
        )
    (message,) = mailbox.to("psirt@cargo.example")
    body = text(message)
    # the links are the web interface's own pages
    assert reverse("web:invitation-accept", args=[secret]) in body
    assert w.case.identifier in subject(message) and w.case.identifier in body
    notice = CaseNotice.objects.get(kind=NoticeKind.INVITATION, participant=participant)
    assert notice.status == "sent" and secret not in notice.body
    participant.refresh_from_db()
    assert participant.notified_at == notice.sent_at
    # the link works: the secret in the e-mail is the one the service returned
    link = re.search(r"/invitations/(\S+)/", body)
    assert link is not None
    joined = services.invitation_accept(secret=link.group(1), user=make_user("carl"))
    assert joined.pk == participant.pk
    # the organisation's webhook hears that someone was invited, without the secret
    notices_deliver(now=later(seconds=1))
    (received,) = [r for r in webhook_receiver.received if r.json()["event"].endswith("invitation")]
    assert secret not in received.body.decode()
    assert received.json()["participant"] == {"id": participant.pk, "role": "vendor"}


def test_an_invitation_without_smtp_fails_at_once(case_world: CaseWorld, settings: Any) -> None:
    settings.EMAIL_ENABLED = False
    w = case_world
    participant, secret = services.participant_invite(
        actor=w.coordinator, email="x@cargo.example", role="vendor"
    )
    notice = CaseNotice.objects.get(kind=NoticeKind.INVITATION, participant=participant)
    assert invitation_send(notice.pk, secret) is False
    notice.refresh_from_db()
    assert notice.status == "failed" and "VULNDESK_SMTP_URL" in notice.error


def test_case_events_reach_the_others_without_any_content(
    case_world: CaseWorld, mailbox: Mailbox, webhook_receiver: WebhookReceiver
) -> None:
    w = case_world
    hook(w, webhook_receiver)
    case = w.case
    case.title = "TOP-SECRET-CASE"
    case.save()
    vulnerability = services.case_vulnerability_add(
        actor=w.coordinator, title="TOP-SECRET-TITLE", description="TOP-SECRET-DESCRIPTION"
    )
    embargo.embargo_propose(actor=w.acme, end=later(days=20))
    embargo.embargo_accept(actor=w.coordinator)
    services.case_message_post(actor=w.acme, body="TOP-SECRET-BODY")
    status = services.vendor_status_set(
        actor=w.acme,
        vulnerability=vulnerability,
        status="affected",
        statement="TOP-SECRET-STATEMENT",
    )
    services.vendor_status_approve(actor=w.coordinator, status=status)
    mailbox.messages.clear()
    run = notices_deliver(now=later(seconds=1))
    assert run.failed == 0 and run.retrying == 0

    # the message: everyone but its author (vera), the reporter included
    news = [m for _, m in mailbox.messages if "New message" in subject(m)]
    recipients = sorted(rcpt for rcpts, m in mailbox.messages if m in news for rcpt in rcpts)
    assert recipients == sorted(
        ["cora@example.org", "vince@example.org", "olga@example.org", "finder@example.net"]
    )
    for message in news:
        assert f"a new message in case {case.identifier}" in text(message).replace("There", "there")
    reporter_mail = mailbox.to("finder@example.net")[0]
    assert "status page" in text(reporter_mail)
    assert reverse("web:case-detail", args=[case.pk]) in text(mailbox.to("cora@example.org")[0])
    # the embargo: proposed and accepted, to everyone
    embargo_mail = [subject(m) for m in mailbox.to("vera@example.org") if "Embargo" in subject(m)]
    assert embargo_mail == [
        f"[vulndesk] Embargo of case {case.identifier}: proposed",
        f"[vulndesk] Embargo of case {case.identifier}: active",
    ]
    # the approval: everyone but the approver
    approved = [rcpts for rcpts, m in mailbox.messages if "approved" in subject(m)]
    assert ["cora@example.org"] not in approved and len(approved) == 4

    events = [r.json()["event"] for r in webhook_receiver.received]
    assert events.count("disclosure.embargo") == 2
    assert {"disclosure.message", "disclosure.status_approved"} <= set(events)
    for received in webhook_receiver.received:
        timestamp = received.headers["X-Vulndesk-Timestamp"]
        assert received.headers["X-Vulndesk-Signature"] == webhook_signature(
            secret=HOOK_SECRET, timestamp=timestamp, body=received.body
        )
        assert received.json()["case"] == {"id": case.pk, "identifier": case.identifier}

    # nothing of the content, anywhere
    outgoing = [subject(m) + text(m) for _, m in mailbox.messages]
    outgoing += [r.body.decode() for r in webhook_receiver.received]
    outgoing += [n.subject + n.body + str(n.payload) for n in CaseNotice.objects.all()]
    for sent in outgoing:
        for secret in SECRETS:
            assert secret not in sent
    # every participant who was told has notified_at
    for participant in Participant.objects.filter(case=case, user__isnull=False):
        assert participant.notified_at is not None
    # a second run sends nothing again
    mailbox.messages.clear()
    assert notices_deliver(now=later(seconds=2)).sent == 0
    assert mailbox.messages == []


def test_the_reporter_hears_of_their_reports_state_in_their_language(
    world: Any, mailbox: Mailbox
) -> None:
    report, _ = reports.report_submit(
        organisation=world.organisation,
        title="SQL injection",
        description="The q parameter is unescaped.",
        reporter_email="finder@example.net",
        language="ja",
    )
    reports.report_transition(report=report, state="valid", acting_user=world.cora)
    silent, _ = reports.report_submit(
        organisation=world.organisation, title="x", description="unescaped anonymous"
    )
    reports.report_transition(report=silent, state="invalid", acting_user=world.cora)
    notices_deliver(now=later(seconds=1))
    (message,) = mailbox.to("finder@example.net")
    assert [rcpts for rcpts, _ in mailbox.messages] == [["finder@example.net"]]
    body = text(message)
    assert (
        report.tracking_id in body
        and reverse("web:report-status", args=[report.tracking_id]) in body
    )
    for secret in SECRETS:
        assert secret not in body + subject(message)


def test_a_failing_webhook_is_retried(
    case_world: CaseWorld, webhook_receiver: WebhookReceiver, settings: Any
) -> None:
    settings.EMAIL_ENABLED = False  # e-mail notices wait; only the webhook goes out
    w = case_world
    hook(w, webhook_receiver)
    webhook_receiver.statuses = [500]
    services.case_message_post(actor=w.acme, body="TOP-SECRET-BODY")
    first = notices_deliver(now=later(seconds=1))
    assert (first.sent, first.retrying) == (0, 1)
    assert notices_deliver(now=later(seconds=30)).sent == 0  # not due yet
    assert notices_deliver(now=later(minutes=2)).sent == 1
    assert len(webhook_receiver.received) == 2
    assert webhook_receiver.received[0].body == webhook_receiver.received[1].body


def test_embargo_reminder_goes_out_once_per_end(case_world: CaseWorld, mailbox: Mailbox) -> None:
    w = case_world
    end = later(hours=30)
    embargo.embargo_propose(actor=w.coordinator, end=end)
    embargo.embargo_accept(actor=w.coordinator)
    notices_deliver(now=later(seconds=1))
    mailbox.messages.clear()

    assert reminders_send(now=later(hours=1)).embargo_ending == 0  # 29 h left
    run = reminders_send(now=later(hours=7))  # 23 h left
    assert run.embargo_ending == 5  # cora, vera, vince, olga and the reporter
    assert reminders_send(now=later(hours=8)).embargo_ending == 0  # once
    notices_deliver(now=later(hours=7, seconds=1))
    reminded = sorted(r for rcpts, m in mailbox.messages for r in rcpts)
    assert reminded == sorted(
        ["cora@example.org", "vera@example.org", "vince@example.org", "olga@example.org",
         "finder@example.net"]
    )  # fmt: skip
    assert "ends" in subject(mailbox.to("vera@example.org")[0])
    # a revised end is a new event, reminded again in its turn
    embargo.embargo_propose(actor=w.coordinator, end=end + timedelta(days=2))
    embargo.embargo_accept(actor=w.coordinator)
    assert reminders_send(now=later(hours=8)).embargo_ending == 0
    assert reminders_send(now=later(hours=55)).embargo_ending == 5
    # a shorter lead time, as configured
    assert reminders_send(now=later(hours=55), embargo_hours=1).embargo_ending == 0


def test_silent_vendors_are_reminded_once(
    case_world: CaseWorld, mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = case_world
    invited, _ = services.participant_invite(
        actor=w.coordinator, email="psirt@cargo.example", role="vendor"
    )
    services.participant_invite(actor=w.coordinator, email="watch@cargo.example", role="observer")
    w.bolt.seen_at = timezone.now()
    w.bolt.save()
    run = reminders_send(now=later(days=2))
    assert (run.vendor_pending, run.vendor_unseen) == (0, 0)
    run = reminders_send(now=later(days=3, minutes=1))
    assert (run.vendor_pending, run.vendor_unseen) == (1, 1)  # the new vendor; Acme never looked
    run = reminders_send(now=later(days=4))
    assert (run.vendor_pending, run.vendor_unseen) == (0, 0)
    notices_deliver(now=later(days=3, minutes=2))
    assert "Reminder: invitation" in subject(mailbox.to("psirt@cargo.example")[0])
    assert "not opened" in text(mailbox.to("vera@example.org")[0])
    assert mailbox.to("watch@cargo.example") == [] and mailbox.to("vince@example.org") == []
    # the wait comes from the environment
    other, _ = services.participant_invite(
        actor=w.coordinator, email="late@cargo.example", role="vendor"
    )
    monkeypatch.setenv("VULNDESK_VENDOR_REMINDER_DAYS", "10")
    assert reminders_send(now=later(days=5)).vendor_pending == 0
    assert reminders_send(now=later(days=10, minutes=1)).vendor_pending == 1
    assert other.pk != invited.pk


def test_the_periodic_run_exits_embargoes_and_tells_everyone(
    case_world: CaseWorld, mailbox: Mailbox
) -> None:
    w = case_world
    embargo.embargo_propose(actor=w.coordinator, end=later(hours=2))
    embargo.embargo_accept(actor=w.coordinator)
    notices_deliver(now=later(seconds=1))
    mailbox.messages.clear()
    done = disclosure_run(now=later(hours=3))
    assert done["exited"] == 1
    w.case.refresh_from_db()
    assert w.case.embargo_state == "exited"
    exited = [m for m in mailbox.to("vince@example.org") if "exited" in subject(m)]
    assert len(exited) == 1


def test_the_worker_queues_the_periodic_work_once(case_world: CaseWorld) -> None:
    from django_tasks_db.models import DBTaskResult

    assert disclosure_schedule() is True  # vendors who never opened the case
    assert disclosure_schedule() is False  # one is waiting already
    assert DBTaskResult.objects.filter(task_path__endswith="disclosure_periodic").count() == 1


def test_nothing_to_do_queues_nothing(db: None) -> None:
    assert disclosure_schedule() is False


def test_the_worker_beat_schedules_the_disclosure_work(case_world: CaseWorld) -> None:
    from django_tasks_db.models import DBTaskResult

    from vulndesk.server.jobs.worker import VulndeskWorker

    worker = VulndeskWorker(once=True)
    worker.schedule_disclosure()
    worker.schedule_disclosure()  # within SCHEDULE_DISCLOSURE_EVERY: nothing more
    assert DBTaskResult.objects.filter(task_path__endswith="disclosure_periodic").count() == 1


def test_a_pending_invitee_and_a_removed_participant_hear_nothing_of_the_case(
    case_world: CaseWorld, mailbox: Mailbox
) -> None:
    w = case_world
    services.participant_invite(actor=w.coordinator, email="psirt@cargo.example", role="vendor")
    services.participant_remove(actor=w.coordinator, participant=w.observer)
    services.case_message_post(actor=w.acme, body="TOP-SECRET-BODY")
    embargo.embargo_propose(actor=w.coordinator, end=later(days=9))
    notices_deliver(now=later(seconds=1))
    assert mailbox.to("psirt@cargo.example") == [] and mailbox.to("olga@example.org") == []
    assert mailbox.to("vince@example.org") != []
