"""Remediation: per release, what to upgrade to fix each vulnerable component, and where that
work stands.

:func:`remediation_plan` (a selector) lists one :class:`PlanItem` per component of a release
with findings still to fix: active, and not stated ``not_affected`` or ``fixed`` by VEX
(``Finding.analysis_state``). Each item carries the smallest upgrade that clears its findings
(:func:`vulndesk.core.remediation.smallest_upgrade` over the stored records its findings were
matched with, ``Finding.advisory_ids``), whether that upgrade crosses a major version, the most
urgent priority, the highest severity and the earliest SLA due date of its findings, and its
remediation status. Items come most urgent first: priority, then severity, then due date.

:func:`remediation_transition` (a service) moves an item along ``REMEDIATION_TRANSITIONS``:
open -> in progress -> fixed / accepted risk / not affected, and back to open. A component
without a :class:`~vulndesk.server.triage.models.RemediationItem` row is open; the row is created
on its first change. Every change writes an audit row in the same transaction.

The plan is computed when asked for, not stored: the upgrade depends on the advisories stored
now, and re-matching changes the findings. That reads the release's active findings and their
records once (one query per 900 advisory ids, ``advisories.candidates.fetch_records``), then
evaluates each component's records in memory.

Exports (CSV, Markdown, ticket JSON) are pure functions of a plan in
:mod:`vulndesk.server.triage.remediation_export`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from vulndesk.core.advisories.model import Advisory
from vulndesk.core.errors import InputError
from vulndesk.core.matching.evaluation import default_evaluator
from vulndesk.core.matching.identity import (
    CPE_KEY,
    HASH_KEY,
    MODEL_KEY,
    PRODUCT_KEY,
    NotEvaluated,
    component_query,
)
from vulndesk.core.remediation import Upgrade, smallest_upgrade
from vulndesk.core.sbom.model import Component as SbomComponent
from vulndesk.server.accounts.permissions import has_role
from vulndesk.server.advisories.candidates import fetch_records
from vulndesk.server.advisories.selectors import django_raw_database
from vulndesk.server.audit.services import audit_record
from vulndesk.server.findings.models import SEVERITY_RANK, Finding, FindingStatus
from vulndesk.server.inventory.models import Component, Release, Role
from vulndesk.server.triage.models import (
    PRIORITY_RANK,
    REMEDIATION_TRANSITIONS,
    RemediationItem,
    RemediationStatus,
    VexState,
)

__all__ = [
    "SETTLED",
    "PlanFinding",
    "PlanItem",
    "RemediationPlan",
    "TransitionRefused",
    "remediation_item",
    "remediation_plan",
    "remediation_transition",
]

#: VEX states that take a finding out of the plan: nothing to fix
NOT_TO_FIX: Final = (VexState.NOT_AFFECTED.value, VexState.FIXED.value)
#: statuses that need no more work (an item in one of them is never overdue)
SETTLED: Final = frozenset({"fixed", "accepted_risk", "not_affected"})
#: the statuses in the order they are offered and listed
STATUS_ORDER: Final = tuple(RemediationStatus.values)
#: lookup keys that name no package (matching by CPE, vendor and product, model, hash):
#: no version ordering to upgrade along
_NOT_A_PACKAGE: Final = frozenset({CPE_KEY, PRODUCT_KEY, MODEL_KEY, HASH_KEY})
#: what an item without a due date compares with (after the items with one: never decides)
_NO_DUE: Final = datetime.max.replace(tzinfo=UTC)


_FINDING_FIELDS: Final = (
    "id", "component_id", "vulnerability_id", "aliases", "advisory_ids", "severity",
    "severity_rank", "priority", "priority_rank", "due_at", "kev", "summary",
)  # fmt: skip


class TransitionRefused(InputError):
    """A status change that ``REMEDIATION_TRANSITIONS`` does not allow (the API answers 409)."""


@dataclass(frozen=True, slots=True)
class PlanFinding:
    """One finding of a plan item; ``cleared`` is whether the item's upgrade target fixes it."""

    id: int
    vulnerability_id: str
    aliases: tuple[str, ...]
    advisory_ids: tuple[str, ...]
    severity: str
    priority: str  # triage.models.Priority value, "" until assessed
    due_at: datetime | None
    kev: bool
    summary: str
    cleared: bool


