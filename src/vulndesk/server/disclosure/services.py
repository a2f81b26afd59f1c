"""Changing cases: accepting a report into one, participants and invitations, V/F/D flags,
messages and attachments, vulnerabilities, vendor statements, closing.

The rest of the writes are in sibling modules by topic: report intake and triage in
``disclosure.reports``, the embargo and the P/X/A flags in ``disclosure.embargo``, releases
in ``disclosure.impact``; the input and role checks they share in ``disclosure.checks``.

Every function here that changes something runs in one transaction and writes an audit row for
each state change in it (``audit.services.audit_record``); the notices it causes (invitations,
new messages, approved statements, the reporter's status) are queued in the same transaction
and go out after it commits (``disclosure.notify``). Audit rows name objects by id and
state, never by content (titles, bodies and statements stay in the case, which is need-to-know).

Case functions take ``actor``: the caller's :class:`Participant` row, obtained from
``selectors.participant_for(case_id=..., user=...)`` (404 for a non-participant) or
``selectors.participant_for_reporter(...)`` (the reporter's secret link). An object of another
case passed with it is a 404 (CaseNotFound); a participant whose role may not make the change
gets PermissionDenied (403); bad input raises InputError naming the value. The rights of each
role are in the ``disclosure.selectors`` docstring.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from datetime import timedelta
from typing import Any, Final

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from vulndesk.core.errors import InputError
from vulndesk.server.accounts.models import Organisation
from vulndesk.server.audit.services import audit_record
from vulndesk.server.disclosure import notify
from vulndesk.server.disclosure.attachments import CheckedFile, Upload, uploads_check
from vulndesk.server.disclosure.checks import (
    actor_label,
    check_transition,
    clean_cvss,
    clean_email,
    clean_purl,
    clean_text,
    clean_vers,
    locked_case,
    open_case,
    require_role,
    require_triage,
    same_case,
    user_or_none,
)
from vulndesk.server.disclosure.embargo import embargo_change
from vulndesk.server.disclosure.models import (
    RM_TRANSITIONS,
    Case,
    CaseAttachment,
    CaseMessage,
    CaseVulnerability,
    EmbargoState,
    Participant,
    ParticipantRole,
    Report,
    RmState,
    VendorStatus,
    VendorStatusValue,
)
from vulndesk.server.disclosure.selectors import (
    can_triage,
    secret_digest,
)

__all__ = [
    "INVITATION_VALID_DAYS",
    "VENDOR_FLAGS",
    "case_attachment_add",
    "case_close",
    "case_create",
    "case_mark_seen",
    "case_message_post",
    "case_vulnerability_add",
    "case_vulnerability_update",
    "invitation_accept",
    "participant_flag_set",
    "participant_invite",
    "participant_remove",
    "participant_update",
    "report_accept",
    "vendor_status_approve",
    "vendor_status_set",
]

#: an invitation not accepted within this many days is void (invite again)
INVITATION_VALID_DAYS: Final = 30
#: the per-vendor Vultron flags (V, F, D), in the order they become true: name -> field
VENDOR_FLAGS: Final = {
    "vendor_aware": "vendor_aware_at",
    "fix_ready": "fix_ready_at",
    "fix_deployed": "fix_deployed_at",
}
_CVE: Final = re.compile(r"CVE-\d{4}-\d{4,}")
_CWE: Final = re.compile(r"CWE-\d{1,6}")
_COORDINATOR: Final = (ParticipantRole.COORDINATOR,)


@transaction.atomic
def report_accept(*, report: Report, acting_user: Any, title: str = "", summary: str = "") -> Case:
    """Accept ``report`` into a new case of its organisation and return the case.

    The report must be valid or deferred (RM: accepted). ``acting_user`` becomes the case's
    coordinator; the reporter becomes a participant with role reporter, reached through the
    report's secret link (no user account), in RM state accepted. ``title`` defaults to the
    report's.
    """
    require_triage(report, acting_user)
    report = Report.objects.select_for_update().get(pk=report.pk)
    if report.case_id is not None:
        raise InputError(f"report {report.tracking_id} is already in case {report.case}")
    check_transition(RM_TRANSITIONS, report.state, RmState.ACCEPTED, f"report {report.tracking_id}")
    case = _case_new(
        organisation=report.organisation,
        title=title or report.title,
        summary=summary,
        acting_user=acting_user,
    )
    reporter = Participant.objects.create(
        case=case,
        report=report,
        role=ParticipantRole.REPORTER,
        email=report.reporter_email,
        rm_state=RmState.ACCEPTED,
        accepted_at=timezone.now(),
    )
    previous = report.state
    report.state = RmState.ACCEPTED
    report.case = case
    report.save(update_fields=["state", "case", "updated_at"])
    audit_record(
        action="report.accept",
        object_type="disclosure.report",
        object_id=report.tracking_id,
        data={"from": previous, "to": report.state, "case": case.identifier},
        acting_user=acting_user,
    )
    _audit_participant(reporter, "participant.add", {"role": reporter.role}, acting_user)
    notify.notify_report_state(report)
    return case


# -- cases and participants -----------------------------------------------------------------------


@transaction.atomic
def case_create(
    *, organisation: Organisation, title: str, acting_user: Any, summary: str = ""
) -> Case:
    """Open a case of ``organisation`` and return it; ``acting_user`` (a triager of the
    organisation, else PermissionDenied) becomes its coordinator."""
    if not can_triage(acting_user, organisation):
        raise PermissionDenied(
            f"opening a case for {organisation.name} needs the triage_report permission"
        )
    return _case_new(
        organisation=organisation, title=title, summary=summary, acting_user=acting_user
    )


def _case_new(*, organisation: Organisation, title: str, summary: str, acting_user: Any) -> Case:
    """Create a case with the next identifier of the year and its coordinator participant."""
    year = timezone.now().year
    title = clean_text(title, "title", 300, required=True)
    summary = clean_text(summary, "summary", 100_000)
    serial = Case.objects.filter(identifier__startswith=f"VDC-{year}-").count() + 1
    for _ in range(100):
        try:
            with transaction.atomic():
                case = Case.objects.create(
                    organisation=organisation,
                    identifier=f"VDC-{year}-{serial:04d}",
                    title=title,
                    summary=summary,
                    created_by=user_or_none(acting_user),
                )
            break
        except IntegrityError:  # taken by a concurrent case (or a gap): the next one
            serial += 1
    else:  # pragma: no cover - a hundred identifiers taken in a row
        raise InputError(f"no free case identifier after VDC-{year}-{serial:04d}")
    now = timezone.now()
    coordinator = Participant.objects.create(
        case=case,
        user=user_or_none(acting_user),
        role=ParticipantRole.COORDINATOR,
        organisation_name=organisation.name,
        rm_state=RmState.ACCEPTED,
        accepted_at=now,
        seen_at=now,
    )
    audit_record(
        action="case.create",
        object_type="disclosure.case",
        object_id=str(case.pk),
        data={"identifier": case.identifier, "organisation": organisation.slug},
        acting_user=acting_user,
    )
    _audit_participant(coordinator, "participant.add", {"role": coordinator.role}, acting_user)
    return case


@transaction.atomic
def participant_invite(
    *, actor: Participant, email: str, role: str, organisation_name: str = ""
) -> tuple[Participant, str]:
    """Invite a contact into ``actor``'s case (coordinators only) and return the participant
    and the one-time invitation secret (only its digest is kept; it is void after
    ``INVITATION_VALID_DAYS`` days or once used). An invited vendor counts as notified now.
    The contact is mailed the invitation link when the transaction commits
    (``notify.invitation_notice``)."""
    require_role(actor, _COORDINATOR, "inviting participants")
    case = open_case(actor)
    email = clean_email(email)
    if not email:
        raise InputError("an invitation needs the contact's e-mail address")
    if str(role) not in ParticipantRole.values:
        raise InputError(f"unknown role {role!r}: one of {', '.join(ParticipantRole.values)}")
    secret = "vdi_" + secrets.token_urlsafe(32)
    now = timezone.now()
    participant = Participant.objects.create(
        case=case,
        email=email,
        organisation_name=clean_text(organisation_name, "organisation", 200),
        role=str(role),
        invitation_digest=secret_digest(secret),
        invited_at=now,
        invited_by=actor.user,
        notified_at=now,
    )
    _audit_participant(
        participant, "participant.invite", {"role": participant.role}, actor.user, actor
    )
    notify.invitation_notice(participant, secret)
    return participant, secret


@transaction.atomic
def invitation_accept(*, secret: str, user: Any) -> Participant:
    """Bind ``user`` to the participant the invitation ``secret`` was made for and return it.

    The secret works once, within ``INVITATION_VALID_DAYS`` days. The participant's RM state
    becomes received, and a vendor becomes aware (V) now if it was not yet.
    """
    if user is None or not user.is_authenticated:
        raise PermissionDenied("accepting an invitation needs a logged-in user")
    participant = (
        Participant.objects.select_for_update()
        .filter(
            invitation_digest=secret_digest(secret or ""),
            accepted_at__isnull=True,
            removed_at__isnull=True,
        )
        .first()
        if secret
        else None
    )
    expired = (
        participant is not None
        and participant.invited_at is not None
        and (participant.invited_at < timezone.now() - timedelta(days=INVITATION_VALID_DAYS))
    )
    if participant is None or expired:
        raise InputError("this invitation is not valid: wrong, already used or expired")
    mine = Participant.objects.filter(case_id=participant.case_id, user=user).first()
    if mine is not None:
        if mine.removed_at is not None:
            raise InputError("you were removed from this case: ask its coordinator")
        raise InputError("you already take part in this case")
    now = timezone.now()
    participant.user = user
    participant.accepted_at = now
    participant.invitation_digest = ""
    if participant.rm_state == RmState.START:
        participant.rm_state = RmState.RECEIVED
    changes: dict[str, Any] = {"role": participant.role, "rm_state": participant.rm_state}
    if participant.role == ParticipantRole.VENDOR and participant.vendor_aware_at is None:
        participant.vendor_aware_at = now
        changes["vendor_aware"] = True
    participant.save()
    _audit_participant(participant, "participant.accept", changes, user)
    return participant


@transaction.atomic
def participant_update(
    *,
    actor: Participant,
    participant: Participant,
    role: str | None = None,
    rm_state: str | None = None,
) -> Participant:
    """Change ``participant``'s role (coordinators only; a case keeps at least one
    coordinator) or RM state (along ``RM_TRANSITIONS``; the participant itself or a
    coordinator) and return it."""
    same_case(actor, participant.case_id)
    participant = Participant.objects.select_for_update().get(pk=participant.pk)
    is_coordinator = actor.role == ParticipantRole.COORDINATOR
    if role is not None and str(role) != participant.role:
        if not is_coordinator:
            raise PermissionDenied("changing a participant's role needs the coordinator role")
        if str(role) not in ParticipantRole.values:
            raise InputError(f"unknown role {role!r}: one of {', '.join(ParticipantRole.values)}")
        if participant.role == ParticipantRole.COORDINATOR and not _other_coordinators(participant):
            raise InputError("a case needs a coordinator: name another one first")
        previous, participant.role = participant.role, str(role)
        participant.save(update_fields=["role"])
        _audit_participant(
            participant, "participant.role", {"from": previous, "to": role}, actor.user, actor
        )
    if rm_state is not None and str(rm_state) != participant.rm_state:
        if not is_coordinator and participant.pk != actor.pk:
            raise PermissionDenied("only the participant or a coordinator sets its report state")
        if str(rm_state) not in RmState.values:
            raise InputError(f"unknown report state {rm_state!r}")
        check_transition(
            RM_TRANSITIONS, participant.rm_state, str(rm_state), f"participant {participant.pk}"
        )
        previous, participant.rm_state = participant.rm_state, str(rm_state)
        participant.save(update_fields=["rm_state"])
        _audit_participant(
            participant, "participant.rm_state", {"from": previous, "to": rm_state}, actor.user,
            actor,
        )  # fmt: skip
    return participant


@transaction.atomic
def participant_remove(*, actor: Participant, participant: Participant) -> Participant:
    """Take ``participant`` out of ``actor``'s case (coordinators only) and return it: from now
    on the case does not exist for them (404), a pending invitation is void, and what they
    wrote keeps its author. A case keeps at least one coordinator; the reporter's link is
    removed like any participant."""
    require_role(actor, _COORDINATOR, "removing participants")
    same_case(actor, participant.case_id)
    participant = Participant.objects.select_for_update().get(pk=participant.pk)
    if participant.removed_at is not None:
        return participant
    if participant.role == ParticipantRole.COORDINATOR and not _other_coordinators(participant):
        raise InputError("a case needs a coordinator: name another one first")
    participant.removed_at = timezone.now()
    participant.invitation_digest = ""
    participant.save(update_fields=["removed_at", "invitation_digest"])
    _audit_participant(participant, "participant.remove", {"role": participant.role}, actor.user)
    return participant


@transaction.atomic
def participant_flag_set(*, actor: Participant, participant: Participant, flag: str) -> Participant:
    """Set a vendor's V, F or D flag (``vendor_aware``, ``fix_ready``, ``fix_deployed``) now
    and return the vendor; the vendor itself or a coordinator. Flags come in order (a fix is
    deployed after it is ready, ready after the vendor is aware) and are set once: setting one
    again changes nothing."""
    same_case(actor, participant.case_id)
    if flag not in VENDOR_FLAGS:
        raise InputError(f"unknown vendor flag {flag!r}: one of {', '.join(VENDOR_FLAGS)}")
    if participant.role != ParticipantRole.VENDOR:
        raise InputError(f"{participant.label} is not a vendor of the case")
    if actor.role != ParticipantRole.COORDINATOR and actor.pk != participant.pk:
        raise PermissionDenied("only the vendor itself or a coordinator sets its flags")
    open_case(actor)
    participant = Participant.objects.select_for_update().get(pk=participant.pk)
    field = VENDOR_FLAGS[flag]
    if getattr(participant, field) is not None:
        return participant
    order = list(VENDOR_FLAGS)
    missing = [
        f for f in order[: order.index(flag)] if getattr(participant, VENDOR_FLAGS[f]) is None
    ]
    if missing:
        raise InputError(f"{flag} needs {' and '.join(missing)} first")
    setattr(participant, field, timezone.now())
    participant.save(update_fields=[field])
    _audit_participant(
        participant, f"participant.{flag}", {"vfd": participant.vfd}, actor.user, actor
    )
    return participant


@transaction.atomic
def case_mark_seen(*, actor: Participant) -> Participant:
    """Record that ``actor`` opened the case now (their unseen messages become seen) and
    return them. A page that shows the case calls this on its POST, never on GET."""
    actor.seen_at = timezone.now()
    Participant.objects.filter(pk=actor.pk).update(seen_at=actor.seen_at)
    _audit_participant(actor, "participant.seen", {}, actor.user, actor)
    return actor


# -- messages and attachments ---------------------------------------------------------------------


@transaction.atomic
def case_message_post(
    *,
    actor: Participant,
    body: str,
    parent: CaseMessage | None = None,
    attachments: Sequence[Upload] = (),
) -> CaseMessage:
    """Post a message (answering ``parent``, a message of the same case) with attachments to
    ``actor``'s case and return it. Observers only read; a closed case takes no messages. The
    other participants are told "a new message in case VDC-…" (``notify.notify_message``)."""
    if actor.role == ParticipantRole.OBSERVER:
        raise PermissionDenied("observers read the case; they do not post")
    case = open_case(actor)
    if parent is not None:
        same_case(actor, parent.case_id)
    checked = uploads_check(attachments)
    message = CaseMessage.objects.create(
        case=case,
        author=actor,
        parent=parent,
        body=clean_text(body, "message", 100_000, required=True),
    )
    for file in checked:
        _case_attachment(case, message, actor, file)
    audit_record(
        action="case.message",
        object_type="disclosure.case",
        object_id=str(case.pk),
        data={"message": message.pk, "author": actor.pk, "attachments": len(checked)},
        acting_user=actor.user,
        actor_label=actor_label(actor),
    )
    notify.notify_message(message)
    return message


@transaction.atomic
def case_attachment_add(
    *, actor: Participant, upload: Upload, message: CaseMessage | None = None
) -> CaseAttachment:
    """Attach a file to ``actor``'s case (to ``message`` when given: the author's own) and
    return it; refused files raise InputError (``disclosure.attachments``)."""
    if actor.role == ParticipantRole.OBSERVER:
        raise PermissionDenied("observers read the case; they do not post")
    case = open_case(actor)
    if message is not None:
        same_case(actor, message.case_id)
        if message.author_id != actor.pk:
            raise PermissionDenied("files are added to one's own messages only")
    (file,) = uploads_check([upload])
    attachment = _case_attachment(case, message, actor, file)
    audit_record(
        action="case.attachment",
        object_type="disclosure.case",
        object_id=str(case.pk),
        data={"attachment": attachment.pk, "sha256": file.sha256, "size": file.size},
        acting_user=actor.user,
        actor_label=actor_label(actor),
    )
    return attachment


# -- vulnerabilities and statements ---------------------------------------------------------------


@transaction.atomic
def case_vulnerability_add(
    *,
    actor: Participant,
    title: str,
    cve_id: str = "",
    description: str = "",
    cwe: str = "",
    cvss_vector: str = "",
    component_purl: str = "",
    affected_range: str = "",
) -> CaseVulnerability:
    """Add a vulnerability to ``actor``'s case (coordinators only) and return it.

    ``component_purl`` is kept without its version (the package); ``affected_range`` is a
    ``vers:`` range (``vers:pypi/>=2.3.0|<2.31.0``) of that package's versions.
    """
    require_role(actor, _COORDINATOR, "adding vulnerabilities")
    case = open_case(actor)
    vulnerability = CaseVulnerability(case=case)
    _vulnerability_fields(
        vulnerability,
        title=title, cve_id=cve_id, description=description, cwe=cwe, cvss_vector=cvss_vector,
        component_purl=component_purl, affected_range=affected_range,
    )  # fmt: skip
    vulnerability.save()
    audit_record(
        action="case.vulnerability_add",
        object_type="disclosure.case",
        object_id=str(case.pk),
        data={"vulnerability": vulnerability.pk, "cve": vulnerability.cve_id},
        acting_user=actor.user,
        actor_label=actor_label(actor),
    )
    return vulnerability


@transaction.atomic
def case_vulnerability_update(
    *, actor: Participant, vulnerability: CaseVulnerability, **changes: str
) -> CaseVulnerability:
    """Change fields of a vulnerability (coordinators only; e.g. the CVE id once reserved)
    and return it. ``changes`` takes the keyword arguments of :func:`case_vulnerability_add`."""
    require_role(actor, _COORDINATOR, "changing vulnerabilities")
    same_case(actor, vulnerability.case_id)
    open_case(actor)
    allowed = {"title", "cve_id", "description", "cwe", "cvss_vector", "component_purl",
               "affected_range"}  # fmt: skip
    unknown = set(changes) - allowed
    if unknown:
        raise InputError(f"unknown vulnerability fields: {', '.join(sorted(unknown))}")
    current = {name: getattr(vulnerability, name) for name in allowed}
    stored_id, stored_state = CaseVulnerability.objects.filter(pk=vulnerability.pk).values_list(
        "cve_id", "cve_state"
    )[0]
    _vulnerability_fields(vulnerability, **{**current, **changes})
    if stored_state and vulnerability.cve_id != stored_id:
        # the id is CVE Services' (disclosure.cve): reject it there instead of retyping it
        raise InputError(f"{stored_id} is {stored_state} at CVE Services: it stays")
    vulnerability.save()
    audit_record(
        action="case.vulnerability_update",
        object_type="disclosure.case",
        object_id=str(vulnerability.case_id),
        data={"vulnerability": vulnerability.pk, "fields": sorted(changes)},
        acting_user=actor.user,
        actor_label=actor_label(actor),
    )
    return vulnerability


@transaction.atomic
def vendor_status_set(
    *,
    actor: Participant,
    vulnerability: CaseVulnerability,
    status: str,
    statement: str = "",
    vendor: Participant | None = None,
) -> VendorStatus:
    """Record ``vendor``'s status on ``vulnerability`` (default: ``actor``, who must be a
    vendor; a coordinator may record it for any vendor of the case) and return it. Any change
    clears an earlier approval: other participants see the new statement once a coordinator
    approves it again."""
    same_case(actor, vulnerability.case_id)
    vendor = vendor or actor
    same_case(actor, vendor.case_id)
    if vendor.role != ParticipantRole.VENDOR:
        raise InputError(f"{vendor.label} is not a vendor of the case")
    if actor.role != ParticipantRole.COORDINATOR and actor.pk != vendor.pk:
        raise PermissionDenied("a vendor states its own status only")
    if str(status) not in VendorStatusValue.values:
        raise InputError(f"unknown status {status!r}: one of {', '.join(VendorStatusValue.values)}")
    open_case(actor)
    statement = clean_text(statement, "statement", 20_000)
    row = (
        VendorStatus.objects.select_for_update()
        .filter(vulnerability=vulnerability, vendor=vendor)
        .first()
    )
    previous = row.status if row is not None else None
    if row is not None and row.status == str(status) and row.statement == statement:
        return row
    row = row or VendorStatus(vulnerability=vulnerability, vendor=vendor)
    row.status = str(status)
    row.statement = statement
    row.updated_by = actor
    row.updated_at = timezone.now()
    row.approved_at = None
    row.approved_by = None
    row.save()
    audit_record(
        action="case.vendor_status",
        object_type="disclosure.case",
        object_id=str(vulnerability.case_id),
        data={
            "status_id": row.pk,
            "vendor": vendor.pk,
            "vulnerability": vulnerability.pk,
            "from": previous,
            "to": row.status,
        },
        acting_user=actor.user,
        actor_label=actor_label(actor),
    )
    return row


@transaction.atomic
def vendor_status_approve(*, actor: Participant, status: VendorStatus) -> VendorStatus:
    """Approve a vendor's statement for the other participants to see (coordinators only)
    and return it; approving it again changes nothing."""
    require_role(actor, _COORDINATOR, "approving statements")
    same_case(actor, status.vulnerability.case_id)
    status = VendorStatus.objects.select_for_update().get(pk=status.pk)
    if status.approved_at is not None:
        return status
    status.approved_at = timezone.now()
    status.approved_by = actor
    status.save(update_fields=["approved_at", "approved_by"])
    audit_record(
        action="case.vendor_status_approve",
        object_type="disclosure.case",
        object_id=str(actor.case_id),
        data={"status_id": status.pk, "vendor": status.vendor_id, "status": status.status},
        acting_user=actor.user,
        actor_label=actor_label(actor),
    )
    notify.notify_status_approved(status, actor)
    return status


@transaction.atomic
def case_close(*, actor: Participant) -> Case:
    """Close ``actor``'s case (coordinators only) and return it; an embargo still in force is
    exited ("case closed"). A closed case is read-only."""
    require_role(actor, _COORDINATOR, "closing the case")
    case = locked_case(actor)
    if case.closed_at is not None:
        return case
    if case.embargo_state in (EmbargoState.ACTIVE, EmbargoState.REVISED):
        fields = {"embargo_exit_reason": "case closed", "proposed_end_at": None}
        embargo_change(case, actor, EmbargoState.EXITED, fields, {})
    elif case.embargo_state == EmbargoState.PROPOSED:
        embargo_change(case, actor, EmbargoState.NONE, {"embargo_end_at": None}, {})
    case.closed_at = timezone.now()
    case.save(update_fields=["closed_at"])
    audit_record(
        action="case.close",
        object_type="disclosure.case",
        object_id=str(case.pk),
        data={"identifier": case.identifier, "vfdpxa": case.vfdpxa},
        acting_user=actor.user,
        actor_label=actor_label(actor),
    )
    return case


# -- helpers --------------------------------------------------------------------------------------


def _other_coordinators(participant: Participant) -> bool:
    return (
        Participant.objects.filter(
            case_id=participant.case_id, role=ParticipantRole.COORDINATOR, removed_at__isnull=True
        )
        .exclude(pk=participant.pk)
        .exists()
    )


def _audit_participant(
    participant: Participant,
    action: str,
    data: dict[str, Any],
    acting_user: Any,
    actor: Participant | None = None,
) -> None:
    audit_record(
        action=action,
        object_type="disclosure.participant",
        object_id=str(participant.pk),
        data={"case": participant.case_id, **data},
        acting_user=acting_user,
        actor_label=actor_label(actor) if actor is not None and acting_user is None else "",
    )


def _vulnerability_fields(vulnerability: CaseVulnerability, **fields: str) -> None:
    cve = clean_text(fields["cve_id"], "CVE id", 30).upper()
    if cve and not _CVE.fullmatch(cve):
        raise InputError(f"{cve!r} is not a CVE id (CVE-2026-12345)")
    cwe = clean_text(fields["cwe"], "CWE", 20).upper()
    if cwe and not _CWE.fullmatch(cwe):
        raise InputError(f"{cwe!r} is not a CWE id (CWE-79)")
    vulnerability.title = clean_text(fields["title"], "title", 300, required=True)
    vulnerability.cve_id = cve
    vulnerability.cwe = cwe
    vulnerability.description = clean_text(fields["description"], "description", 100_000)
    vulnerability.cvss_vector = clean_cvss(fields["cvss_vector"])
    vulnerability.component_purl = clean_purl(fields["component_purl"], keep_version=False)
    vulnerability.affected_range = clean_vers(fields["affected_range"])


def _case_attachment(
    case: Case, message: CaseMessage | None, actor: Participant, file: CheckedFile
) -> CaseAttachment:
    return CaseAttachment.objects.create(
        case=case,
        message=message,
        uploaded_by=actor,
        file_name=file.file_name,
        declared_type=file.declared_type,
        content_type=file.content_type,
        size=file.size,
        sha256=file.sha256,
        content=file.content,
    )
