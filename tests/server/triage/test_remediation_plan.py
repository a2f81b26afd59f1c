"""The remediation plan of a release analysed against stored OSV records, and the status
workflow: allowed and refused transitions, audit rows, permissions."""

from __future__ import annotations

import orjson
import pytest
from django.core.exceptions import PermissionDenied

from server.triage.remediation_world import World, build
from support import shared_data
from vulndesk.core.errors import InputError
from vulndesk.server.advisories.services import feeds_import
from vulndesk.server.audit.models import AuditEvent
from vulndesk.server.findings.models import Finding
from vulndesk.server.inventory.models import Component
from vulndesk.server.inventory.services import (
    product_create,
    release_create,
    sbom_analyse,
    sbom_upload,
)
from vulndesk.server.triage.models import RemediationItem
from vulndesk.server.triage.remediation import (
    TransitionRefused,
    remediation_item,
    remediation_plan,
    remediation_transition,
)
from vulndesk.server.triage.remediation_export import ticket_title

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    return build()


def test_each_vulnerable_component_gets_the_smallest_upgrade_that_clears_all_its_findings(
    world: World,
) -> None:
    plan = remediation_plan(release=world.release)

    by_name = {item.name: item for item in plan.items}
    jinja2 = by_name["jinja2"]
    assert jinja2.target == "2.11.3"  # 2.10.1 fixes PYSEC-2099-101 only
    assert not jinja2.crosses_major
    # two findings: CVE-2099-0102 is one vulnerability with two records
    assert [f.vulnerability_id for f in jinja2.findings] == ["CVE-2099-0101", "CVE-2099-0102"]
    assert [f.advisory_ids for f in jinja2.findings] == [
        ("PYSEC-2099-101",),
        ("GHSA-2099-0102", "PYSEC-2099-102"),
    ]
    assert jinja2.upgrade is not None
    assert jinja2.upgrade.clears == ("GHSA-2099-0102", "PYSEC-2099-101", "PYSEC-2099-102")
    assert jinja2.upgrade.remaining == ()
    assert jinja2.cleared == 2
    assert all(f.cleared for f in jinja2.findings)
    assert jinja2.direct

    urllib3 = by_name["urllib3"]
    assert urllib3.target == "2.2.2"  # 1.26.17 leaves PYSEC-2099-202
    assert urllib3.crosses_major
    assert urllib3.upgrade is not None and urllib3.upgrade.ecosystem == "PyPI"
    assert not urllib3.direct  # requests pulls it in

    requests = by_name["requests"]
    assert requests.target is None
    assert requests.upgrade is not None
    assert requests.reason == "no fixed version is known for PYSEC-2099-301"
    assert requests.cleared == 0

    firmware = by_name["router-firmware"]
    assert firmware.upgrade is None and firmware.target is None
    assert firmware.reason.startswith("no package URL")


def test_findings_not_to_fix_are_left_out(world: World) -> None:
    names = [item.name for item in remediation_plan(release=world.release).items]
    assert "pyyaml" not in names  # VEX: not affected
    assert "certifi" not in names  # no finding
    Finding.objects.filter(component_name="requests").update(status="resolved")
    Finding.objects.filter(vulnerability_id="CVE-2099-0101").update(analysis_state="fixed")
    plan = remediation_plan(release=world.release)
    assert [item.name for item in plan.items] == ["urllib3", "jinja2", "router-firmware"]
    jinja2 = plan.items[1]
    assert [f.vulnerability_id for f in jinja2.findings] == ["CVE-2099-0102"]
    # an analysis of "affected" keeps the finding in
    Finding.objects.filter(component_name="pyyaml").update(analysis_state="affected")
    assert "pyyaml" in [i.name for i in remediation_plan(release=world.release).items]


def test_items_come_most_urgent_first_with_the_earliest_due_date(world: World) -> None:
    plan = remediation_plan(release=world.release)
    # priority (immediate, scheduled, none), then severity (high before low)
    assert [item.name for item in plan.items] == [
        "urllib3", "jinja2", "router-firmware", "requests",
    ]  # fmt: skip
    urllib3, jinja2, firmware, _ = plan.items
    assert urllib3.priority == "immediate" and urllib3.severity == "critical"
    assert jinja2.priority == "scheduled" and jinja2.severity == "high"
    assert jinja2.due_at is not None and jinja2.overdue  # due 3 days ago
    assert urllib3.due_at is not None and not urllib3.overdue
    assert firmware.due_at is None and not firmware.overdue
    assert plan.overdue == 1
    assert plan.vulnerabilities == 6
    assert plan.counts == {
        "open": 4, "in_progress": 0, "fixed": 0, "accepted_risk": 0, "not_affected": 0,
    }  # fmt: skip
    # with the same priority, the earlier due date comes first
    Finding.objects.filter(component_name="jinja2").update(priority="immediate", priority_rank=4)
    Finding.objects.filter(component_name="jinja2").update(severity="critical", severity_rank=5)
    assert [i.name for i in remediation_plan(release=world.release).items][:2] == [
        "jinja2", "urllib3",
    ]  # fmt: skip


