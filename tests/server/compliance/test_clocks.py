"""CRA events and their clocks, with a controlled clock: exploitation evidence that lands on a
release of a product placed on the EU market opens an event with the due times of
``core.regulation.clocks``; a product that is not, or a proof of concept, opens none; the
final report's clock starts with a fix; reminders go out once; dismissal keeps the row."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from server.compliance.compliance_world import (
    KEV,
    NONE,
    POC,
    T0,
    World,
    kev_file,
    make_finding,
    world,
)
from server.notifications.conftest import Mailbox, WebhookReceiver
from vulndesk.core.errors import InputError
from vulndesk.core.regulation.clocks import one_month_after
from vulndesk.server.advisories.services import kev_import
from vulndesk.server.audit.models import AuditEvent
from vulndesk.server.compliance.detection import (
    cra_events_detect,
    exploitation_assert,
)
from vulndesk.server.compliance.documents import report_document
from vulndesk.server.compliance.models import (
    ComplianceNotice,
    CraEvent,
    NoticeKind,
    RegulatoryReport,
)
from vulndesk.server.compliance.nis2 import nis2_record_assess, nis2_record_create
from vulndesk.server.compliance.reminders import compliance_run
from vulndesk.server.compliance.selectors import cra_events_list, reports_of
from vulndesk.server.compliance.services import (
    TransitionRefused,
    cra_event_confirm,
    cra_event_dismiss,
    cra_event_measure_set,
    cra_event_reopen,
    report_edit,
    report_submit,
)
from vulndesk.server.findings.models import Finding
from vulndesk.server.notifications.services import webhook_endpoint_create
from vulndesk.server.triage.models import RemediationItem
from vulndesk.server.triage.prioritisation import priorities_refresh
from vulndesk.server.triage.remediation import remediation_transition

pytestmark = pytest.mark.django_db
__all__ = ["world"]


def dues(event: CraEvent) -> dict[str, object]:
    return {r.kind: r.due_at for r in reports_of(event)}


def refresh() -> None:
    priorities_refresh(Finding.objects.all())


def test_a_kev_import_on_an_eu_market_release_opens_a_cra_event(
    world: World, tmp_path: Path
) -> None:
    refresh()  # the PoC is "public poc": nothing opens
    assert not CraEvent.objects.exists()
    before = timezone.now()
    kev_import(path=kev_file(tmp_path, KEV), actor_label="test")
    after = timezone.now()
    event = CraEvent.objects.get()  # the router's; the lab is not on the EU market
    assert (event.product, event.vulnerability_id) == (world.router, KEV)
    assert (event.regime, event.trigger, event.state) == ("cra_vulnerability", "kev", "open")
    assert event.evidence_source == "CISA KEV"
    assert before <= event.aware_at <= after
    assert dues(event) == {
        "early_warning": event.aware_at + timedelta(hours=24),
        "notification": event.aware_at + timedelta(hours=72),
        "final": None,  # waits for a corrective measure
    }
    assert list(event.releases.all()) == [world.r1]
    opened = AuditEvent.objects.get(action="compliance.cra_event.open")
    assert opened.data["aware_at"] == event.aware_at.isoformat()
    # the draft is pre-filled from the finding, product and stored records
    early = reports_of(event)[0]
    assert early.content["product_name"] == "router"
    assert early.content["affected_versions"] == ["1.0"]
    assert early.content["cve_ids"] == [KEV]
    assert early.content["cwe_ids"] == ["CWE-78"]
    assert early.content["severity"] == "high"
    # a second import of the same catalog opens nothing more, and aware_at never moves
    kev_import(path=kev_file(tmp_path, KEV, NONE), actor_label="test")
    assert CraEvent.objects.filter(vulnerability_id=KEV).get().aware_at == event.aware_at
    assert set(CraEvent.objects.values_list("vulnerability_id", flat=True)) == {KEV, NONE}


def test_detection_with_a_controlled_clock(world: World) -> None:
    Finding.objects.filter(pk=world.findings[POC].pk).update(exploitation="public poc")
    Finding.objects.filter(pk=world.findings[KEV].pk).update(exploitation="active")
    Finding.objects.filter(pk=world.lab_kev.pk).update(exploitation="active")
    # the stored evidence does not say active (no KEV import yet); the row does
    (event,) = cra_events_detect(Finding.objects.all(), now=T0)
    assert event.product == world.router and event.aware_at == T0
    assert dues(event) == {
        "early_warning": T0 + timedelta(hours=24),
        "notification": T0 + timedelta(hours=72),
        "final": None,
    }
    assert cra_events_detect(Finding.objects.all(), now=T0 + timedelta(days=1)) == []


def test_a_proof_of_concept_or_a_product_off_the_eu_market_opens_nothing(
    world: World, tmp_path: Path
) -> None:
    refresh()
    assert Finding.objects.get(pk=world.findings[POC].pk).exploitation == "public poc"
    kev_import(path=kev_file(tmp_path, KEV), actor_label="test")
    assert not CraEvent.objects.filter(product=world.lab).exists()
    assert not CraEvent.objects.filter(vulnerability_id=POC).exists()


def test_detection_is_one_query_for_many_findings(world: World, tmp_path: Path) -> None:
    for n in range(60):
        make_finding(world.r2, KEV if n % 2 else POC)
    kev_import(path=kev_file(tmp_path, KEV), actor_label="test")
    event = CraEvent.objects.get()  # one per (product, vulnerability), whatever the findings
    assert set(event.releases.values_list("version", flat=True)) == {"1.0", "2.0"}
    with CaptureQueriesContext(connection) as queries:
        assert cra_events_detect(Finding.objects.all()) == []
    assert len(queries) == 1
    sql = queries[0]["sql"]
    assert "eu_market" in sql
    # the refresh pays that one query on top of its own statements
    refresh()
    with CaptureQueriesContext(connection) as queries:
        refresh()
    assert len(queries) < 20


def test_recording_a_fix_version_starts_the_final_clock(world: World) -> None:
    Finding.objects.filter(pk=world.findings[KEV].pk).update(exploitation="active")
    (event,) = cra_events_detect(now=T0)
    fixed = T0 + timedelta(days=3)
    cra_event_measure_set(
        event=event, fix_version="2.0.1", available_at=fixed, acting_user=world.edith
    )
    assert dues(event)["final"] == fixed + timedelta(days=14)
    assert dues(event)["early_warning"] == T0 + timedelta(hours=24)  # unchanged
    audit = AuditEvent.objects.get(action="compliance.cra_event.measure")
    assert audit.data["final_due"] == (fixed + timedelta(days=14)).isoformat()


def test_a_remediation_marked_fixed_starts_the_final_clock(world: World) -> None:
    finding = world.findings[KEV]
    Finding.objects.filter(pk=finding.pk).update(exploitation="active")
    (event,) = cra_events_detect(now=T0)
    before = timezone.now()
    item = remediation_transition(
        release=world.r1, component=finding.component, status="fixed", acting_user=world.edith
    )
    assert RemediationItem.objects.get(pk=item.pk).status == "fixed"
    event.refresh_from_db()
    assert event.measure_available_at is not None and event.measure_available_at >= before
    assert event.measure_fix_version.startswith(finding.component_name)
    assert dues(event)["final"] == event.measure_available_at + timedelta(days=14)


def test_reminders_fire_once_at_the_right_times(
    world: World, mailbox: Mailbox, webhook_receiver: WebhookReceiver
) -> None:
    webhook_endpoint_create(
        organisation=world.router.organisation,
        name="siem",
        url=webhook_receiver.url,
        secret="s" * 32,
        acting_user=world.root,
    )
    Finding.objects.filter(pk=world.findings[KEV].pk).update(exploitation="active")
    (event,) = cra_events_detect(now=T0)
    assert compliance_run(now=T0 + timedelta(hours=17)).reminders == 0  # 7 h left
    run = compliance_run(now=T0 + timedelta(hours=18))  # 6 h before the early warning
    assert (run.reminders, run.overdue) == (2, 0)  # alice (owner team) and the webhook
    assert run.sent == 2
    (message,) = mailbox.to("alice@example.org")
    assert "Due soon" in message["Subject"] and KEV in message["Subject"]
    assert "2026-09-15 09:00" in message.get_payload()
    assert compliance_run(now=T0 + timedelta(hours=19)).reminders == 0  # once
    run = compliance_run(now=T0 + timedelta(hours=24))  # due: escalation, admins too
    assert (run.reminders, run.overdue) == (0, 3)  # alice, root and the webhook
    assert len(mailbox.to("root@example.org")) == 1
    assert compliance_run(now=T0 + timedelta(hours=30)).overdue == 0  # once
    run = compliance_run(now=T0 + timedelta(hours=66))  # the notification, 6 h before
    assert run.reminders == 2
    kinds = [(n.report.kind, n.kind) for n in ComplianceNotice.objects.order_by("id")]
    assert kinds.count(("early_warning", NoticeKind.REMINDER)) == 2
    assert kinds.count(("early_warning", NoticeKind.OVERDUE)) == 3
    hooks = [r.json() for r in webhook_receiver.received]
    assert [h["event"] for h in hooks] == [
        "compliance.reminder", "compliance.overdue", "compliance.reminder",
    ]  # fmt: skip
    assert hooks[0]["cra_event"]["vulnerability_id"] == KEV
    assert hooks[0]["report"]["kind"] == "early_warning"
    assert hooks[0]["product"] == {"id": world.router.pk, "name": "router"}
    # a submitted report and a dismissed event get nothing more
    report_submit(
        report=reports_of(event)[1], reference="SRP-1", acting_user=world.edith,
        submitted_at=T0 + timedelta(hours=70),
    )  # fmt: skip
    assert compliance_run(now=T0 + timedelta(hours=73)).overdue == 0
    cra_event_dismiss(event=event, reason="not our code path", acting_user=world.edith)
    event.refresh_from_db()
    cra_event_measure_set(
        event=event, fix_version="2.0.1", available_at=T0, acting_user=world.edith
    )
    assert compliance_run(now=T0 + timedelta(days=20)).overdue == 0


def test_dismissal_keeps_the_event_with_its_reason_and_audit(world: World) -> None:
    Finding.objects.filter(pk=world.findings[KEV].pk).update(exploitation="active")
    (event,) = cra_events_detect(now=T0)
    with pytest.raises(InputError, match="needs a reason"):
        cra_event_dismiss(event=event, reason="  ", acting_user=world.edith)
    cra_event_dismiss(event=event, reason="the vulnerable function is not built in",
                      acting_user=world.edith)  # fmt: skip
    row = CraEvent.objects.get(pk=event.pk)
    assert (row.state, row.state_reason) == ("dismissed", "the vulnerable function is not built in")
    assert RegulatoryReport.objects.filter(event=row).count() == 3
    audit = AuditEvent.objects.get(action="compliance.cra_event.dismiss")
    assert audit.data["reason"] == "the vulnerable function is not built in"
    assert audit.actor == world.edith
    # detection never re-opens it; a person does, audited, with the same clocks
    assert cra_events_detect(now=T0 + timedelta(days=2)) == []
    with pytest.raises(TransitionRefused):
        cra_event_confirm(event=row, acting_user=world.edith)
    cra_event_reopen(event=row, reason="exploited after all", acting_user=world.edith)
    assert AuditEvent.objects.filter(action="compliance.cra_event.reopen").count() == 1
    row.refresh_from_db()
    assert row.state == "open" and row.aware_at == T0
    cra_event_confirm(event=row, acting_user=world.edith)
    assert CraEvent.objects.get(pk=row.pk).state == "confirmed"
    assert [e.pk for e in cra_events_list(user=world.victor, overdue=False, now=T0)] == [row.pk]
    assert [
        e.pk for e in cra_events_list(user=world.victor, overdue=True, now=T0 + timedelta(days=2))
    ] == [row.pk]
    assert list(cra_events_list(user=world.oscar)) == []


def test_a_person_asserts_exploitation_with_evidence(world: World) -> None:
    refresh()
    finding = world.findings[NONE]
    with pytest.raises(InputError, match="evidence"):
        exploitation_assert(finding=finding, evidence=" ", acting_user=world.edith)
    event = exploitation_assert(
        finding=finding,
        evidence="our honeypot saw the exploit on 2026-09-13",
        reference="INC-42",
        acting_user=world.edith,
        now=T0,
    )
    assert event is not None
    assert (event.trigger, event.aware_at, event.evidence_reference) == ("assertion", T0, "INC-42")
    assert "honeypot" in event.evidence_text
    assert Finding.objects.get(pk=finding.pk).exploitation == "active"
    assert CraEvent.objects.filter(vulnerability_id=NONE).count() == 1
    # off the EU market: the override only
    assert (
        exploitation_assert(finding=world.lab_kev, evidence="seen", acting_user=world.alice) is None
    )


def test_drafts_are_edited_with_checks_and_exported_as_json(world: World) -> None:
    Finding.objects.filter(pk=world.findings[KEV].pk).update(exploitation="active")
    (event,) = cra_events_detect(now=T0)
    early = reports_of(event)[0]
    with pytest.raises(InputError, match="unknown field"):
        report_edit(report=early, content={"colour": "red"}, acting_user=world.edith)
    with pytest.raises(InputError, match="EU member state"):
        report_edit(report=early, content={"member_states": ["XX"]}, acting_user=world.edith)
    with pytest.raises(InputError, match="must be text"):
        report_edit(report=early, content={"description": 3}, acting_user=world.edith)
    report_edit(
        report=early,
        content={"member_states": ["de", "FR", "DE"], "description": " RCE in the web UI "},
        acting_user=world.edith,
    )
    early.refresh_from_db()
    assert early.content["member_states"] == ["DE", "FR"]
    assert early.content["description"] == "RCE in the web UI"
    document = report_document(early, now=T0)
    assert document["format"] == "vulndesk-regulatory-report/1"
    assert (document["regime"], document["kind"], document["state"]) == (
        "cra_vulnerability", "early_warning", "due",
    )  # fmt: skip
    assert document["due_at"] == (T0 + timedelta(hours=24)).isoformat()
    assert document["aware_at"] == T0.isoformat()
    assert document["product"]["name"] == "router"
    assert document["manufacturer"]["name"] == world.router.organisation.name
    assert document["content"]["member_states"] == ["DE", "FR"]
    assert document["submission"] is None
    assert report_document(early, now=T0 + timedelta(hours=25))["state"] == "overdue"
    report_submit(report=early, reference="SRP-2026-0001", acting_user=world.edith)
    early.refresh_from_db()
    assert report_document(early)["submission"]["reference"] == "SRP-2026-0001"
    with pytest.raises(InputError, match="submitted"):
        report_edit(report=early, content={"notes": "x"}, acting_user=world.edith)


def test_a_nis2_incident_has_its_clocks(world: World) -> None:
    record = nis2_record_create(
        organisation=world.router.organisation,
        entity_type="essential",
        sector="energy",
        title="Ransomware in the control centre",
        product=world.router,
        aware_at=T0,
        assessment={"impact_availability": "low"},
        acting_user=world.edith,
    )
    assert not record.significant and RegulatoryReport.objects.filter(record=record).count() == 0
    record = nis2_record_assess(
        record=record, assessment={"impact_availability": "high"}, acting_user=world.edith
    )
    assert record.significant and "availability" in record.assessment_reason
    early, notification, final = reports_of(record)
    assert early.due_at == T0 + timedelta(hours=24)
    assert notification.due_at == T0 + timedelta(hours=72)
    assert final.due_at == one_month_after(T0 + timedelta(hours=72))  # until it is submitted
    sent = T0 + timedelta(hours=50)
    report_submit(
        report=notification, reference="CSIRT-7", submitted_at=sent, acting_user=world.edith
    )
    final.refresh_from_db()
    assert final.due_at == one_month_after(sent)  # one month after the notification
    assert early.content["sector"] == "energy"
    # a cross-border incident with some impact is significant; nothing at all is not
    other = nis2_record_create(
        organisation=world.router.organisation, kind="vulnerability", entity_type="important",
        sector="digital infrastructure", title="Exposed admin API", aware_at=T0,
        assessment={"impact_confidentiality": "low", "cross_border": True},
        acting_user=world.root,
    )  # fmt: skip
    assert other.significant and RegulatoryReport.objects.filter(record=other).count() == 0


def test_under_an_embargo_a_notice_holds_ids_and_due_times_only(world: World) -> None:
    from vulndesk.server.disclosure.models import Case, CaseRelease

    case = Case.objects.create(
        organisation=world.router.organisation,
        identifier="VDC-2026-0001",
        title="secret",
        embargo_state="active",
        embargo_end_at=T0 + timedelta(days=30),
    )
    CaseRelease.objects.create(case=case, release=world.r1)
    Finding.objects.filter(pk=world.findings[KEV].pk).update(exploitation="active")
    (event,) = cra_events_detect(now=T0)
    assert compliance_run(now=T0 + timedelta(hours=18)).reminders == 1  # alice, by e-mail
    notice = ComplianceNotice.objects.get()
    assert "router" not in notice.body and "router" not in notice.subject
    assert KEV in notice.subject and "2026-09-15 09:00" in notice.body
    assert notice.payload["product"] == {"id": world.router.pk}
    assert notice.payload["cra_event"]["id"] == event.pk


@pytest.mark.parametrize(
    ("fmt", "kind", "detail", "trigger"),
    [
        ("euvd", "euvd", "", "euvd"),
        ("csaf", "csaf-threat", "Exploited in the wild since August.", "csaf_threat"),
        ("csaf", "csaf-threat", "A proof of concept is public.", None),  # a PoC: nothing
    ],
    ids=["euvd-exploited-flag", "csaf-threat-exploited", "csaf-threat-poc-only"],
)
def test_euvd_and_csaf_evidence_open_events_with_their_trigger(
    world: World, fmt: str, kind: str, detail: str, trigger: str | None
) -> None:
    from vulndesk.server.advisories.models import Advisory

    statement = {"kind": kind, "source": f"{fmt} record", "detail": detail}
    Advisory.objects.create(
        id=f"{fmt}:X-0003", record_id="X-0003", format=fmt, source="test", modified=T0,
        aliases=[NONE], group_key=NONE, raw="{}", imported_at=T0,
        match=json.dumps({"id": "X-0003", "exploitation": [statement]}),
    )  # fmt: skip
    refresh()
    events = list(CraEvent.objects.filter(vulnerability_id=NONE))
    if trigger is None:
        assert events == []
        assert Finding.objects.get(pk=world.findings[NONE].pk).exploitation == "public poc"
    else:
        (event,) = events
        assert event.trigger == trigger and event.product == world.router


def test_the_worker_queues_the_reminders_only_while_a_clock_runs(world: World) -> None:
    from vulndesk.server.compliance.selectors import cra_event_findings
    from vulndesk.server.compliance.tasks import compliance_schedule

    assert compliance_schedule() is False  # no report: nothing to queue
    Finding.objects.filter(pk=world.findings[KEV].pk).update(exploitation="active")
    (event,) = cra_events_detect(now=T0)
    assert [f.pk for f in cra_event_findings(event)] == [world.findings[KEV].pk]
    assert compliance_schedule() is True
    assert compliance_schedule() is False  # one waits already


def test_a_final_report_can_be_completed(world: World) -> None:
    """Every path the final report needs has a draft field: once filled, nothing is missing
    but what the draft cannot hold by design."""
    from vulndesk.core.regulation.reports import missing_fields
    from vulndesk.server.compliance.exports import report_content
    from vulndesk.server.compliance.models import RegulatoryReport

    Finding.objects.filter(pk=world.findings[KEV].pk).update(exploitation="active")
    (event,) = cra_events_detect(now=T0)
    cra_event_measure_set(
        event=event, fix_version="2.0.1", available_at=T0, acting_user=world.edith
    )
    final = RegulatoryReport.objects.get(event=event, kind="final")
    report_edit(
        report=final,
        content={
            "manufacturer": "Example Networks",
            "product_name": "router",
            "affected_versions": ["1.0"],
            "exploitation": "Listed in CISA KEV on 2026-11-20.",
            "description": "A command injection in the web interface.",
            "cvss_vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
            "corrective_measures": "Version 2.0.1 validates the input.",
            "mitigating_measures": "Update to 2.0.1; meanwhile block the admin port.",
            "member_states": ["DE", "FR"],
            "fix_version": "2.0.1",
            "root_cause": "The ping form passed its input to a shell.",
        },
        acting_user=world.edith,
    )
    final.refresh_from_db()
    assert missing_fields(report_content(final)) == []
