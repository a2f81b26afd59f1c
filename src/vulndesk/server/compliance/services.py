"""Writing CRA events and their reports: opening, confirming, dismissing, re-opening, the
corrective measure, draft edits and submissions.

Every service is atomic and writes its audit row (``object_type`` ``compliance.cra_event`` or
``compliance.report``) in the same transaction. Due times come from
``core.regulation.clocks.deadlines`` only (:func:`reports_sync`): when an event opens (early
warning +24 h, notification +72 h), when its corrective measure is recorded (the final report,
+14 days for an actively exploited vulnerability), and when an incident's notification is
submitted (the final report, one month after it). ``aware_at`` is written once, at opening.

Who may: changing an event or a report needs the editor role on its product when
``acting_user`` is a user (None: the worker or a hook, named by ``actor_label``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from vulndesk.core.errors import InputError
from vulndesk.core.regulation.clocks import Regime as ClockRegime
from vulndesk.core.regulation.clocks import deadlines
from vulndesk.server.accounts.permissions import has_role
from vulndesk.server.audit.services import audit_record
from vulndesk.server.compliance.drafts import (
    cra_draft,
    draft_checked,
    fields_of,
    member_states_checked,
    nis2_draft,
)
from vulndesk.server.compliance.models import (
    EVENT_TRANSITIONS,
    CraEvent,
    EventState,
    Nis2Record,
    Regime,
    RegulatoryReport,
    ReportKind,
    Trigger,
)
from vulndesk.server.inventory.models import Product, Release, Role

__all__ = [
    "TransitionRefused",
    "cra_event_confirm",
    "cra_event_dismiss",
    "cra_event_measure_set",
    "cra_event_open",
    "cra_event_reopen",
    "cra_event_update",
    "moment_checked",
    "report_edit",
    "report_submit",
    "reports_sync",
]

_REASON_MAX = 5000
#: the audit action of each state change, by the state it goes to
_ACTIONS = {"confirmed": "confirm", "dismissed": "dismiss", "open": "reopen"}
_REFERENCE_MAX = 200


class TransitionRefused(InputError):
    """A state change ``EVENT_TRANSITIONS`` does not allow (the API answers 409)."""


#: the earliest time an event, a measure or a submission may be dated
_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
#: how far ahead a measure's availability may be dated (a clock a year off is a typo)
_AHEAD = timedelta(days=366)


def moment_checked(value: datetime | None, name: str, *, future: bool = False) -> datetime:
    """Return ``value`` (None: now) if it is timezone-aware, not before 1970 and not in the
    future (``future``: not more than a year ahead); raise InputError naming ``name``."""
    now = timezone.now()
    if value is None:
        return now
    if timezone.is_naive(value):
        raise InputError(f"{name} needs a time zone", location=name)
    latest = now + _AHEAD if future else now + timedelta(minutes=5)  # clocks drift a little
    if not _EARLIEST <= value <= latest:
        raise InputError(
            f"{name} {value.isoformat()} is outside 1970 to "
            + ("a year from now" if future else "now"),
            location=name,
        )
    return value


def _require_editor(acting_user: Any, product: Product | None, what: str) -> None:
    if acting_user is None or product is None:
        return
    if not has_role(acting_user, product, Role.EDITOR):
        raise PermissionDenied(f"{what} needs the editor role on {product.name}")


def _user(acting_user: Any) -> Any:
    return acting_user if getattr(acting_user, "is_authenticated", False) else None


def _clock_regime(owner: CraEvent | Nis2Record) -> ClockRegime:
    if isinstance(owner, Nis2Record):
        return ClockRegime.NIS2_INCIDENT
    return ClockRegime(owner.regime)


def reports_sync(owner: CraEvent | Nis2Record) -> list[RegulatoryReport]:
    """Create the three reports of ``owner`` if missing (with their pre-filled drafts) and set
    each report's due time from the clocks; return them in the order they are due.

    The clocks start at ``aware_at``; a CRA vulnerability's final report at the corrective
    measure; an incident's final report at the submission of its notification (until then,
    one month after the notification's due time)."""
    existing = {r.kind: r for r in RegulatoryReport.objects.filter(**_owner_filter(owner))}
    notification = existing.get(ReportKind.NOTIFICATION.value)
    measure = owner.measure_available_at if isinstance(owner, CraEvent) else None
    dues = deadlines(
        _clock_regime(owner),
        aware_at=owner.aware_at,
        measure_available_at=measure,
        notification_submitted_at=notification.submitted_at if notification else None,
    )
    draft: dict[str, Any] | None = None
    reports = []
    for deadline in dues:
        report = existing.get(deadline.kind.value)
        if report is None:
            if draft is None:
                draft = cra_draft(owner) if isinstance(owner, CraEvent) else nis2_draft(owner)
            report = RegulatoryReport.objects.create(
                **_owner_filter(owner),
                kind=deadline.kind.value,
                due_at=deadline.due,
                counts_from=deadline.counts_from,
                content=dict(draft),
            )
        elif report.due_at != deadline.due:
            report.due_at = deadline.due
            report.counts_from = deadline.counts_from
            report.save(update_fields=["due_at", "counts_from"])
        reports.append(report)
    return reports