def test_the_workflow_moves_along_the_transition_table(world: World) -> None:
    jinja2 = world.components["jinja2"]
    assert not RemediationItem.objects.exists()  # open without a row

    item = remediation_transition(
        release=world.release,
        component=jinja2,
        status="in_progress",
        note="  PR #12 bumps it  ",
        acting_user=world.edith,
    )
    assert item.pk is not None
    assert (item.status, item.note, item.target_version) == (
        "in_progress",
        "PR #12 bumps it",
        "2.11.3",
    )
    assert item.updated_by == world.edith

    remediation_transition(
        release=world.release, component=jinja2, status="fixed", acting_user=world.edith
    )
    planned = remediation_item(release=world.release, component=jinja2)
    assert planned.status == "fixed"
    assert planned.note == "PR #12 bumps it"  # kept when no note is given
    assert planned.allowed_next == ["open"]
    assert not planned.overdue  # settled: never overdue, though due 3 days ago
    assert planned.updated_by == "edith"

    with pytest.raises(TransitionRefused) as refused:
        remediation_transition(
            release=world.release, component=jinja2, status="in_progress", acting_user=world.edith
        )
    assert str(refused.value) == (
        "jinja2 2.10 in shop 1.8.0 is 'fixed' and cannot become 'in_progress': "
        "from 'fixed' it may become 'open'"
    )
    remediation_transition(
        release=world.release, component=jinja2, status="open", note="", acting_user=world.alice
    )
    assert RemediationItem.objects.get().status == "open"
    assert RemediationItem.objects.get().note == ""
    assert RemediationItem.objects.count() == 1


@pytest.mark.parametrize(
    ("path", "refused"),
    [
        (["fixed"], "in_progress"),
        (["accepted_risk"], "fixed"),
        (["not_affected"], "accepted_risk"),
        (["in_progress", "fixed"], "not_affected"),
    ],
)
def test_a_settled_item_can_only_be_reopened(world: World, path: list[str], refused: str) -> None:
    component = world.components["urllib3"]
    for status in path:
        remediation_transition(
            release=world.release, component=component, status=status, acting_user=world.edith
        )
    with pytest.raises(TransitionRefused, match=r"it may become 'open'$"):
        remediation_transition(
            release=world.release, component=component, status=refused, acting_user=world.edith
        )
    assert RemediationItem.objects.get().status == path[-1]


def test_open_may_go_anywhere_and_the_message_lists_what_is_allowed(world: World) -> None:
    component = world.components["requests"]
    remediation_transition(
        release=world.release, component=component, status="in_progress", acting_user=None,
        actor_label="cli",
    )  # fmt: skip
    remediation_transition(
        release=world.release, component=component, status="open", acting_user=None
    )
    with pytest.raises(InputError, match="unknown remediation status 'done'"):
        remediation_transition(
            release=world.release, component=component, status="done", acting_user=None
        )
    item = remediation_item(release=world.release, component=component)
    assert item.allowed_next == ["in_progress", "fixed", "accepted_risk", "not_affected"]


def test_every_change_writes_an_audit_row(world: World) -> None:
    component = world.components["urllib3"]
    before = AuditEvent.objects.count()
    item = remediation_transition(
        release=world.release, component=component, status="accepted_risk",
        note="proxy never used", acting_user=world.edith,
    )  # fmt: skip
    event = AuditEvent.objects.order_by("-id").first()
    assert event is not None
    assert (event.action, event.object_type, event.object_id) == (
        "remediation.transition", "remediation", str(item.pk),
    )  # fmt: skip
    assert event.actor == world.edith
    assert event.data == {
        "product": "shop",
        "release": "1.8.0",
        "release_id": world.release.pk,
        "component_id": component.pk,
        "component": "urllib3",
        "version": "1.26.5",
        "purl": "pkg:pypi/urllib3@1.26.5",
        "from": "open",
        "to": "accepted_risk",
        "target_version": "2.2.2",
        "note": "proxy never used",
    }
    # the same status with another note: a note change, audited as such
    remediation_transition(
        release=world.release, component=component, status="accepted_risk",
        note="proxy removed in 1.9", acting_user=None, actor_label="cli",
    )  # fmt: skip
    event = AuditEvent.objects.order_by("-id").first()
    assert event is not None
    assert (event.action, event.actor, event.actor_label) == ("remediation.note", None, "cli")
    assert event.data["from"] == event.data["to"] == "accepted_risk"
    # nothing changes: nothing written
    remediation_transition(
        release=world.release, component=component, status=None, note="proxy removed in 1.9",
        acting_user=world.edith,
    )  # fmt: skip
    assert AuditEvent.objects.count() == before + 2


