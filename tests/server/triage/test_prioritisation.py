"""SSVC priorities of stored findings: points from the stored evidence, outcomes from CERT/CC's
tables per product context, due dates from the SLA, VEX, overrides, and the call sites that
recompute them (KEV and EPSS imports, a product's context, matching)."""

from __future__ import annotations

import gzip
import json
import random
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from server.triage.prioritisation_world import (
    FIRST_SEEN,
    KEV,
    NONE,
    POC,
    POINTS,
    World,
    catalog,
    make_finding,
    reload,
    world,
)
from support import ROOT
from vulndesk.core.errors import InputError
from vulndesk.core.prioritization import assess
from vulndesk.server.accounts.services import organisation_default
from vulndesk.server.advisories.services import epss_import, feeds_import, kev_import
from vulndesk.server.audit.models import AuditEvent
from vulndesk.server.findings.models import Finding
from vulndesk.server.inventory.models import Product
from vulndesk.server.inventory.services import product_create, product_update, release_create
from vulndesk.server.triage.evidence import asset_context, group_evidence
from vulndesk.server.triage.models import SsvcOverride
from vulndesk.server.triage.overrides import (
    sla_policy_set,
    ssvc_override_clear,
    ssvc_override_set,
)
from vulndesk.server.triage.prioritisation import (
    PRIORITY_COLUMNS,
    priorities_refresh,
    priority_columns,
)

pytestmark = pytest.mark.django_db
__all__ = ["world"]  # the fixture, imported for pytest

CVE5 = ROOT / "tests/fixtures/feeds/cve5/cvelist/cves/2024/1xxx/CVE-2024-1234.json"


def refresh() -> int:
    return priorities_refresh(Finding.objects.all())


def priorities(world: World) -> dict[str, str]:
    return {cve: reload(f).priority for cve, f in world.findings.items()}


def test_points_come_from_kev_exploit_references_and_cvss_vectors(world: World) -> None:
    assert refresh() == 3
    for cve, finding in world.findings.items():
        row = reload(finding)
        assert (row.exploitation, row.automatable, row.technical_impact) == POINTS[cve], cve


# Deployer table rows (CERT/CC deployer 1.0.0) for human impact "low" (mission impact "MEF
# support crippled" x safety impact "negligible", the product defaults): KEV is (active,
# automatable), the exploit reference (public poc, not automatable), the third (none, no).
@pytest.mark.parametrize(
    ("exposure", "expected"),
    [
        ("small", {KEV: "scheduled", POC: "defer", NONE: "defer"}),
        ("controlled", {KEV: "out-of-cycle", POC: "defer", NONE: "defer"}),
        ("open", {KEV: "out-of-cycle", POC: "scheduled", NONE: "defer"}),
    ],
)
def test_deployer_priorities_by_exposure(
    world: World, exposure: str, expected: dict[str, str]
) -> None:
    Product.objects.filter(pk=world.plant.pk).update(exposure=exposure)
    refresh()
    assert priorities(world) == expected


def test_mission_failure_makes_an_exploited_open_system_immediate(world: World) -> None:
    # human impact very high (mission failure): active, open, automatable -> immediate; an
    # exploit reference on an open system -> out-of-cycle; nothing known -> scheduled
    Product.objects.filter(pk=world.plant.pk).update(
        exposure="open", mission_impact="mission_failure"
    )
    refresh()
    assert priorities(world) == {KEV: "immediate", POC: "out-of-cycle", NONE: "scheduled"}


def test_supplier_perspective_uses_the_supplier_table(world: World) -> None:
    # supplier 1.0.0, public safety impact minimal, utility efficient (automatable x diffuse)
    # or laborious: (active, efficient, total) -> out-of-cycle; (poc, laborious, partial) ->
    # scheduled; (none, laborious, partial) -> defer
    Product.objects.filter(pk=world.plant.pk).update(perspective="supplier")
    refresh()
    assert priorities(world) == {KEV: "out-of-cycle", POC: "scheduled", NONE: "defer"}


