"""The disclosure workflow through the services: report states, accepting into a case,
invitations, the embargo rules, vfdpxa, vendor statements, and an audit row for every change."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from server.disclosure.disclosure_world import CaseWorld, World, actor, submit
from vulndesk.core.errors import InputError
from vulndesk.server.audit.models import AuditEvent
from vulndesk.server.disclosure import embargo, reports, services
from vulndesk.server.disclosure.checks import TransitionRefused
from vulndesk.server.disclosure.models import EMBARGO_TRANSITIONS, RM_TRANSITIONS, Case, RmState
from vulndesk.server.disclosure.selectors import (
    CaseNotFound,
    case_messages,
    message_seen_by,
    report_for_reporter,
    secret_digest,
    vendor_statuses,
)
from vulndesk.server.disclosure.tasks import exit_expired_embargoes

pytestmark = pytest.mark.django_db

TOMORROW = date.today() + timedelta(days=2)


# -- transition tables ----------------------------------------------------------------------------


def test_the_rm_table_names_only_known_states_and_closed_is_final() -> None:
    for state, nexts in RM_TRANSITIONS.items():
        assert state in RmState.values and nexts <= set(RmState.values)
        assert state not in nexts
    assert RM_TRANSITIONS["closed"] == frozenset()
    # nothing is accepted without being validated first
    assert "accepted" not in RM_TRANSITIONS["received"]


def test_the_embargo_table_keeps_one_embargo_per_case() -> None:
    assert EMBARGO_TRANSITIONS["exited"] == frozenset()
    assert EMBARGO_TRANSITIONS["active"] == {"revised", "exited"}
    assert "none" not in EMBARGO_TRANSITIONS["active"]  # an agreed embargo is exited, not undone


@pytest.mark.parametrize(
    ("path", "refused"),
    [
        (["invalid", "valid", "deferred", "closed"], None),
        (["valid", "invalid"], "invalid"),
        (["closed"], "closed"),
        (["invalid", "closed", "valid"], "valid"),
    ],
    ids=["allowed path", "valid cannot become invalid", "received cannot close", "closed is final"],
)
def test_report_transitions_follow_the_table(
    world: World, path: list[str], refused: str | None
) -> None:
    report, _ = submit(world)
    for state in path:
        if state == refused:
            with pytest.raises(TransitionRefused, match="may become"):
                reports.report_transition(report=report, state=state, acting_user=world.cora)
            return
        report = reports.report_transition(report=report, state=state, acting_user=world.cora)
    assert report.state == path[-1]
    assert AuditEvent.objects.filter(action="report.transition").count() == len(path)


def test_accepting_needs_a_valid_report_and_opens_a_case(world: World) -> None:
    report, _ = submit(world)
    with pytest.raises(TransitionRefused):
        services.report_accept(report=report, acting_user=world.cora)
    reports.report_transition(report=report, state="valid", acting_user=world.cora)
    case = services.report_accept(report=report, acting_user=world.cora)
    report.refresh_from_db()
    assert (report.state, report.case_id) == ("accepted", case.pk)
    assert case.identifier == f"VDC-{timezone.now().year}-0001"
    roles = {p.role: p for p in case.participants.all()}
    assert roles["coordinator"].user == world.cora
    assert roles["reporter"].user is None and roles["reporter"].report_id == report.pk
    assert roles["reporter"].rm_state == "accepted"
    second = services.case_create(
        organisation=world.organisation, title="t", acting_user=world.cora
    )
    assert second.identifier.endswith("-0002")
    with pytest.raises(InputError, match="already in case"):
        services.report_accept(report=report, acting_user=world.cora)


def test_the_report_secret_is_stored_only_as_a_digest(world: World) -> None:
    report, secret = submit(world)
    assert report.tracking_id.startswith("VDR-") and len(report.tracking_id) == 14
    assert secret not in report.secret_digest and report.secret_digest == secret_digest(secret)
    assert report_for_reporter(tracking_id=report.tracking_id, secret=secret) == report
    assert report_for_reporter(tracking_id=report.tracking_id, secret=secret + "x") is None
    assert report_for_reporter(tracking_id=report.tracking_id, secret="") is None


def test_the_reporter_and_the_organisation_write_in_the_report_thread(world: World) -> None:
    report, secret = submit(world)
    reports.report_message_post(report=report, body="Any news?", reporter_secret=secret)
    reports.report_message_post(report=report, body="Confirmed.", acting_user=world.cora)
    assert [(m.from_reporter, m.author) for m in report.messages.all()] == [
        (True, None),
        (False, world.cora),
    ]
    with pytest.raises(CaseNotFound, match="no such report"):
        reports.report_message_post(report=report, body="x", reporter_secret="wrong")
    with pytest.raises(CaseNotFound, match="no such report"):
        reports.report_message_post(report=report, body="x", acting_user=world.oscar)


# -- invitations and participants -----------------------------------------------------------------


def test_an_invitation_works_once(case_world: CaseWorld) -> None:
    w = case_world
    participant, secret = services.participant_invite(
        actor=w.coordinator, email="psirt@cobalt.example", role="vendor", organisation_name="Co"
    )
    assert participant.invitation_digest == secret_digest(secret)
    assert participant.user is None and participant.notified_at is not None
    joined = services.invitation_accept(secret=secret, user=w.world.oscar)
    assert joined.user == w.world.oscar and joined.rm_state == "received"
    assert joined.vendor_aware_at is not None and joined.invitation_digest == ""
    with pytest.raises(InputError, match="not valid"):
        services.invitation_accept(secret=secret, user=w.world.paula)


def test_only_coordinators_invite_and_a_case_keeps_a_coordinator(case_world: CaseWorld) -> None:
    w = case_world
    with pytest.raises(PermissionDenied):
        services.participant_invite(actor=w.acme, email="x@example.org", role="vendor")
    with pytest.raises(InputError, match="needs a coordinator"):
        services.participant_update(actor=w.coordinator, participant=w.coordinator, role="observer")
    services.participant_update(actor=w.acme, participant=w.acme, rm_state="valid")
    with pytest.raises(TransitionRefused):
        services.participant_update(actor=w.acme, participant=w.acme, rm_state="closed")
    with pytest.raises(PermissionDenied):
        services.participant_update(actor=w.acme, participant=w.bolt, rm_state="valid")


# -- embargo --------------------------------------------------------------------------------------


def test_an_embargo_ends_at_noon_utc_of_the_chosen_day(case_world: CaseWorld) -> None:
    case = embargo.embargo_propose(actor=case_world.acme, end=TOMORROW)
    assert case.embargo_state == "proposed"
    assert case.embargo_end_at == datetime(
        TOMORROW.year, TOMORROW.month, TOMORROW.day, 12, tzinfo=UTC
    )
    with pytest.raises(PermissionDenied):
        embargo.embargo_accept(actor=case_world.acme)
    case = embargo.embargo_accept(actor=case_world.coordinator)
    assert case.embargo_state == "active"


def test_a_revision_proposal_leaves_the_active_embargo_in_force(case_world: CaseWorld) -> None:
    w = case_world
    embargo.embargo_propose(actor=w.coordinator, end=TOMORROW)
    agreed = embargo.embargo_accept(actor=w.coordinator).embargo_end_at
    later = TOMORROW + timedelta(days=30)
    case = embargo.embargo_propose(actor=w.acme, end=later)
    assert case.embargo_state == "revised"
    assert case.embargo_end_at == agreed  # still the agreed end
    assert case.proposed_end_at is not None and case.proposed_end_at.date() == later
    case = embargo.embargo_reject(actor=w.coordinator)
    assert (case.embargo_state, case.embargo_end_at, case.proposed_end_at) == (
        "active",
        agreed,
        None,
    )
    embargo.embargo_propose(actor=w.acme, end=later)
    case = embargo.embargo_accept(actor=w.coordinator)
    assert case.embargo_state == "active" and case.embargo_end_at.date() == later


def test_attacks_observed_exit_the_embargo(case_world: CaseWorld) -> None:
    w = case_world
    embargo.embargo_propose(actor=w.coordinator, end=TOMORROW)
    embargo.embargo_accept(actor=w.coordinator)
    case = embargo.case_flag_set(actor=w.bolt, flag="attacks_observed")
    assert case.embargo_state == "exited"
    assert case.embargo_exit_reason == "attacks observed during the embargo"
    assert case.vfdpxa.endswith("A")
    event = AuditEvent.objects.filter(action="case.embargo").first()
    assert event is not None and (event.data["from"], event.data["to"]) == ("active", "exited")
    with pytest.raises(InputError, match="already attacks_observed"):
        embargo.embargo_propose(actor=w.coordinator, end=TOMORROW)


def test_public_awareness_drops_a_pending_proposal(case_world: CaseWorld) -> None:
    w = case_world
    embargo.embargo_propose(actor=w.acme, end=TOMORROW)
    case = embargo.case_flag_set(actor=w.coordinator, flag="public_aware")
    assert (case.embargo_state, case.embargo_end_at) == ("none", None)


def test_an_embargo_in_the_past_or_after_exit_is_refused(case_world: CaseWorld) -> None:
    w = case_world
    with pytest.raises(InputError, match="not in the future"):
        embargo.embargo_propose(actor=w.coordinator, end=date.today() - timedelta(days=1))
    embargo.embargo_propose(actor=w.coordinator, end=TOMORROW)
    embargo.embargo_accept(actor=w.coordinator)
    embargo.embargo_exit(actor=w.coordinator, reason="published early")
    with pytest.raises(TransitionRefused, match="has ended"):
        embargo.embargo_propose(actor=w.coordinator, end=TOMORROW)
    with pytest.raises(PermissionDenied):
        embargo.embargo_propose(actor=w.observer, end=TOMORROW)


def test_expired_embargoes_are_exited_by_the_worker(case_world: CaseWorld) -> None:
    w = case_world
    embargo.embargo_propose(actor=w.coordinator, end=TOMORROW)
    case = embargo.embargo_accept(actor=w.coordinator)
    assert case.embargo_in_force
    assert exit_expired_embargoes.call() == {"exited": 0}
    assert embargo.embargoes_exit_expired(now=timezone.now() + timedelta(days=3)) == 1
    case = Case.objects.get(pk=w.case.pk)
    assert (case.embargo_state, case.embargo_exit_reason) == ("exited", "ended")
    assert not case.embargo_in_force
    assert AuditEvent.objects.filter(action="case.embargo", actor_label="worker").exists()


# -- vfdpxa ---------------------------------------------------------------------------------------


def test_vfdpxa_needs_every_vendor(case_world: CaseWorld) -> None:
    w = case_world
    case = Case.objects.get(pk=w.case.pk)
    assert case.vfdpxa == "Vfdpxa"  # both vendors became aware when they accepted
    services.participant_flag_set(actor=w.acme, participant=w.acme, flag="fix_ready")
    assert Case.objects.get(pk=w.case.pk).vfdpxa == "Vfdpxa"  # Bolt has no fix yet
    services.participant_flag_set(actor=w.coordinator, participant=w.bolt, flag="fix_ready")
    services.participant_flag_set(actor=w.acme, participant=w.acme, flag="fix_deployed")
    embargo.case_flag_set(actor=w.coordinator, flag="exploit_public")
    case = Case.objects.get(pk=w.case.pk)
    assert case.vfdpxa == "VFdpXa"
    w.acme.refresh_from_db()
    assert w.acme.vfd == "VFD"
    with pytest.raises(PermissionDenied):
        services.participant_flag_set(actor=w.acme, participant=w.bolt, flag="fix_deployed")
    services.participant_invite(actor=w.coordinator, email="late@example.org", role="vendor")
    assert Case.objects.get(pk=w.case.pk).vfdpxa == "vfdpXa"  # a pending vendor is unaware


def test_vendor_flags_come_in_order(case_world: CaseWorld) -> None:
    w = case_world
    pending, _ = services.participant_invite(
        actor=w.coordinator, email="new@example.org", role="vendor"
    )
    with pytest.raises(InputError, match="needs vendor_aware first"):
        services.participant_flag_set(actor=w.coordinator, participant=pending, flag="fix_ready")


def test_a_case_without_vendors_has_lower_case_vfd(world: World) -> None:
    case = services.case_create(organisation=world.organisation, title="t", acting_user=world.cora)
    assert case.vfdpxa == "vfdpxa"


# -- messages, seen -------------------------------------------------------------------------------


def test_messages_are_unseen_until_the_case_is_marked_seen(case_world: CaseWorld) -> None:
    w = case_world
    services.case_mark_seen(actor=w.bolt)
    first = services.case_message_post(actor=w.acme, body="We reproduced it.")
    reply = services.case_message_post(actor=w.coordinator, body="Thanks.", parent=first)
    assert [v.unseen for v in case_messages(actor(w.case, w.world.vince))] == [True, True]
    assert [v.unseen for v in case_messages(actor(w.case, w.world.vera))] == [False, True]
    services.case_mark_seen(actor=actor(w.case, w.world.vince))
    assert [v.unseen for v in case_messages(actor(w.case, w.world.vince))] == [False, False]
    assert w.bolt.pk in {p.pk for p in message_seen_by(w.coordinator, reply)}
    assert reply.parent == first
    with pytest.raises(PermissionDenied):
        services.case_message_post(actor=w.observer, body="I only read")


# -- vendor statements ----------------------------------------------------------------------------


def test_a_vendor_statement_is_shared_once_approved(case_world: CaseWorld) -> None:
    w = case_world
    vulnerability = services.case_vulnerability_add(actor=w.coordinator, title="SQLi")
    status = services.vendor_status_set(
        actor=w.acme, vulnerability=vulnerability, status="affected", statement="1.x"
    )
    assert list(vendor_statuses(w.bolt)) == []
    assert list(vendor_statuses(w.observer)) == []
    assert list(vendor_statuses(w.acme)) == [status]
    assert list(vendor_statuses(w.coordinator)) == [status]
    with pytest.raises(PermissionDenied):
        services.vendor_status_approve(actor=w.acme, status=status)
    services.vendor_status_approve(actor=w.coordinator, status=status)
    assert list(vendor_statuses(w.bolt)) == [status]
    # the vendor edits its statement: the approval goes, and others no longer see it
    edited = services.vendor_status_set(
        actor=w.acme, vulnerability=vulnerability, status="fixed", statement="fixed in 2.0"
    )
    assert edited.approved_at is None
    assert list(vendor_statuses(w.bolt)) == []
    with pytest.raises(PermissionDenied):
        services.vendor_status_set(
            actor=w.bolt, vulnerability=vulnerability, status="affected", vendor=w.acme
        )


def test_vulnerability_fields_are_checked(case_world: CaseWorld) -> None:
    w = case_world
    add = services.case_vulnerability_add
    with pytest.raises(InputError, match="not a CVE id"):
        add(actor=w.coordinator, title="x", cve_id="CVE-26-1")
    with pytest.raises(InputError, match="not a CWE id"):
        add(actor=w.coordinator, title="x", cwe="79")
    with pytest.raises(InputError, match="CVSS vector"):
        add(actor=w.coordinator, title="x", cvss_vector="CVSS:3.1/AV:X")
    with pytest.raises(InputError, match="cannot be read"):
        add(actor=w.coordinator, title="x", affected_range="vers:pypi/>=1|<<2")
    with pytest.raises(PermissionDenied):
        add(actor=w.acme, title="x")
    vulnerability = add(
        actor=w.coordinator,
        title="x",
        cve_id="cve-1900-0001",
        cwe="cwe-89",
        cvss_vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        component_purl="pkg:pypi/requests@2.28.1",
        affected_range="vers:pypi/>=2.3.0|<2.31.0",
    )
    assert (vulnerability.cve_id, vulnerability.cwe) == ("CVE-1900-0001", "CWE-89")
    assert vulnerability.component_purl == "pkg:pypi/requests"


def test_a_closed_case_is_read_only(case_world: CaseWorld) -> None:
    w = case_world
    embargo.embargo_propose(actor=w.coordinator, end=TOMORROW)
    embargo.embargo_accept(actor=w.coordinator)
    case = services.case_close(actor=w.coordinator)
    assert case.closed_at is not None and case.embargo_state == "exited"
    closed = actor(w.case, w.world.vera)
    with pytest.raises(InputError, match="is closed"):
        services.case_message_post(actor=closed, body="late")


# -- the audit trail ------------------------------------------------------------------------------


def test_every_state_change_wrote_an_audit_row(case_world: CaseWorld) -> None:
    w = case_world
    before = AuditEvent.objects.count()
    changes = [
        lambda: services.case_message_post(actor=w.acme, body="hello"),
        lambda: services.case_mark_seen(actor=w.bolt),
        lambda: embargo.embargo_propose(actor=w.coordinator, end=TOMORROW),
        lambda: embargo.embargo_accept(actor=w.coordinator),
        lambda: services.participant_flag_set(actor=w.acme, participant=w.acme, flag="fix_ready"),
        lambda: services.case_vulnerability_add(actor=w.coordinator, title="SQLi"),
        lambda: services.participant_update(actor=w.bolt, participant=w.bolt, rm_state="valid"),
        lambda: services.participant_invite(actor=w.coordinator, email="a@b.org", role="observer"),
        lambda: embargo.case_flag_set(actor=w.reporter, flag="public_aware"),  # + the exit
        lambda: services.case_close(actor=w.coordinator),
    ]
    for index, change in enumerate(changes, 1):
        change()
        expected = before + index + (1 if index >= 9 else 0)
        assert AuditEvent.objects.count() == expected, index
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"case.create", "report.accept", "participant.accept", "case.public_aware"} <= actions
    # audit rows keep no case content
    assert not AuditEvent.objects.filter(data__icontains="hello").exists()