def _owner_filter(owner: CraEvent | Nis2Record) -> dict[str, Any]:
    return {"event": owner} if isinstance(owner, CraEvent) else {"record": owner}


def _event_data(event: CraEvent, **extra: Any) -> dict[str, Any]:
    return {
        "product": event.product_id,
        "vulnerability_id": event.vulnerability_id,
        "regime": event.regime,
        "state": event.state,
        **extra,
    }


@transaction.atomic
def cra_event_open(
    *,
    product: Product,
    regime: str = Regime.CRA_VULNERABILITY,
    vulnerability_id: str = "",
    trigger: str,
    evidence_source: str = "",
    evidence_reference: str = "",
    evidence_text: str = "",
    aware_at: datetime | None = None,
    releases: Iterable[Release] = (),
    case: Any = None,
    title: str = "",
    member_states: list[str] | None = None,
    acting_user: Any = None,
    actor_label: str = "",
) -> CraEvent:
    """Open a CRA event of ``product`` and return it, with its three reports and their due
    times; ``aware_at`` (default: now) is when vulndesk learnt it, written once.

    An actively exploited vulnerability is one event per (product, vulnerability): InputError
    when it exists. A person's assertion needs its evidence text; an incident needs a title.
    """
    _require_editor(acting_user, product, "opening a CRA event")
    regime = str(regime)
    if regime not in (Regime.CRA_VULNERABILITY, Regime.CRA_INCIDENT):
        raise InputError(f"unknown CRA regime {regime!r}", location="regime")
    if str(trigger) not in Trigger.values:
        raise InputError(f"unknown trigger {trigger!r}", location="trigger")
    vulnerability_id = vulnerability_id.strip()[:255]
    if regime == Regime.CRA_VULNERABILITY:
        if not vulnerability_id:
            raise InputError("an exploited vulnerability event names its vulnerability")
        if CraEvent.objects.filter(
            product=product, vulnerability_id=vulnerability_id, regime=regime
        ).exists():
            raise InputError(f"{product.name} has a CRA event of {vulnerability_id} already")
    elif not title.strip():
        raise InputError("a severe incident needs a title", location="title")
    if trigger == Trigger.ASSERTION and not evidence_text.strip():
        raise InputError("asserting exploitation needs the evidence", location="evidence")
    event = CraEvent.objects.create(
        product=product,
        regime=regime,
        vulnerability_id=vulnerability_id,
        title=title.strip()[:300],
        trigger=str(trigger),
        evidence_source=evidence_source[:200],
        evidence_reference=evidence_reference[:1000],
        evidence_text=evidence_text.strip()[:_REASON_MAX],
        aware_at=moment_checked(aware_at, "aware_at"),
        case=case,
        member_states=member_states_checked(member_states or []),
    )
    releases = list(releases)
    if releases:
        event.releases.add(*releases)
    reports = reports_sync(event)
    audit_record(
        action="compliance.cra_event.open",
        object_type="compliance.cra_event",
        object_id=str(event.pk),
        data=_event_data(
            event,
            trigger=event.trigger,
            evidence_source=event.evidence_source,
            evidence_reference=event.evidence_reference,
            aware_at=event.aware_at.isoformat(),
            releases=sorted(r.pk for r in releases),
            due={r.kind: r.due_at.isoformat() if r.due_at else None for r in reports},
        ),
        acting_user=acting_user,
        actor_label=actor_label or ("worker" if acting_user is None else ""),
    )
    return event