def test_the_bulk_path_agrees_with_assess_for_every_kind_of_context(world: World) -> None:
    rng = random.Random(7)
    org = organisation_default()
    choices = {
        "exposure": ["small", "controlled", "open"],
        "mission_impact": ["degraded", "mef_support_crippled", "mef_failure", "mission_failure"],
        "safety_impact": ["negligible", "marginal", "critical", "catastrophic"],
        "value_density": ["diffuse", "concentrated"],
        "perspective": ["deployer", "supplier"],
    }
    for n in range(24):
        product = product_create(name=f"p{n}", acting_user=world.root, organisation=org)
        Product.objects.filter(pk=product.pk).update(
            **{field: rng.choice(values) for field, values in choices.items()}
        )
        release = release_create(product=product, version="1", acting_user=world.root)
        for cve in (KEV, POC, NONE):
            make_finding(release, cve)
    refresh()
    evidence = group_evidence([KEV, POC, NONE])
    seen = set()
    for finding in Finding.objects.select_related("product"):
        expected = assess(evidence[finding.vulnerability_id], asset_context(finding.product))
        assert finding.priority == expected.outcome, (finding.vulnerability_id, finding.product)
        seen.add(expected.outcome)
    assert seen >= {"defer", "scheduled", "out-of-cycle", "immediate"}


def test_due_dates_follow_the_organisation_sla(world: World) -> None:
    refresh()  # controlled: KEV out-of-cycle (14 days by default), the others defer
    kev, poc = reload(world.findings[KEV]), reload(world.findings[POC])
    assert kev.due_at == FIRST_SEEN + timedelta(days=14)
    assert poc.priority == "defer" and poc.due_at is None
    sla_policy_set(
        organisation=world.plant.organisation, priority="out-of-cycle", days=5, acting_user=None
    )
    assert reload(world.findings[KEV]).due_at == FIRST_SEEN + timedelta(days=5)
    sla_policy_set(
        organisation=world.plant.organisation, priority="defer", days=365, acting_user=None
    )
    assert reload(world.findings[POC]).due_at == FIRST_SEEN + timedelta(days=365)
    sla_policy_set(
        organisation=world.plant.organisation, priority="out-of-cycle", days=None, acting_user=None
    )
    assert reload(world.findings[KEV]).due_at is None
    events = AuditEvent.objects.filter(action="sla_policy.set").order_by("id")
    assert [(e.data["priority"], e.data["days"], e.data["before"]) for e in events] == [
        ("out-of-cycle", 5, "default"),
        ("defer", 365, "default"),
        ("out-of-cycle", None, 5),
    ]
    with pytest.raises(InputError):
        sla_policy_set(organisation=world.plant.organisation, priority="asap", days=1,
                       acting_user=None)  # fmt: skip
    with pytest.raises(InputError):
        sla_policy_set(organisation=world.plant.organisation, priority="defer", days=-1,
                       acting_user=None)  # fmt: skip


def test_due_dates_are_to_the_second(world: World) -> None:
    finding = make_finding(world.release, KEV, first_seen=FIRST_SEEN.replace(microsecond=654321))
    refresh()
    assert reload(finding).due_at == FIRST_SEEN + timedelta(days=14)


def test_findings_stated_not_affected_or_fixed_get_no_priority(world: World) -> None:
    Finding.objects.filter(pk=world.findings[KEV].pk).update(analysis_state="not_affected")
    Finding.objects.filter(pk=world.findings[POC].pk).update(analysis_state="fixed")
    Finding.objects.filter(pk=world.findings[NONE].pk).update(analysis_state="affected")
    refresh()
    kev = reload(world.findings[KEV])
    assert (kev.priority, kev.priority_rank, kev.due_at) == ("", 0, None)
    assert kev.exploitation == "active"  # the vulnerability's points are still recorded
    assert reload(world.findings[POC]).priority == ""
    assert reload(world.findings[NONE]).priority == "defer"
    # the statement withdrawn: the priority comes back
    Finding.objects.filter(pk=world.findings[KEV].pk).update(analysis_state="")
    assert refresh() == 1
    assert reload(world.findings[KEV]).priority == "out-of-cycle"


def test_a_second_refresh_writes_nothing(world: World) -> None:
    assert refresh() == 3
    with CaptureQueriesContext(connection) as queries:
        assert refresh() == 0
    assert len(queries) < 20  # set-based: a handful of statements, not one per finding


