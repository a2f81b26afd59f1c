"""The embargo of a case and its public flags (Vultron EM and P/X/A).

One embargo per case, along ``models.EMBARGO_TRANSITIONS``: proposed, accepted (active), a
revision proposed while it stays in force (revised), exited. It ends at noon UTC of the chosen
day unless a time is given. Public awareness, a public exploit or observed attacks (P, X, A)
end it at once: a pending proposal is dropped, an active embargo exited, each change audited.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any, Final

from django.db import transaction
from django.utils import timezone

from vulndesk.core.errors import InputError
from vulndesk.server.audit.services import audit_record
from vulndesk.server.disclosure import notify
from vulndesk.server.disclosure.checks import (
    TransitionRefused,
    actor_label,
    check_transition,
    clean_text,
    locked_case,
    require_role,
)
from vulndesk.server.disclosure.models import (
    EMBARGO_TRANSITIONS,
    Case,
    EmbargoState,
    Participant,
    ParticipantRole,
)

__all__ = [
    "CASE_FLAGS",
    "DEFAULT_EMBARGO_HOUR",
    "case_flag_set",
    "embargo_accept",
    "embargo_change",
    "embargo_end_default",
    "embargo_exit",
    "embargo_propose",
    "embargo_reject",
    "embargoes_exit_expired",
]

#: embargoes end at this hour UTC of the chosen day unless a time is given
DEFAULT_EMBARGO_HOUR: Final = 12
#: the case-wide Vultron flags (P, X, A): name -> Case field
CASE_FLAGS: Final = {
    "public_aware": "public_aware_at",
    "exploit_public": "exploit_public_at",
    "attacks_observed": "attacks_observed_at",
}
_COORDINATOR: Final = (ParticipantRole.COORDINATOR,)


def embargo_end_default(day: date) -> datetime:
    """Return when an embargo chosen to end on ``day`` ends: ``DEFAULT_EMBARGO_HOUR`` (noon)
    UTC that day."""
    return datetime.combine(day, time(DEFAULT_EMBARGO_HOUR), tzinfo=UTC)


@transaction.atomic
def embargo_propose(*, actor: Participant, end: date | datetime) -> Case:
    """Propose an embargo ending at ``end`` (a day: noon UTC of it) and return the case.

    No embargo yet: the case's embargo becomes proposed. An active one becomes revised: the
    agreed end stays in force until a coordinator accepts the new one. A pending proposal or
    revision is replaced. Coordinators and vendors propose; a case whose vulnerability is
    already public (P, X or A) or whose embargo was exited takes none.
    """
    require_role(
        actor, (ParticipantRole.COORDINATOR, ParticipantRole.VENDOR), "proposing an embargo"
    )
    case = locked_case(actor)
    end_at = embargo_end_default(end) if not isinstance(end, datetime) else end
    if timezone.is_naive(end_at):
        raise InputError(f"the embargo end {end_at.isoformat()} needs a time zone")
    end_at = end_at.astimezone(UTC)
    if end_at <= timezone.now():
        raise InputError(f"the embargo end {end_at.isoformat()} is not in the future")
    public = [name for name, field in CASE_FLAGS.items() if getattr(case, field) is not None]
    if public:
        raise InputError(f"no embargo for case {case.identifier}: already {', '.join(public)}")
    current = case.embargo_state
    if current in (EmbargoState.NONE, EmbargoState.PROPOSED):
        new, fields = EmbargoState.PROPOSED, {"embargo_end_at": end_at}
    elif current in (EmbargoState.ACTIVE, EmbargoState.REVISED):
        new, fields = EmbargoState.REVISED, {"proposed_end_at": end_at}
    else:
        raise TransitionRefused(f"the embargo of case {case.identifier} has ended; no new one")
    return embargo_change(case, actor, new, fields, {"proposed_end": end_at.isoformat()})


@transaction.atomic
def embargo_accept(*, actor: Participant) -> Case:
    """Accept the pending proposal (-> active) or revision (-> active with the new end) and
    return the case; coordinators only."""
    require_role(actor, _COORDINATOR, "accepting an embargo")
    case = locked_case(actor)
    if case.embargo_state == EmbargoState.PROPOSED:
        if case.embargo_end_at is not None and case.embargo_end_at <= timezone.now():
            raise InputError("the proposed end has passed: propose another one")
        return embargo_change(case, actor, EmbargoState.ACTIVE, {}, {})
    if case.embargo_state == EmbargoState.REVISED:
        fields = {"embargo_end_at": case.proposed_end_at, "proposed_end_at": None}
        return embargo_change(case, actor, EmbargoState.ACTIVE, fields, {"revision": "accepted"})
    raise TransitionRefused(
        f"the embargo of case {case.identifier} is {case.embargo_state!r}: nothing to accept"
    )


@transaction.atomic
def embargo_reject(*, actor: Participant) -> Case:
    """Reject the pending proposal (-> none) or revision (-> active, the agreed end kept) and
    return the case; coordinators only."""
    require_role(actor, _COORDINATOR, "rejecting an embargo proposal")
    case = locked_case(actor)
    if case.embargo_state == EmbargoState.PROPOSED:
        return embargo_change(case, actor, EmbargoState.NONE, {"embargo_end_at": None}, {})
    if case.embargo_state == EmbargoState.REVISED:
        fields = {"proposed_end_at": None}
        return embargo_change(case, actor, EmbargoState.ACTIVE, fields, {"revision": "rejected"})
    raise TransitionRefused(
        f"the embargo of case {case.identifier} is {case.embargo_state!r}: nothing to reject"
    )


@transaction.atomic
def embargo_exit(*, actor: Participant, reason: str = "") -> Case:
    """End the active embargo now (-> exited) and return the case; coordinators only."""
    require_role(actor, _COORDINATOR, "ending an embargo")
    case = locked_case(actor)
    reason = clean_text(reason, "reason", 200) or "ended by a coordinator"
    return embargo_change(case, actor, EmbargoState.EXITED, {"embargo_exit_reason": reason}, {})


@transaction.atomic
def embargoes_exit_expired(*, now: datetime | None = None) -> int:
    """Mark every active or revised embargo whose end has passed exited (reason "ended") and
    return how many; run by the worker (audited as ``worker``)."""
    now = now or timezone.now()
    due = Case.objects.select_for_update().filter(
        embargo_state__in=[EmbargoState.ACTIVE, EmbargoState.REVISED], embargo_end_at__lte=now
    )
    count = 0
    for case in due:
        embargo_change(case, None, EmbargoState.EXITED, {"embargo_exit_reason": "ended"}, {})
        count += 1
    return count


@transaction.atomic
def case_flag_set(*, actor: Participant, flag: str) -> Case:
    """Set a case-wide flag (``public_aware``, ``exploit_public``, ``attacks_observed``) now
    and return the case; coordinators, vendors and the reporter. A flag is set once (again:
    nothing changes). P, X or A during an embargo ends it: a proposal is dropped (-> none), an
    active or revised embargo is exited, each change audited."""
    if flag not in CASE_FLAGS:
        raise InputError(f"unknown case flag {flag!r}: one of {', '.join(CASE_FLAGS)}")
    require_role(
        actor,
        (ParticipantRole.COORDINATOR, ParticipantRole.VENDOR, ParticipantRole.REPORTER),
        "setting case flags",
    )
    case = locked_case(actor)
    field = CASE_FLAGS[flag]
    if getattr(case, field) is not None:
        return case
    setattr(case, field, timezone.now())
    case.save(update_fields=[field])
    audit_record(
        action=f"case.{flag}",
        object_type="disclosure.case",
        object_id=str(case.pk),
        data={"vfdpxa": case.vfdpxa},
        acting_user=actor.user,
        actor_label=actor_label(actor),
    )
    if flag == "attacks_observed":  # CRA: an actively exploited vulnerability of EU products
        from vulndesk.server.compliance.detection import cra_events_from_case

        cra_events_from_case(case)
    reason = f"{flag.replace('_', ' ')} during the embargo"
    if case.embargo_state == EmbargoState.PROPOSED:
        embargo_change(case, actor, EmbargoState.NONE, {"embargo_end_at": None}, {"why": reason})
    elif case.embargo_state in (EmbargoState.ACTIVE, EmbargoState.REVISED):
        fields = {"embargo_exit_reason": reason, "proposed_end_at": None}
        embargo_change(case, actor, EmbargoState.EXITED, fields, {})
    return case


def embargo_change(
    case: Case,
    actor: Participant | None,
    new: str,
    fields: dict[str, Any],
    data: dict[str, Any],
) -> Case:
    """Move ``case``'s embargo to ``new`` (checked against ``EMBARGO_TRANSITIONS``; the same
    state is a replaced proposal), set ``fields``, audit, return the case."""
    current = case.embargo_state
    if new != current:
        check_transition(EMBARGO_TRANSITIONS, current, new, f"the embargo of {case.identifier}")
    case.embargo_state = new
    for name, value in fields.items():
        setattr(case, name, value)
    case.save(update_fields=["embargo_state", *fields])
    audit_record(
        action="case.embargo",
        object_type="disclosure.case",
        object_id=str(case.pk),
        data={
            "from": current,
            "to": new,
            "end": case.embargo_end_at.isoformat() if case.embargo_end_at else None,
            "reason": case.embargo_exit_reason if new == EmbargoState.EXITED else "",
            **data,
        },
        acting_user=actor.user if actor is not None else None,
        actor_label=actor_label(actor) if actor is not None else "worker",
    )
    notify.notify_embargo(case, current)
    return case
