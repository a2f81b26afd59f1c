"""Background work of compliance (run by ``vulndesk worker``).

:func:`compliance_periodic`, queued by the worker's beat every few minutes
(``jobs.worker.VulndeskWorker.schedule_compliance``) when a report's clock runs or a notice
waits: queues the reminders and escalations that are due and sends them
(``compliance.reminders.compliance_run``).
"""

from __future__ import annotations

from typing import Any

from django.tasks import task


@task()
def compliance_periodic() -> dict[str, Any]:
    """Queue and send the reminders and escalations that are due; return the counts."""
    from vulndesk.server.compliance.reminders import compliance_run

    return compliance_run().as_dict()


def compliance_schedule() -> bool:
    """Queue :func:`compliance_periodic` when there may be work for it (a report not submitted
    whose clock runs, a notice waiting) and none is queued yet; return whether it was queued."""
    from django_tasks_db.models import DBTaskResult

    from vulndesk.server.compliance.models import ComplianceNotice, NoticeStatus, RegulatoryReport

    waiting = DBTaskResult.objects.filter(task_path=compliance_periodic.module_path, status="READY")
    if waiting.exists():
        return False
    work = (
        RegulatoryReport.objects.filter(submitted_at__isnull=True, due_at__isnull=False).exists()
        or ComplianceNotice.objects.filter(status=NoticeStatus.PENDING).exists()
    )
    if work:
        compliance_periodic.enqueue()
    return work