def test_overrides_change_the_outcome_are_audited_and_superseded(world: World) -> None:
    refresh()
    none = world.findings[NONE]
    other = make_finding(world.release, NONE)  # a second component with the same vulnerability
    refresh()
    assert reload(none).priority == "defer"
    first = ssvc_override_set(
        product=world.plant, vulnerability_id=NONE, point="exploitation", value="Active",
        reason="exploited against us, per our SOC", acting_user=world.edith,
    )  # fmt: skip
    # active, controlled, not automatable, human impact low -> scheduled, for both findings
    for finding in (none, other):
        row = reload(finding)
        assert (row.priority, row.exploitation) == ("scheduled", "active")
        assert row.due_at == FIRST_SEEN + timedelta(days=90)
    second = ssvc_override_set(
        product=world.plant, vulnerability_id=NONE, point="automatable", value="yes",
        reason="a worm is spreading", acting_user=world.edith,
    )  # fmt: skip
    assert reload(none).priority == "out-of-cycle"  # active, controlled, automatable
    third = ssvc_override_set(
        product=world.plant, vulnerability_id=NONE, point="exploitation", value="public poc",
        reason="the SOC report was a test", acting_user=world.alice,
    )  # fmt: skip
    first.refresh_from_db()
    assert first.superseded_at is not None and third.superseded_at is None
    active = SsvcOverride.objects.filter(vulnerability_id=NONE, superseded_at__isnull=True)
    assert sorted(active.values_list("point", "value")) == [
        ("automatable", "yes"),
        ("exploitation", "public poc"),
    ]
    assert reload(none).priority == "scheduled"  # public poc, controlled, automatable
    events = AuditEvent.objects.filter(action="ssvc_override.set").order_by("id")
    assert [(e.object_id, e.actor_label) for e in events] == [
        (str(first.pk), "edith"), (str(second.pk), "edith"), (str(third.pk), "alice"),
    ]  # fmt: skip
    assert events[2].data["superseded"] == [{"id": first.pk, "value": "active"}]
    # a refresh of everything keeps the overridden outcome
    assert refresh() == 0
    assert reload(none).priority == "scheduled"
    # cleared: the automatic values apply again
    assert (
        ssvc_override_clear(product=world.plant, vulnerability_id=NONE, acting_user=world.edith)
        == 2
    )
    row = reload(none)
    assert (row.priority, row.exploitation, row.automatable) == ("defer", "none", "no")
    cleared = AuditEvent.objects.get(action="ssvc_override.clear")
    assert sorted(e["point"] for e in cleared.data["ended"]) == ["automatable", "exploitation"]
    assert not SsvcOverride.objects.filter(superseded_at__isnull=True).exists()


@pytest.mark.parametrize(
    ("point", "value", "reason", "message"),
    [
        ("priority", "immediate", "x", "cannot override"),
        ("exploitation", "very", "x", "not a value"),
        ("exploitation", "active", "  ", "needs a reason"),
    ],
)
def test_bad_overrides_are_refused(
    world: World, point: str, value: str, reason: str, message: str
) -> None:
    with pytest.raises(InputError, match=message):
        ssvc_override_set(
            product=world.plant, vulnerability_id=NONE, point=point, value=value,
            reason=reason, acting_user=world.edith,
        )  # fmt: skip
    assert not SsvcOverride.objects.exists()
    assert not AuditEvent.objects.filter(action="ssvc_override.set").exists()


def test_a_kev_import_raises_the_priority_of_the_groups_it_changes(world: World) -> None:
    Product.objects.filter(pk=world.plant.pk).update(exposure="open")
    refresh()
    assert reload(world.findings[NONE]).priority == "defer"
    kev_import(catalog=catalog(KEV, NONE), actor_label="test")
    row = reload(world.findings[NONE])
    # active, open, not automatable, human impact low -> scheduled
    assert (row.kev, row.exploitation, row.priority) == (True, "active", "scheduled")
    kev_import(catalog=catalog(KEV), actor_label="test")  # it left the catalog
    row = reload(world.findings[NONE])
    assert (row.kev, row.exploitation, row.priority) == (False, "none", "defer")


def test_an_epss_import_changes_no_point(world: World, tmp_path: Path) -> None:
    refresh()
    before = priorities(world)
    path = tmp_path / "epss.csv.gz"
    rows = [f"{cve},0.97,0.999" for cve in (KEV, POC, NONE)]
    text = "#model_version:v2025.03.14,score_date:2026-02-01T00:00:00Z\ncve,epss,percentile\n"
    path.write_bytes(gzip.compress((text + "\n".join(rows) + "\n").encode()))
    epss_import(path=path, actor_label="test")
    assert priorities(world) == before  # a high EPSS is a hint, not evidence
    assert reload(world.findings[NONE]).epss == 0.97