def test_a_refused_change_writes_nothing(world: World) -> None:
    component = world.components["urllib3"]
    remediation_transition(
        release=world.release, component=component, status="fixed", acting_user=world.edith
    )
    before = AuditEvent.objects.count()
    with pytest.raises(TransitionRefused):
        remediation_transition(
            release=world.release, component=component, status="accepted_risk", note="x",
            acting_user=world.edith,
        )  # fmt: skip
    with pytest.raises(PermissionDenied):
        remediation_transition(
            release=world.release, component=component, status="open", acting_user=world.victor
        )
    assert AuditEvent.objects.count() == before
    assert RemediationItem.objects.get().note == ""


def test_changing_a_status_needs_the_editor_role(world: World) -> None:
    component = world.components["jinja2"]
    for user in (world.victor, world.oscar):
        with pytest.raises(PermissionDenied, match="editor role on shop"):
            remediation_transition(
                release=world.release, component=component, status="fixed", acting_user=user
            )
    assert not RemediationItem.objects.exists()
    assert not remediation_plan(release=world.release, user=world.victor).can_change
    assert remediation_plan(release=world.release, user=world.edith).can_change
    assert remediation_plan(release=world.release, user=world.alice).can_change


def test_a_component_of_another_release_is_refused(world: World) -> None:
    other = release_create(product=world.product, version="2.0", acting_user=world.alice)
    with pytest.raises(InputError, match="is not a component of release"):
        remediation_transition(
            release=other, component=world.components["jinja2"], status="fixed",
            acting_user=world.alice,
        )  # fmt: skip


def test_the_status_is_per_release(world: World) -> None:
    """A new release with the same SBOM has its own items: its components are other rows."""
    remediation_transition(
        release=world.release, component=world.components["jinja2"], status="fixed",
        acting_user=world.alice,
    )  # fmt: skip
    other = release_create(product=world.product, version="1.9.0", acting_user=world.alice)
    sbom = world.release.sboms.get()
    document = sbom_upload(
        release=other, file_name="shop.json", content=bytes(sbom.content), acting_user=None
    )
    sbom_analyse(sbom_id=document.pk)
    statuses = {i.name: i.status for i in remediation_plan(release=other).items}
    assert statuses["jinja2"] == "open"
    assert Component.objects.filter(name="jinja2").count() == 2


@pytest.mark.shared
def test_real_pypi_records_give_one_upgrade_per_component() -> None:
    """The PyPI bulk export (PYSEC records): jinja2 2.7 is affected by five records and 2.11.3
    is the smallest version fixed for all of them; Django 3.2.0 by 25, all fixed in 3.2.25."""
    feeds_import(paths=[shared_data("osv/PyPI/all.zip")], actor_label="test")
    product = product_create(name="shop", acting_user=None)
    release = release_create(product=product, version="1.2", acting_user=None)
    components = [
        {"type": "library", "bom-ref": purl, "name": purl[9:].split("@")[0],
         "version": purl.split("@")[1], "purl": purl}
        for purl in ("pkg:pypi/jinja2@2.7", "pkg:pypi/django@3.2.0")
    ]  # fmt: skip
    sbom = {"bomFormat": "CycloneDX", "specVersion": "1.5", "components": components}
    document = sbom_upload(
        release=release, file_name="shop.json", content=orjson.dumps(sbom), acting_user=None
    )
    sbom_analyse(sbom_id=document.pk)

    plan = remediation_plan(release=release)
    by_name = {item.name: item for item in plan.items}
    jinja2 = by_name["jinja2"]
    assert jinja2.target == "2.11.3"
    assert not jinja2.crosses_major
    assert jinja2.upgrade is not None
    assert jinja2.upgrade.clears == (
        "PYSEC-2014-8", "PYSEC-2014-82", "PYSEC-2019-217", "PYSEC-2019-220", "PYSEC-2021-66",
    )  # fmt: skip
    assert jinja2.cleared == len(jinja2.findings) == 5
    assert ticket_title(plan, jinja2) == (
        "Upgrade jinja2 2.7 -> 2.11.3 in shop 1.2 (clears 5 vulnerabilities)"
    )
    django = by_name["django"]
    assert django.target == "3.2.25"
    assert django.upgrade is not None and len(django.upgrade.clears) == 25
    assert django.cleared == len(django.findings)