@dataclass(frozen=True, slots=True)
class PlanItem:
    """One vulnerable component of a release: the upgrade that fixes it, and its status.

    ``upgrade`` is None when none can be computed (no package URL, or one whose ecosystem has no
    version ordering); ``reason`` then says why, and otherwise is the upgrade's own reason.
    ``severity``, ``priority`` and ``due_at`` are the highest, most urgent and earliest of the
    findings'; ``overdue`` is whether ``due_at`` has passed while the item is not settled.
    """

    component_id: int
    name: str
    version: str
    purl: str
    direct: bool
    findings: tuple[PlanFinding, ...]
    upgrade: Upgrade | None
    reason: str
    status: str
    note: str
    updated_by: str
    updated_at: datetime | None
    severity: str
    priority: str
    due_at: datetime | None
    overdue: bool

    @property
    def target(self) -> str | None:
        """Return the version to upgrade to, or None when none is known."""
        return self.upgrade.target if self.upgrade is not None else None

    @property
    def crosses_major(self) -> bool:
        """Return whether the upgrade goes to another major version."""
        return self.upgrade is not None and self.upgrade.crosses_major

    @property
    def cleared(self) -> int:
        """Return how many of the findings the upgrade clears."""
        return sum(1 for f in self.findings if f.cleared)

    @property
    def settled(self) -> bool:
        """Return whether the item needs no more work (fixed, accepted risk, not affected)."""
        return self.status in SETTLED

    @property
    def allowed_next(self) -> list[str]:
        """Return the statuses the item may move to, in the statuses' order."""
        allowed = REMEDIATION_TRANSITIONS[self.status]
        return [s for s in STATUS_ORDER if s in allowed]


@dataclass(frozen=True, slots=True)
class RemediationPlan:
    """The remediation plan of one release, items most urgent first."""

    product_id: int
    product: str
    release_id: int
    release: str
    generated_at: datetime
    items: tuple[PlanItem, ...]
    can_change: bool  # whether the user asked for it may change statuses (editor role)

    @property
    def vulnerabilities(self) -> int:
        """Return how many findings the plan's items have in all."""
        return sum(len(item.findings) for item in self.items)

    @property
    def overdue(self) -> int:
        """Return how many items are overdue."""
        return sum(1 for item in self.items if item.overdue)

    @property
    def counts(self) -> dict[str, int]:
        """Return how many items are in each status (every status, zeros included)."""
        counts = dict.fromkeys(STATUS_ORDER, 0)
        for item in self.items:
            counts[item.status] += 1
        return counts


# -- reading --------------------------------------------------------------------------------------


def remediation_plan(*, release: Release, user: Any = None) -> RemediationPlan:
    """Return the remediation plan of ``release`` (see the module docstring).

    ``user`` only decides ``can_change``; who may see the release is for the caller to check
    (``inventory.selectors.release_get``).
    """
    findings = _findings_to_fix(release)
    return RemediationPlan(
        product_id=release.product_id,
        product=release.product.name,
        release_id=release.pk,
        release=release.version,
        generated_at=timezone.now(),
        items=tuple(_plan_items(release, findings)),
        can_change=user is not None and has_role(user, release.product, Role.EDITOR),
    )


def remediation_item(*, release: Release, component: Component) -> PlanItem:
    """Return the plan item of one component of ``release``, even when it has no findings left
    to fix (then without findings or upgrade)."""
    findings = _findings_to_fix(release, component_ids=[component.pk])
    items = _plan_items(release, findings, components=[component])
    return items[0]


def _findings_to_fix(
    release: Release, component_ids: Collection[int] | None = None
) -> list[Finding]:
    """Return the release's active findings that VEX has not taken out, as rows."""
    findings = Finding.objects.filter(release=release, status=FindingStatus.ACTIVE).exclude(
        analysis_state__in=NOT_TO_FIX
    )
    if component_ids is not None:
        findings = findings.filter(component_id__in=list(component_ids))
    ordered = findings.order_by("-priority_rank", "-severity_rank", "vulnerability_id")
    return list(ordered.only(*_FINDING_FIELDS))