def test_a_change_of_the_product_context_recomputes_its_findings(world: World) -> None:
    refresh()
    assert reload(world.findings[POC]).priority == "defer"
    product_update(product=world.plant, acting_user=world.alice, exposure="open")
    assert reload(world.findings[POC]).priority == "scheduled"
    product_update(product=world.plant, acting_user=world.alice, description="no effect")
    assert reload(world.findings[POC]).priority == "scheduled"


def test_vulnrichment_points_of_a_cve5_record_win_over_the_cvss_proxy(world: World) -> None:
    feeds_import(paths=[CVE5], actor_label="test")
    finding = make_finding(world.release, "CVE-2024-1234")
    refresh()
    row = reload(finding)
    # the ADP vector says automatable (AV:N/AC:L/PR:N/UI:N), CISA's analyst says no
    assert (row.exploitation, row.automatable, row.technical_impact) == ("active", "no", "total")
    assert row.priority == "scheduled"  # active, controlled, not automatable, human low


def test_a_feed_import_reprioritises_the_findings_of_the_groups_it_adds_to(
    world: World,
) -> None:
    finding = make_finding(world.release, "CVE-2024-1234")
    refresh()
    before = reload(finding)
    assert (before.exploitation, before.priority) == ("none", "defer")
    # the CVE record names no package the finding's component is filed under: no re-match job
    # would look at the finding, yet its Vulnrichment points are evidence for its group
    outcome = feeds_import(paths=[CVE5], actor_label="test")
    assert outcome.rematch_job_id is None and outcome.priorities_changed == 1
    row = reload(finding)
    assert (row.exploitation, row.automatable, row.technical_impact) == ("active", "no", "total")
    assert row.priority == "scheduled"
    # importing it again adds nothing: nothing to recompute
    assert feeds_import(paths=[CVE5], actor_label="test").priorities_changed == 0


def test_new_findings_are_inserted_with_what_the_refresh_writes(world: World) -> None:
    # matching inserts new findings with priority_columns: they must equal the refresh's values
    other = product_create(
        name="firmware", acting_user=world.root, organisation=world.plant.organisation
    )
    Product.objects.filter(pk=other.pk).update(
        perspective="supplier", exposure="open", safety_impact="critical"
    )
    release = release_create(product=other, version="1", acting_user=world.root)
    for cve in (KEV, POC, NONE):
        make_finding(release, cve)
    ssvc_override_set(
        product=world.plant, vulnerability_id=POC, point="automatable", value="yes",
        reason="wormable", acting_user=world.edith,
    )  # fmt: skip
    refresh()
    findings = list(Finding.objects.all())
    inserted = priority_columns(
        [(f.product_id, f.vulnerability_id) for f in findings],
        FIRST_SEEN.replace(microsecond=987654),  # due dates are to the second either way
    )
    for f in findings:
        stored = tuple(getattr(f, c) for c in PRIORITY_COLUMNS)
        assert inserted[(f.product_id, f.vulnerability_id)] == stored, f
    assert {f.priority for f in findings} >= {"defer", "scheduled", "out-of-cycle"}


def test_matching_writes_priorities(world: World, run_jobs: Any) -> None:
    from vulndesk.server.inventory.services import sbom_upload

    content = json.dumps(
        {
            "bomFormat": "CycloneDX",
            "specVersion": "1.5",
            "version": 1,
            "components": [
                {"type": "library", "name": "pkg-cve-2024-0001", "version": "1.5",
                 "purl": "pkg:pypi/pkg-cve-2024-0001@1.5", "bom-ref": "a"},
            ],
        }
    ).encode()  # fmt: skip
    release = release_create(product=world.plant, version="2.0", acting_user=world.alice)
    sbom_upload(release=release, file_name="b.cdx.json", content=content, acting_user=world.alice)
    run_jobs()
    finding = Finding.objects.get(release=release)
    assert (finding.vulnerability_id, finding.kev) == (KEV, True)
    assert (finding.exploitation, finding.priority) == ("active", "out-of-cycle")
    assert finding.due_at is not None
