"""VEX triage end to end through the real services: a not-affected statement made on release 1
suppresses the finding in release 2 and says who made it; a corrected advisory that changes the
affected range revives it; an upgrade to a version the statement does not cover is not
suppressed."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from server.triage.vex_world import (
    PYYAML_CVE,
    REQUESTS_CVE,
    build,
    finding,
    release,
    widened_requests_advisory,
)
from vulndesk.core.errors import InputError
from vulndesk.core.vex.ranges import VexRangeError
from vulndesk.server.advisories.services import feeds_import
from vulndesk.server.audit.models import AuditEvent
from vulndesk.server.findings.models import Finding
from vulndesk.server.jobs.inline import jobs_run_pending
from vulndesk.server.triage.models import VexStatement
from vulndesk.server.triage.vex import (
    StatementText,
    VexScope,
    vex_apply,
    vex_statement_record,
    vex_statements_record,
)
from vulndesk.server.triage.vex_selectors import finding_vex

pytestmark = pytest.mark.django_db

SHOP_1 = {"requests": "2.28.1", "pyyaml": "5.3.1"}
NOT_PRESENT = StatementText(state="not_affected", justification="component_not_present")


def test_a_statement_follows_the_component_to_the_next_release_until_the_range_changes(
    tmp_path: Path,
) -> None:
    world = build()
    first = release(world, "1.0", SHOP_1)
    found = finding(first, "requests", REQUESTS_CVE)
    assert found.analysis_state == ""

    statement = vex_statement_record(
        finding=found,
        text=StatementText(
            state="not_affected",
            justification="component_not_present",
            detail="we vendor our own HTTP client; requests is only in the build image",
        ),
        acting_user=world.edith,
    )
    found.refresh_from_db()
    assert (found.analysis_state, found.vex_statement_id) == ("not_affected", statement.pk)
    assert statement.affected_range == found.affected_range != ""
    audit = AuditEvent.objects.get(action="vex.record", object_id=str(statement.pk))
    assert audit.actor == world.edith
    assert audit.data["release"] == first.pk
    assert audit.data["state"] == "not_affected"
    # the other vulnerability of the release is untouched
    assert finding(first, "pyyaml", PYYAML_CVE).analysis_state == ""

    # release 2 ships the same component: its new finding is suppressed as it is written
    second = release(world, "1.1", SHOP_1)
    later = finding(second, "requests", REQUESTS_CVE)
    assert later.pk != found.pk
    assert (later.analysis_state, later.vex_statement_id) == ("not_affected", statement.pk)
    shown = finding_vex(finding=later)
    assert shown.applied == statement
    assert shown.applied.author_label == "edith"
    assert shown.stated_on is not None and shown.stated_on.release_version == "1.0"
    assert finding_vex(finding=found).stated_on is None  # said on this very release

    # a corrected advisory widens the affected range: both findings are revived
    feeds_import(paths=[widened_requests_advisory(tmp_path / "osv")], actor_label="test")
    jobs_run_pending()
    for revived in (found, later):
        revived.refresh_from_db()
        assert revived.affected_range != statement.affected_range
        assert (revived.analysis_state, revived.vex_statement_id) == ("", None)
    shown = finding_vex(finding=later)
    assert shown.applied is None
    assert shown.revived_from == statement

    # judged again for the new range: suppressed again, and the first statement is history
    again = vex_statement_record(finding=later, text=NOT_PRESENT, acting_user=world.alice)
    later.refresh_from_db()
    assert later.vex_statement_id == again.pk
    statement.refresh_from_db()
    assert statement.superseded_at == again.created_at
    assert [s.pk for s in finding_vex(finding=later).history] == [statement.pk]

    # an upgrade to a version the statement does not cover (still vulnerable) is not suppressed
    third = release(world, "1.2", {"requests": "2.30.0"})
    upgraded = finding(third, "requests", REQUESTS_CVE)
    assert (upgraded.analysis_state, upgraded.vex_statement_id) == ("", None)


def test_a_statement_for_every_version_covers_an_upgrade() -> None:
    world = build()
    first = release(world, "1.0", SHOP_1)
    statement = vex_statement_record(
        finding=finding(first, "requests", REQUESTS_CVE),
        text=StatementText(state="affected", action_statement="upgrade to 2.31.0"),
        scope=VexScope.ANY_VERSION,
        acting_user=world.edith,
    )
    assert statement.component_version == "*"
    assert statement.component_key == "pkg:pypi/requests"
    upgraded = finding(release(world, "1.2", {"requests": "2.30.0"}), "requests", REQUESTS_CVE)
    assert (upgraded.analysis_state, upgraded.vex_statement_id) == ("affected", statement.pk)


def test_the_newest_applicable_statement_wins() -> None:
    world = build()
    first = release(world, "1.0", SHOP_1)
    found = finding(first, "requests", REQUESTS_CVE)
    broad = vex_statement_record(
        finding=found,
        text=StatementText(state="under_investigation"),
        scope=VexScope.ANY_VERSION,
        acting_user=world.edith,
    )
    exact = vex_statement_record(finding=found, text=NOT_PRESENT, acting_user=world.edith)
    found.refresh_from_db()
    assert found.vex_statement_id == exact.pk  # newer, and a different scope: both active
    assert VexStatement.objects.filter(superseded_at__isnull=True).count() == 2
    newest = vex_statement_record(
        finding=found,
        text=StatementText(state="fixed"),
        scope=VexScope.ANY_VERSION,
        acting_user=world.edith,
    )
    found.refresh_from_db()
    assert (found.vex_statement_id, found.analysis_state) == (newest.pk, "fixed")
    broad.refresh_from_db()
    assert broad.superseded_at is not None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (StatementText(state="not_affected"), "needs a justification or an impact statement"),
        (StatementText(state="affected", justification="component_not_present"), "justification"),
        (StatementText(state="fixed", action_statement="upgrade"), "action statement"),
        (StatementText(state="not_affected", justification="because"), "unknown justification"),
        (StatementText(state="bogus"), "unknown state"),
        (
            StatementText(state="affected", responses=("apologise",)),
            "unknown response",
        ),
    ],
    ids=["no reason", "justified affected", "fixed with action", "bad word", "state", "response"],
)
def test_a_statement_that_formats_cannot_carry_is_refused(
    text: StatementText, message: str
) -> None:
    world = build()
    found = finding(release(world, "1.0", SHOP_1), "requests", REQUESTS_CVE)
    with pytest.raises(InputError, match=message):
        vex_statement_record(finding=found, text=text, acting_user=world.edith)
    assert not VexStatement.objects.exists()
    assert not AuditEvent.objects.filter(action="vex.record").exists()


def test_an_impact_statement_is_reason_enough() -> None:
    world = build()
    found = finding(release(world, "1.0", SHOP_1), "requests", REQUESTS_CVE)
    statement = vex_statement_record(
        finding=found,
        text=StatementText(state="not_affected", impact_statement="  proxies are never used  "),
        acting_user=world.edith,
    )
    assert statement.impact_statement == "proxies are never used"
    assert statement.justification == ""


def test_apply_without_statements_is_one_update_at_most() -> None:
    world = build()
    release(world, "1.0", SHOP_1)
    release(world, "1.1", SHOP_1)
    # a value left behind by a statement that no longer exists
    Finding.objects.filter(component_name="pyyaml").update(analysis_state="not_affected")
    with CaptureQueriesContext(connection) as queries:
        changed = vex_apply(Finding.objects.all())
    assert changed == 2
    writes = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    assert len(writes) == 1
    assert len(queries.captured_queries) <= 3  # (savepoints aside) read statements, one UPDATE
    assert not Finding.objects.exclude(analysis_state="").exists()


def test_apply_costs_the_same_whatever_the_number_of_findings() -> None:
    world = build()
    first = release(world, "1.0", SHOP_1)
    vex_statement_record(
        finding=finding(first, "requests", REQUESTS_CVE), text=NOT_PRESENT, acting_user=world.edith
    )
    counts = []
    for version in ("1.1", "1.2", "1.3"):
        release(world, version, SHOP_1)
        with CaptureQueriesContext(connection) as queries:
            vex_apply(Finding.objects.all())
        counts.append(len(queries.captured_queries))
    assert counts[0] == counts[1] == counts[2]
    assert Finding.objects.filter(analysis_state="not_affected").count() == 4


def test_a_statement_matches_through_aliases() -> None:
    world = build()
    found = finding(release(world, "1.0", SHOP_1), "requests", REQUESTS_CVE)
    statement = vex_statement_record(finding=found, text=NOT_PRESENT, acting_user=world.edith)
    # the alias group's key changes (a regrouping); the statement still names the group's ids
    Finding.objects.filter(pk=found.pk).update(vulnerability_id="GHSA-j8r2-6x86-q33q")
    Finding.objects.filter(pk=found.pk).update(vex_statement=None, analysis_state="")
    assert vex_apply(Finding.objects.filter(pk=found.pk)) == 1
    found.refresh_from_db()
    assert found.vex_statement_id == statement.pk


# --- version ranges -------------------------------------------------------------------------------

IN_2_28_TO_2_30 = "vers:pypi/>=2.28.0|<2.30.0"


def test_a_range_statement_covers_later_releases_whose_version_is_in_it(tmp_path: Path) -> None:
    world = build()
    first = release(world, "1.0", SHOP_1)
    found = finding(first, "requests", REQUESTS_CVE)
    statement = vex_statement_record(
        finding=found,
        text=NOT_PRESENT,
        scope=VexScope.RANGE,
        version_range="vers:PyPI/ >= 2.28.0 | < 2.30.0 ",
        acting_user=world.edith,
    )
    # kept once, in canonical form; said on release 1.0
    assert statement.component_key == "pkg:pypi/requests"
    assert statement.component_version == IN_2_28_TO_2_30
    assert statement.covers_range
    found.refresh_from_db()
    assert found.vex_statement_id == statement.pk
    audit = AuditEvent.objects.get(action="vex.record", object_id=str(statement.pk))
    assert audit.data["version"] == IN_2_28_TO_2_30

    # releases uploaded later: requests 2.29.0 is in the range, 2.30.0 (still vulnerable) is not
    inside = finding(release(world, "1.1", {"requests": "2.29.0"}), "requests", REQUESTS_CVE)
    outside = finding(release(world, "1.2", {"requests": "2.30.0"}), "requests", REQUESTS_CVE)
    assert (inside.analysis_state, inside.vex_statement_id) == ("not_affected", statement.pk)
    assert (outside.analysis_state, outside.vex_statement_id) == ("", None)
    shown = finding_vex(finding=inside)
    assert shown.applied == statement
    assert shown.stated_on is not None and shown.stated_on.release_version == "1.0"
    assert finding_vex(finding=outside).history == []  # not a statement about 2.30.0

    # a corrected advisory revives the findings in the range, as for any statement
    feeds_import(paths=[widened_requests_advisory(tmp_path / "osv")], actor_label="test")
    jobs_run_pending()
    inside.refresh_from_db()
    assert inside.analysis_state == ""
    assert finding_vex(finding=inside).revived_from == statement


def test_a_range_supersedes_only_the_same_range_and_the_newest_statement_wins() -> None:
    world = build()
    found = finding(release(world, "1.0", SHOP_1), "requests", REQUESTS_CVE)
    exact = vex_statement_record(finding=found, text=NOT_PRESENT, acting_user=world.edith)
    ranged = vex_statement_record(
        finding=found,
        text=StatementText(state="affected", action_statement="upgrade to 2.31.0"),
        scope=VexScope.RANGE,
        version_range=IN_2_28_TO_2_30,
        acting_user=world.edith,
    )
    found.refresh_from_db()
    assert (found.vex_statement_id, found.analysis_state) == (ranged.pk, "affected")
    exact.refresh_from_db()
    assert exact.superseded_at is None  # another scope: still active, older
    again = vex_statement_record(
        finding=found,
        text=StatementText(state="fixed"),
        scope=VexScope.RANGE,
        version_range=IN_2_28_TO_2_30,
        acting_user=world.edith,
    )
    ranged.refresh_from_db()
    assert ranged.superseded_at == again.created_at
    found.refresh_from_db()
    assert found.vex_statement_id == again.pk
    assert [s.pk for s in finding_vex(finding=found).history] == [ranged.pk, exact.pk]


def test_a_stored_range_that_cannot_be_decided_applies_to_nothing() -> None:
    world = build()
    found = finding(release(world, "1.0", SHOP_1), "requests", REQUESTS_CVE)
    # ranges the versions of the finding cannot be placed in: an unreadable one (as a row
    # written before ranges were checked could hold) and one whose bound cannot be ordered
    for text in ("vers:pypi/>=x", "vers:generic/<r3"):
        VexStatement.objects.create(
            product=world.product,
            vulnerability_id=REQUESTS_CVE,
            component_key="pkg:pypi/requests",
            component_version=text,
            state="not_affected",
            justification="component_not_present",
            author_label="test",
            created_at=found.first_seen,
        )
    assert vex_apply(Finding.objects.all()) == 0
    found.refresh_from_db()
    assert (found.analysis_state, found.vex_statement_id) == ("", None)
    assert finding_vex(finding=found).history == []


@pytest.mark.parametrize(
    ("scope", "text", "message"),
    [
        (
            VexScope.RANGE,
            "vers:pypi/>=x",
            "range 'vers:pypi/>=x' cannot be read: 'x' is not a version (it has no digit)",
        ),
        (VexScope.RANGE, ">=2.0", "range '>=2.0' cannot be read: expected vers:<scheme>/"),
        (VexScope.RANGE, "vers:cargo/>=2.0", "cannot be evaluated: vulndesk does not order"),
        (VexScope.RANGE, "vers:pypi/>2.0", "the comparator '>' is not supported"),
        (VexScope.RANGE, "vers:pypi/<3.0|>=2.0", "ascending version order"),
        (VexScope.RANGE, "vers:npm/>=2.0.0", "but pkg:pypi/requests is a pypi package"),
        (
            VexScope.RANGE,
            "vers:pypi/>=2.29.0|<2.31.0",
            "range 'vers:pypi/>=2.29.0|<2.31.0' does not contain requests 2.28.1, the version of "
            "finding",
        ),
        (VexScope.RANGE, "", "needs the range"),
        (VexScope.ANY_VERSION, "vers:pypi/>=2.0", "is only for a statement about a version range"),
    ],
    ids=[
        "not a version",
        "not vers",
        "scheme",
        "exclusive",
        "unsorted",
        "other ecosystem",
        "misses the finding",
        "no range",
        "range for another scope",
    ],
)
def test_a_range_that_cannot_be_kept_is_refused_with_the_reason(
    scope: VexScope, text: str, message: str
) -> None:
    world = build()
    found = finding(release(world, "1.0", SHOP_1), "requests", REQUESTS_CVE)
    with pytest.raises(VexRangeError) as raised:
        vex_statement_record(
            finding=found,
            text=NOT_PRESENT,
            scope=scope,
            version_range=text,
            acting_user=world.edith,
        )
    assert message in str(raised.value)
    assert isinstance(raised.value, InputError)
    assert not VexStatement.objects.exists()


def test_a_bulk_range_must_hold_every_selected_finding() -> None:
    world = build()
    first = finding(release(world, "1.0", SHOP_1), "requests", REQUESTS_CVE)
    second = finding(release(world, "1.1", {"requests": "2.30.0"}), "requests", REQUESTS_CVE)
    with pytest.raises(VexRangeError, match=f"does not contain requests 2.30.0, .* {second.pk}"):
        vex_statements_record(
            findings=[first, second],
            text=NOT_PRESENT,
            scope=VexScope.RANGE,
            version_range=IN_2_28_TO_2_30,
            acting_user=world.edith,
        )
    assert not VexStatement.objects.exists()  # all or nothing
    [statement] = vex_statements_record(
        findings=[first, second],
        text=NOT_PRESENT,
        scope=VexScope.RANGE,
        version_range="vers:pypi/>=2.28.0|<2.31.0",
        acting_user=world.edith,
    )
    assert Finding.objects.filter(vex_statement=statement).count() == 2
