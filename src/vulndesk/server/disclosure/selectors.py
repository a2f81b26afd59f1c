"""Reading reports and cases, and who may read them.

**Cases are need-to-know.** A case and everything in it (messages, attachments,
vulnerabilities, vendor statuses, participants, releases) is visible only to its participants:
users bound to a :class:`~vulndesk.server.disclosure.models.Participant` row of that case (an
accepted invitation, or the user who opened the case) that a coordinator has not removed, and
the reporter through the report's secret link. **Superusers are not participants by right**:
embargoed details must reach only those who coordinate or fix them, and an administrator who
needs to take part is invited like anyone else (the Django admin shows identifiers and states
only). Everyone else gets 404, the answer a missing case gets, never 403: they must not learn
that a case exists.

A participant's role decides what they may do (``disclosure.services`` checks it and raises
PermissionDenied, a 403, since the case is visible to them):

============  ====================================================================
coordinator   everything: invite, embargo decisions, vulnerabilities, approving
              statements, releases, closing; sees every vendor's statement
vendor        messages, its own statements and V/F/D flags, proposing an embargo,
              P/X/A flags; sees other vendors' statements once approved
reporter      messages, P/X/A flags; sees approved statements
observer      reads only; sees approved statements
============  ====================================================================

**Reports** are visible to the users of the receiving organisation (members of one of its
teams) who hold the Django permission ``disclosure.triage_report`` (granted through a group:
the organisation's PSIRT or coordinators), and to superusers; the reporter sees their own
report through the tracking id and secret only. Holding that permission also lets a user open a
case for the organisation.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from vulndesk.server.accounts.models import Organisation
from vulndesk.server.disclosure.models import (
    Case,
    CaseAttachment,
    CaseMessage,
    CaseRelease,
    CaseVulnerability,
    Participant,
    ParticipantRole,
    Report,
    ReportAttachment,
    ReportMessage,
    VendorStatus,
)

#: the Django permission that makes a user a coordinator of their organisation's reports
TRIAGE_PERMISSION = "disclosure.triage_report"


class CaseNotFound(Http404):
    """No such case, or one the caller does not take part in (the same answer on purpose)."""


def secret_digest(secret: str) -> str:
    """Return the SHA-256 hex digest a secret (report link, invitation) is stored as."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


# -- reports --------------------------------------------------------------------------------------


def triage_organisation_ids(user: Any) -> list[int] | None:
    """Return the ids of the organisations whose reports ``user`` may triage (None: every one,
    for superusers; ``[]`` for a user without the permission)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return []
    if user.is_superuser:
        return None
    if not user.has_perm(TRIAGE_PERMISSION):
        return []
    return sorted(
        set(Organisation.objects.filter(teams__members=user).values_list("id", flat=True))
    )


def can_triage(user: Any, organisation: Organisation) -> bool:
    """Return whether ``user`` may read and triage ``organisation``'s reports and open cases."""
    ids = triage_organisation_ids(user)
    return ids is None or organisation.pk in ids


def reports_visible(user: Any) -> QuerySet[Report]:
    """Return the reports ``user`` may see (newest first)."""
    ids = triage_organisation_ids(user)
    reports = Report.objects.select_related("organisation", "case")
    return reports if ids is None else reports.filter(organisation_id__in=ids)


def report_get(*, user: Any, tracking_id: str) -> Report | None:
    """Return the report for a staff user, or None when they may not see it (or it does not
    exist)."""
    return reports_visible(user).filter(tracking_id=tracking_id).first()


def report_for_reporter(*, tracking_id: str, secret: str) -> Report | None:
    """Return the report whose tracking id and secret are these, else None (a wrong secret and
    an unknown id answer alike; the digests are compared in constant time)."""
    if not tracking_id or not secret:
        return None
    report = Report.objects.select_related("organisation", "case").filter(tracking_id=tracking_id)
    found = report.first()
    if found is None or not hmac.compare_digest(found.secret_digest, secret_digest(secret)):
        return None
    return found


def report_messages(report: Report) -> QuerySet[ReportMessage]:
    """Return the report's thread, oldest first, with attachments and authors (the caller has
    checked that the report is visible: :func:`report_get` or :func:`report_for_reporter`)."""
    return (
        report.messages.select_related("author")
        .prefetch_related(Prefetch("attachments", ReportAttachment.objects.defer("content")))
        .order_by("created_at", "id")
    )


def report_attachments(report: Report) -> QuerySet[ReportAttachment]:
    """Return the report's attachments without their bytes (read one with
    :func:`report_attachment_get`)."""
    return report.attachments.defer("content").order_by("created_at", "id")


def report_attachment_get(report: Report, attachment_id: int) -> ReportAttachment:
    """Return one attachment of ``report`` with its bytes (the caller has checked that the
    report is visible); Http404 otherwise. Serve it with ``attachments.attachment_response``."""
    attachment = ReportAttachment.objects.filter(id=attachment_id, report=report).first()
    if attachment is None:
        raise CaseNotFound("no such attachment")
    return attachment


# -- cases: who is who ----------------------------------------------------------------------------


def participant_for(*, case_id: int, user: Any) -> Participant:
    """Return ``user``'s participant row of case ``case_id``; raise CaseNotFound (404) when
    there is none, whoever the user is (superusers included), or no such case."""
    if user is None or not user.is_authenticated or not user.is_active:
        raise CaseNotFound("no such case")
    participant = (
        Participant.objects.select_related("case", "case__organisation", "user")
        .filter(case_id=case_id, user=user, removed_at__isnull=True)
        .first()
    )
    if participant is None:
        raise CaseNotFound("no such case")
    return participant


