"""The REST API under ``/api/v1``; every route requires an authenticated user."""

from __future__ import annotations

from django.http import Http404, HttpRequest
from ninja import NinjaAPI, Schema
from ninja.security import django_auth

from vulndesk.server.advisories import selectors

api = NinjaAPI(
    title="vulndesk",
    version="1",
    auth=django_auth,
    urls_namespace="api-v1",
    description="Vulnerability handling from SBOM to fix.",
)


class AdvisoryOut(Schema):
    id: str
    summary: str
    aliases: list[str]
    group_key: str
    modified: str
    withdrawn: str | None


@api.get("/advisories/{advisory_id}", response=AdvisoryOut, tags=["advisories"])
def advisory_detail(request: HttpRequest, advisory_id: str) -> AdvisoryOut:
    """Return one stored advisory."""
    advisory = selectors.advisory_get(advisory_id=advisory_id)
    if advisory is None:
        raise Http404(advisory_id)
    return AdvisoryOut(
        id=advisory.id,
        summary=advisory.summary,
        aliases=list(advisory.aliases),
        group_key=advisory.group_key,
        modified=advisory.modified.isoformat(),
        withdrawn=advisory.withdrawn.isoformat() if advisory.withdrawn else None,
    )