def _plan_items(
    release: Release, findings: Sequence[Finding], components: Iterable[Component] | None = None
) -> list[PlanItem]:
    """Return the plan items of ``findings`` (one per component; ``components``: these, with or
    without findings), most urgent first."""
    by_component: dict[int, list[Finding]] = defaultdict(list)
    for finding in findings:
        by_component[finding.component_id].append(finding)
    if components is None:
        components = Component.objects.filter(id__in=list(by_component)).only(
            "id", "name", "version", "purl", "direct"
        )
    rows = {c.pk: c for c in components}
    statuses = {
        item.component_id: item
        for item in RemediationItem.objects.filter(
            release=release, component_id__in=list(rows)
        ).select_related("updated_by")
    }
    records = _records_by_id({a for f in findings for a in f.advisory_ids})
    now = timezone.now()
    items = []
    for component_id, component in rows.items():
        own = by_component.get(component_id, [])
        ids = dict.fromkeys(advisory_id for f in own for advisory_id in f.advisory_ids)
        advisories = [record for i in ids for record in records.get(i, ())]
        items.append(_item(component, own, advisories, statuses.get(component_id), now))
    items.sort(key=_urgency)
    return items


def _records_by_id(ids: set[str]) -> dict[str, list[Advisory]]:
    """Return the stored live records of every source published under ``ids``, by record id."""
    found: dict[str, list[Advisory]] = defaultdict(list)
    if ids:
        for record in fetch_records(django_raw_database(), ids):
            found[record.id].append(record)
    return found


def _item(
    component: Component,
    findings: list[Finding],
    advisories: list[Advisory],
    row: RemediationItem | None,
    now: datetime,
) -> PlanItem:
    upgrade, reason = (
        component_upgrade(component, advisories) if findings else (None, "no findings to fix")
    )
    clears = set(upgrade.clears) if upgrade is not None and upgrade.target is not None else set()
    remaining = set(upgrade.remaining) if upgrade is not None else set()
    plan_findings = tuple(
        PlanFinding(
            id=f.pk,
            vulnerability_id=f.vulnerability_id,
            aliases=tuple(f.aliases),
            advisory_ids=tuple(f.advisory_ids),
            severity=f.severity,
            priority=f.priority,
            due_at=f.due_at,
            kev=f.kev,
            summary=f.summary,
            # cleared when the target fixes one of its records and leaves none unfixed; a
            # finding whose records the upgrade did not evaluate is not counted as cleared
            cleared=bool(clears.intersection(f.advisory_ids))
            and not remaining.intersection(f.advisory_ids),
        )
        for f in findings
    )
    status = row.status if row is not None else RemediationStatus.OPEN.value
    dues = [f.due_at for f in findings if f.due_at is not None]
    due_at = min(dues) if dues else None
    return PlanItem(
        component_id=component.pk,
        name=component.name,
        version=component.version,
        purl=component.purl,
        direct=component.direct,
        findings=plan_findings,
        upgrade=upgrade,
        reason=reason,
        status=status,
        note=row.note if row is not None else "",
        updated_by=_who(row),
        updated_at=row.updated_at if row is not None else None,
        severity=max((f.severity for f in findings), key=_severity_rank, default="unknown"),
        priority=max((f.priority for f in findings), key=_priority_rank, default=""),
        due_at=due_at,
        overdue=due_at is not None and due_at < now and status not in SETTLED,
    )


def _who(row: RemediationItem | None) -> str:
    if row is None or row.updated_by is None:
        return ""
    return str(row.updated_by.get_username())


def _severity_rank(severity: str) -> int:
    return SEVERITY_RANK.get(severity, 0)


def _priority_rank(priority: str) -> int:
    return PRIORITY_RANK.get(priority, 0)


def _urgency(item: PlanItem) -> tuple[Any, ...]:
    """Sort key: most urgent priority, then highest severity, then earliest due (none last)."""
    return (
        -_priority_rank(item.priority),
        -_severity_rank(item.severity),
        item.due_at is None,
        item.due_at or _NO_DUE,
        item.name.lower(),
        item.version,
        item.component_id,
    )


