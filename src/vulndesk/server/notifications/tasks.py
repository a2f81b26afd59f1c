"""Background task of the notifications (run by ``vulndesk worker``)."""

from __future__ import annotations

from typing import Any

from django.tasks import task


@task()
def deliver_pending(*, job_id: int | None = None) -> dict[str, Any]:
    """Announce the findings waiting in the outbox and send every delivery that is due
    (notifications.services.notifications_deliver); return what was done."""
    from vulndesk.server.notifications.services import notifications_deliver

    return notifications_deliver(job_id=job_id).as_dict()
