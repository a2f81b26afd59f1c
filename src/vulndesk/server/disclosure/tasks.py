"""Background tasks of disclosure (run by ``vulndesk worker``).

An embargo whose end has passed is exited by :func:`exit_expired_embargoes`; until it runs,
``Case.embargo_in_force`` already answers False, so nothing shows a passed embargo as holding.
The worker's beat (``jobs.worker``) is the place to enqueue it every few minutes, as it does
the feed syncs.
"""

from __future__ import annotations

from typing import Any

from django.tasks import task


@task()
def exit_expired_embargoes() -> dict[str, Any]:
    """Exit every active embargo whose end has passed (``embargo.embargoes_exit_expired``)."""
    from vulndesk.server.disclosure.embargo import embargoes_exit_expired

    return {"exited": embargoes_exit_expired()}
