"""API routes of the feeds app: every source's state, and "sync now" for staff."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja import Field, Router, Schema

from vulndesk.server.api_fields import Text
from vulndesk.server.feeds import selectors, services

router = Router()


class FeedSourceOut(Schema):
    """A feed source: whether it is enabled, how fresh it is, what it holds, its last error."""

    name: str
    kind: str
    enabled: bool
    records: int = Field(description="records of this source's kind in the store")
    records_stored: int = Field(description="records this source's syncs stored so far")
    last_attempt_at: datetime | None
    last_success_at: datetime | None
    age_seconds: int | None = Field(description="seconds since the last successful sync")
    next_run_at: datetime | None
    interval_seconds: int
    running: bool
    last_error: str
    last_error_at: datetime | None
    last_counts: dict[str, Any]


class FeedSyncIn(Schema):
    """Which source to sync now."""

    source: Annotated[Text, Field(max_length=100)]


class FeedSyncOut(Schema):
    """The background job a "sync now" queued (or the one already queued)."""

    job_id: int
    source: str


@router.get("/feeds/sources", response=list[FeedSourceOut], tags=["feeds"])
def feed_source_list(request: HttpRequest) -> list[dict[str, Any]]:
    """Return every feed source with its freshness, counts and last error."""
    return [status.as_dict() for status in selectors.feed_statuses()]


@router.post("/feeds/syncs", response={202: FeedSyncOut}, tags=["feeds"])
def feed_source_sync(request: HttpRequest, body: FeedSyncIn) -> tuple[int, dict[str, Any]]:
    """Queue a sync of one source now (staff only); answer its job (an already queued one is
    answered instead of queueing a second)."""
    if not request.user.is_staff:
        raise PermissionDenied("only staff may start a feed sync")
    job = services.feed_sync_enqueue(name=body.source, acting_user=request.user, actor_label="api")
    return 202, {"job_id": job.pk, "source": body.source}