def component_upgrade(
    component: Component, advisories: Sequence[Advisory]
) -> tuple[Upgrade | None, str]:
    """Return the smallest upgrade of ``component`` that clears what ``advisories`` say affects
    it, with its reason; or None and why no upgrade can be computed.

    The component's package and version are those matching looks it up under
    (``matching.identity.component_query``): a Debian binary package with an ``upstream``
    qualifier is also filed under its source package, which is what Debian's records name, so
    the first key whose records affect the component is the one upgraded.
    """
    if not component.purl:
        return None, (
            "no package URL: an upgrade is computed only for a package named by a package URL "
            "(its ecosystem orders the versions)"
        )
    sbom_component = SbomComponent(
        ref=str(component.pk),
        name=component.name,
        version=component.version or None,
        purl=component.purl,
    )
    query = component_query(sbom_component, default_evaluator().schemes)
    if isinstance(query, NotEvaluated):
        return None, query.reason
    candidates = [c for c in query.candidates if c.key.ecosystem not in _NOT_A_PACKAGE]
    if not candidates:
        return None, f"{component.purl} names no package of an ecosystem with a version ordering"
    first: Upgrade | None = None
    for candidate in candidates:
        upgrade = smallest_upgrade(
            candidate.key.ecosystem, candidate.key.name, candidate.version, advisories
        )
        if upgrade.clears or upgrade.remaining:
            return upgrade, upgrade.reason
        first = first or upgrade
    assert first is not None
    return first, first.reason


# -- writing --------------------------------------------------------------------------------------


@transaction.atomic
def remediation_transition(
    *,
    release: Release,
    component: Component,
    status: str | None,
    note: str | None = None,
    acting_user: Any,
    actor_label: str = "",
) -> RemediationItem:
    """Move ``component``'s remediation in ``release`` to ``status`` and return its row.

    The change must be one ``REMEDIATION_TRANSITIONS`` allows (else TransitionRefused naming the
    statuses it may go to); ``status`` None or the current status changes only ``note`` (None:
    kept). The row is created on the first change and keeps the upgrade target computed at that
    moment (``target_version``). Needs the editor role on the product when ``acting_user`` is a
    user (None: the command line or a job, named by ``actor_label``). A request that changes
    nothing writes nothing and returns the row as it is (unsaved when there is none).
    """
    product = release.product
    if acting_user is not None and not has_role(acting_user, product, Role.EDITOR):
        raise PermissionDenied(
            f"changing the remediation status needs the editor role on {product.name}"
        )
    if component.release_id != release.pk:
        raise InputError(f"component {component.pk} is not a component of release {release.pk}")
    status = None if status is None else str(status)  # a RemediationStatus member: its value
    if status is not None and status not in RemediationStatus.values:
        raise InputError(f"unknown remediation status {status!r}: one of {', '.join(STATUS_ORDER)}")
    # one change at a time per component: the second waits and sees the first's status
    Component.objects.select_for_update().filter(pk=component.pk).first()
    item = RemediationItem.objects.filter(release=release, component=component).first()
    current = item.status if item is not None else RemediationStatus.OPEN.value
    new = status if status is not None else current
    if new != current and new not in REMEDIATION_TRANSITIONS[current]:
        allowed = [s for s in STATUS_ORDER if s in REMEDIATION_TRANSITIONS[current]]
        raise TransitionRefused(
            f"{component.name} {component.version} in {product.name} {release.version} is "
            f"{current!r} and cannot become {new!r}: from {current!r} it may become "
            + " or ".join(repr(s) for s in allowed)
        )
    new_note = (note or "").strip() if note is not None else (item.note if item else "")
    if new == current and new_note == (item.note if item is not None else ""):
        return item or RemediationItem(
            release=release, component=component, status=current, updated_at=timezone.now()
        )
    if item is None:
        item = RemediationItem(release=release, component=component)
    if new != current:
        upgrade = remediation_item(release=release, component=component).target
        item.target_version = (upgrade or "")[:200]
    item.status = new
    item.note = new_note
    item.updated_by = acting_user if getattr(acting_user, "is_authenticated", False) else None
    item.updated_at = timezone.now()
    item.save()
    audit_record(
        action="remediation.transition" if new != current else "remediation.note",
        object_type="remediation",
        object_id=str(item.pk),
        data={
            "product": product.name,
            "release": release.version,
            "release_id": release.pk,
            "component_id": component.pk,
            "component": component.name,
            "version": component.version,
            "purl": component.purl,
            "from": current,
            "to": new,
            "target_version": item.target_version,
            "note": new_note,
        },
        acting_user=acting_user,
        actor_label=actor_label,
    )
    if new == RemediationStatus.FIXED and new != current:  # starts CRA final-report clocks
        from vulndesk.server.compliance.detection import cra_measures_from_remediation

        cra_measures_from_remediation(item=item, acting_user=acting_user)
    return item
