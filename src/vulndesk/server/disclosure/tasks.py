"""Background tasks of disclosure (run by ``vulndesk worker``).

- :func:`disclosure_periodic`, queued by the worker's beat every few minutes
  (``jobs.worker.VulndeskWorker.schedule_disclosure``): exits the embargoes whose end has passed
  (until it runs, ``Case.embargo_in_force`` already answers False, so nothing shows a passed
  embargo as holding), queues the reminders that are due (``disclosure.reminders``) and sends
  the notices waiting in the outbox (``disclosure.notify``);
- :func:`deliver_case_notices`, queued when a change commits with notices to send;
- :func:`exit_expired_embargoes`, the embargo part alone.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.tasks import task


@task()
def exit_expired_embargoes() -> dict[str, Any]:
    """Exit every active embargo whose end has passed (``embargo.embargoes_exit_expired``)."""
    from vulndesk.server.disclosure.embargo import embargoes_exit_expired

    return {"exited": embargoes_exit_expired()}


@task()
def deliver_case_notices() -> dict[str, Any]:
    """Send the case notices that are due (``notify.notices_deliver``); return the counts."""
    from vulndesk.server.disclosure.notify import notices_deliver

    return notices_deliver().as_dict()


@task()
def disclosure_periodic() -> dict[str, Any]:
    """Exit passed embargoes, queue due reminders and send due notices; return what was done
    (``disclosure_run``)."""
    return disclosure_run()


def disclosure_run(*, now: datetime | None = None) -> dict[str, Any]:
    """Do the periodic disclosure work at ``now`` (default: the current time) and return the
    counts: embargoes exited, reminders queued, notices sent."""
    from vulndesk.server.disclosure.embargo import embargoes_exit_expired
    from vulndesk.server.disclosure.notify import notices_deliver
    from vulndesk.server.disclosure.reminders import reminders_send

    exited = embargoes_exit_expired(now=now)
    reminders = reminders_send(now=now)
    notices = notices_deliver(now=now)
    return {"exited": exited, "reminders": reminders.as_dict(), "notices": notices.as_dict()}


def disclosure_schedule() -> bool:
    """Queue :func:`disclosure_periodic` when there may be work for it (an embargo in force or
    proposed, a vendor that has not accepted or opened its case, a notice waiting) and none is
    queued yet; return whether it was queued."""
    from django.db.models import Q
    from django_tasks_db.models import DBTaskResult

    from vulndesk.server.disclosure.models import (
        Case,
        CaseNotice,
        EmbargoState,
        NoticeStatus,
        Participant,
        ParticipantRole,
    )

    waiting = DBTaskResult.objects.filter(task_path=disclosure_periodic.module_path, status="READY")
    if waiting.exists():
        return False
    work = (
        Case.objects.filter(
            embargo_state__in=[EmbargoState.ACTIVE, EmbargoState.REVISED], closed_at__isnull=True
        ).exists()
        or CaseNotice.objects.filter(
            status=NoticeStatus.PENDING, next_attempt_at__isnull=False
        ).exists()
        or Participant.objects.filter(
            Q(accepted_at__isnull=True) | Q(seen_at__isnull=True),
            role=ParticipantRole.VENDOR,
            removed_at__isnull=True,
            case__closed_at__isnull=True,
        ).exists()
    )
    if work:
        disclosure_periodic.enqueue()
    return work