def _transition(
    event: CraEvent, new: str, reason: str, acting_user: Any, actor_label: str, what: str
) -> CraEvent:
    _require_editor(acting_user, event.product, what)
    event = CraEvent.objects.select_for_update().get(pk=event.pk)
    current = event.state
    if new not in EVENT_TRANSITIONS[current]:
        allowed = sorted(EVENT_TRANSITIONS[current])
        raise TransitionRefused(
            f"CRA event {event.pk} is {current!r} and cannot become {new!r}: from {current!r} "
            f"it may become " + " or ".join(repr(s) for s in allowed)
        )
    if len(reason) > _REASON_MAX:
        raise InputError(f"the reason is longer than {_REASON_MAX} characters", location="reason")
    event.state = new
    event.state_reason = reason
    event.state_changed_at = timezone.now()
    event.state_changed_by = _user(acting_user)
    event.save(update_fields=["state", "state_reason", "state_changed_at", "state_changed_by"])
    audit_record(
        action=f"compliance.cra_event.{_ACTIONS[new]}",
        object_type="compliance.cra_event",
        object_id=str(event.pk),
        data=_event_data(event, **{"from": current, "to": new, "reason": reason}),
        acting_user=acting_user,
        actor_label=actor_label,
    )
    return event


@transaction.atomic
def cra_event_confirm(
    *, event: CraEvent, reason: str = "", acting_user: Any, actor_label: str = ""
) -> CraEvent:
    """Confirm ``event`` as reportable (open -> confirmed) and return it."""
    return _transition(
        event, EventState.CONFIRMED, reason.strip(), acting_user, actor_label, "confirming"
    )


@transaction.atomic
def cra_event_dismiss(
    *, event: CraEvent, reason: str, acting_user: Any, actor_label: str = ""
) -> CraEvent:
    """Dismiss ``event`` with ``reason`` (required) and return it; the row and its reports
    stay (open or confirmed -> dismissed), and no reminder goes out for it any more."""
    reason = reason.strip()
    if not reason:
        raise InputError("dismissing a CRA event needs a reason", location="reason")
    return _transition(event, EventState.DISMISSED, reason, acting_user, actor_label, "dismissing")


@transaction.atomic
def cra_event_reopen(
    *, event: CraEvent, reason: str, acting_user: Any, actor_label: str = ""
) -> CraEvent:
    """Re-open a dismissed ``event`` (dismissed -> open) with ``reason`` and return it;
    ``aware_at`` and the due times stay what they were."""
    reason = reason.strip()
    if not reason:
        raise InputError("re-opening a CRA event needs a reason", location="reason")
    return _transition(event, EventState.OPEN, reason, acting_user, actor_label, "re-opening")


@transaction.atomic
def cra_event_measure_set(
    *,
    event: CraEvent,
    fix_version: str,
    description: str = "",
    available_at: datetime | None = None,
    acting_user: Any,
    actor_label: str = "",
) -> CraEvent:
    """Record the corrective or mitigating measure of ``event`` (a fix version, what it does,
    and when it became available: default now) and return the event; the final report's
    clock starts (an actively exploited vulnerability: due 14 days after ``available_at``).
    Setting it again moves the clock to the new measure, audited."""
    _require_editor(acting_user, event.product, "recording a corrective measure")
    fix_version = fix_version.strip()
    if not fix_version and not description.strip():
        raise InputError("a corrective measure needs a fix version or a description")
    if len(fix_version) > 200 or len(description) > _REASON_MAX:
        raise InputError("the fix version or the description is too long")
    available_at = moment_checked(available_at, "available_at", future=True)
    event = CraEvent.objects.select_for_update().get(pk=event.pk)
    previous = event.measure_available_at
    event.measure_fix_version = fix_version
    event.measure_description = description.strip()
    event.measure_available_at = available_at
    event.save(update_fields=["measure_fix_version", "measure_description", "measure_available_at"])
    reports = reports_sync(event)
    final = reports[-1]
    audit_record(
        action="compliance.cra_event.measure",
        object_type="compliance.cra_event",
        object_id=str(event.pk),
        data=_event_data(
            event,
            fix_version=fix_version,
            available_at=available_at.isoformat(),
            previous=previous.isoformat() if previous else None,
            final_due=final.due_at.isoformat() if final.due_at else None,
        ),
        acting_user=acting_user,
        actor_label=actor_label,
    )
    return event