def participant_for_reporter(*, tracking_id: str, secret: str) -> Participant:
    """Return the reporter's participant row of the case their report was accepted into, for
    the report's secret; raise CaseNotFound (404) for a wrong secret or a report not in a case."""
    report = report_for_reporter(tracking_id=tracking_id, secret=secret)
    if report is None or report.case_id is None:
        raise CaseNotFound("no such case")
    participant = (
        Participant.objects.select_related("case", "case__organisation")
        .filter(
            case_id=report.case_id,
            report=report,
            role=ParticipantRole.REPORTER,
            removed_at__isnull=True,
        )
        .first()
    )
    if participant is None:
        raise CaseNotFound("no such case")
    return participant


def cases_visible(user: Any) -> QuerySet[Case]:
    """Return the cases ``user`` takes part in, newest first (none for anonymous users; a
    superuser sees only the cases they take part in too)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Case.objects.none()
    return (
        # one filter() call: the same participant row must be the user's and not removed
        Case.objects.filter(participants__user=user, participants__removed_at__isnull=True)
        .select_related("organisation")
        .prefetch_related("participants")
        .distinct()
        .order_by("-created_at", "-id")
    )


def case_get(*, user: Any, case_id: int) -> Case | None:
    """Return the case if ``user`` takes part in it, else None."""
    return cases_visible(user).filter(id=case_id).first()


def case_participants(viewer: Participant) -> QuerySet[Participant]:
    """Return the participants of ``viewer``'s case, removed ones included (``removed_at``:
    what they wrote keeps its author)."""
    return viewer.case.participants.select_related("user").order_by("id")


# -- cases: what is in them -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MessageView:
    """A message as one participant sees it: ``unseen`` when created after their last visit."""

    message: CaseMessage
    unseen: bool


def case_messages(viewer: Participant) -> list[MessageView]:
    """Return the messages of ``viewer``'s case, oldest first (a reply comes after what it
    answers; ``parent_id`` links them), each marked unseen when posted after ``viewer`` last
    opened the case (their own messages are never unseen)."""
    messages = (
        CaseMessage.objects.filter(case_id=viewer.case_id)
        .select_related("author", "author__user")
        .prefetch_related(Prefetch("attachments", CaseAttachment.objects.defer("content")))
        .order_by("created_at", "id")
    )
    seen = viewer.seen_at
    return [
        MessageView(m, m.author_id != viewer.pk and (seen is None or m.created_at > seen))
        for m in messages
    ]


def message_seen_by(viewer: Participant, message: CaseMessage) -> list[Participant]:
    """Return the participants (other than the author) who opened the case since ``message``
    was posted: "who has seen what"."""
    if message.case_id != viewer.case_id:
        raise CaseNotFound("no such message")
    return list(
        Participant.objects.filter(case_id=message.case_id, seen_at__gte=message.created_at)
        .exclude(pk=message.author_id)
        .select_related("user")
        .order_by("id")
    )


def case_attachments(viewer: Participant) -> QuerySet[CaseAttachment]:
    """Return the attachments of ``viewer``'s case without their bytes."""
    return (
        CaseAttachment.objects.filter(case_id=viewer.case_id)
        .defer("content")
        .select_related("uploaded_by", "uploaded_by__user")
        .order_by("created_at", "id")
    )


def case_attachment_get(viewer: Participant, attachment_id: int) -> CaseAttachment:
    """Return one attachment of ``viewer``'s case with its bytes; CaseNotFound otherwise."""
    attachment = CaseAttachment.objects.filter(id=attachment_id, case_id=viewer.case_id).first()
    if attachment is None:
        raise CaseNotFound("no such attachment")
    return attachment


def case_vulnerabilities(viewer: Participant) -> QuerySet[CaseVulnerability]:
    """Return the vulnerabilities of ``viewer``'s case."""
    return CaseVulnerability.objects.filter(case_id=viewer.case_id).order_by("id")


def case_vulnerability_get(viewer: Participant, vulnerability_id: int) -> CaseVulnerability:
    """Return one vulnerability of ``viewer``'s case; CaseNotFound otherwise."""
    found = CaseVulnerability.objects.filter(id=vulnerability_id, case_id=viewer.case_id).first()
    if found is None:
        raise CaseNotFound("no such vulnerability in this case")
    return found


def vendor_statuses(viewer: Participant) -> QuerySet[VendorStatus]:
    """Return the vendor statuses of ``viewer``'s case that ``viewer`` may read: all of them
    for a coordinator; for anyone else the approved ones and, for a vendor, its own."""
    statuses = VendorStatus.objects.filter(vulnerability__case_id=viewer.case_id).select_related(
        "vulnerability", "vendor", "vendor__user", "approved_by", "updated_by"
    )
    if viewer.role != ParticipantRole.COORDINATOR:
        statuses = statuses.filter(Q(approved_at__isnull=False) | Q(vendor=viewer))
    return statuses.order_by("vulnerability_id", "vendor_id")


def vendor_status_get(viewer: Participant, status_id: int) -> VendorStatus:
    """Return one status ``viewer`` may read; CaseNotFound otherwise (another vendor's
    unapproved statement does not exist for them)."""
    found = vendor_statuses(viewer).filter(id=status_id).first()
    if found is None:
        raise CaseNotFound("no such status")
    return found


def case_releases(viewer: Participant) -> QuerySet[CaseRelease]:
    """Return the releases added to ``viewer``'s case, with product and release."""
    return (
        CaseRelease.objects.filter(case_id=viewer.case_id)
        .select_related("release", "release__product", "vulnerability")
        .order_by("id")
    )