@transaction.atomic
def cra_event_update(
    *,
    event: CraEvent,
    member_states: list[str] | None = None,
    title: str | None = None,
    acting_user: Any,
    actor_label: str = "",
) -> CraEvent:
    """Change the member states where the product is made available and the title of
    ``event`` (None: kept) and return it; the drafts are not rewritten (edit them)."""
    _require_editor(acting_user, event.product, "changing a CRA event")
    fields = []
    if member_states is not None:
        event.member_states = member_states_checked(member_states)
        fields.append("member_states")
    if title is not None:
        event.title = title.strip()[:300]
        fields.append("title")
    if fields:
        event.save(update_fields=fields)
        audit_record(
            action="compliance.cra_event.update",
            object_type="compliance.cra_event",
            object_id=str(event.pk),
            data=_event_data(event, member_states=event.member_states, title=event.title),
            acting_user=acting_user,
            actor_label=actor_label,
        )
    return event


def _report_product(report: RegulatoryReport) -> Product | None:
    if report.event_id is not None:
        return report.event.product if report.event else None
    return report.record.product if report.record else None


@transaction.atomic
def report_edit(
    *, report: RegulatoryReport, content: dict[str, Any], acting_user: Any, actor_label: str = ""
) -> RegulatoryReport:
    """Merge ``content`` (some fields of the draft; None empties one) into ``report``'s draft
    after checking it (``drafts.draft_checked``) and return the report. A submitted report is
    not edited any more (InputError)."""
    _require_editor(acting_user, _report_product(report), "editing a report")
    report = RegulatoryReport.objects.select_for_update().get(pk=report.pk)
    if report.submitted_at is not None:
        raise InputError(f"the {report.kind} report {report.pk} was submitted: it is not edited")
    owner: CraEvent | Nis2Record = report.event or report.record  # type: ignore[assignment]
    cleaned = draft_checked(fields_of(owner), content)
    changed = sorted(k for k, v in cleaned.items() if report.content.get(k) != v)
    if not changed:
        return report
    report.content = {**report.content, **cleaned}
    report.updated_at = timezone.now()
    report.updated_by = _user(acting_user)
    report.save(update_fields=["content", "updated_at", "updated_by"])
    audit_record(
        action="compliance.report.edit",
        object_type="compliance.report",
        object_id=str(report.pk),
        data={"kind": report.kind, "fields": changed},
        acting_user=acting_user,
        actor_label=actor_label,
    )
    return report


@transaction.atomic
def report_submit(
    *,
    report: RegulatoryReport,
    reference: str,
    submitted_at: datetime | None = None,
    acting_user: Any,
    actor_label: str = "",
) -> RegulatoryReport:
    """Record that ``report`` was submitted (through ENISA's Single Reporting Platform, or to
    the CSIRT for NIS2) with the platform's ``reference``, at ``submitted_at`` (default now),
    and return it. An incident's notification starts its final report's clock. Submitting
    twice is refused (InputError); so is a dismissed event's report."""
    _require_editor(acting_user, _report_product(report), "submitting a report")
    reference = reference.strip()
    if not reference:
        raise InputError("the submission reference is required", location="reference")
    if len(reference) > _REFERENCE_MAX:
        raise InputError(f"the reference is longer than {_REFERENCE_MAX} characters")
    report = RegulatoryReport.objects.select_for_update().get(pk=report.pk)
    if report.submitted_at is not None:
        raise InputError(f"the {report.kind} report {report.pk} was submitted already")
    if report.event is not None and report.event.state == EventState.DISMISSED:
        raise InputError(f"CRA event {report.event_id} is dismissed: re-open it first")
    report.submitted_at = moment_checked(submitted_at, "submitted_at")
    report.submitted_by = _user(acting_user)
    report.submission_reference = reference
    report.save(update_fields=["submitted_at", "submitted_by", "submission_reference"])
    owner: CraEvent | Nis2Record = report.event or report.record  # type: ignore[assignment]
    if report.kind == ReportKind.NOTIFICATION:
        reports_sync(owner)
    audit_record(
        action="compliance.report.submit",
        object_type="compliance.report",
        object_id=str(report.pk),
        data={
            "kind": report.kind,
            "event": report.event_id,
            "record": report.record_id,
            "reference": reference,
            "submitted_at": report.submitted_at.isoformat(),
            "due_at": report.due_at.isoformat() if report.due_at else None,
        },
        acting_user=acting_user,
        actor_label=actor_label,
    )
    return report
