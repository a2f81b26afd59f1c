"""API routes of the jobs app: background jobs and how far they have got.

A user sees the jobs they started and those of products they may see; superusers see all
(jobs.selectors). A job's state is its task's (``django_tasks_db``): READY, RUNNING, SUCCESSFUL
or FAILED.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import F
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from vulndesk.server.accounts.permissions import product_for
from vulndesk.server.api_fields import DbId
from vulndesk.server.api_pagination import Page, PageParams, paginate
from vulndesk.server.jobs import selectors
from vulndesk.server.jobs.models import JobKind

router = Router(tags=["jobs"])

_LIST_COLUMNS = (
    "id", "kind", "label", "product_id", "created_at", "progress_done", "progress_total",
    "message",
)  # fmt: skip


class JobOut(Schema):
    """A background job as listed."""

    id: int
    kind: JobKind
    label: str
    product_id: int | None
    created_by: str | None
    created_at: datetime
    status: str | None
    progress_done: int
    progress_total: int
    message: str


class JobDetailOut(JobOut):
    """One background job with its task's times and, when it failed, why."""

    started_at: datetime | None
    finished_at: datetime | None
    error: str | None = Field(None, description="the last line of the failure's traceback")


class JobFilters(Schema):
    """What a job list is narrowed to."""

    kind: JobKind | None = None
    product_id: DbId | None = None


@router.get("/jobs", response=Page[JobOut])
def job_list(
    request: HttpRequest, filters: Query[JobFilters], page: Query[PageParams]
) -> dict[str, Any]:
    """Return the jobs the caller may see, newest first."""
    jobs = selectors.jobs_visible(user=request.auth).order_by("-created_at", "-id")
    if filters.product_id is not None:
        product_for(request.auth, filters.product_id)
        jobs = jobs.filter(product_id=filters.product_id)
    if filters.kind is not None:
        jobs = jobs.filter(kind=filters.kind)
    rows = jobs.values(
        *_LIST_COLUMNS, status=F("task_status"), created_by_name=F("created_by__username")
    )
    return paginate(rows, page, convert=_with_creator)


@router.get("/jobs/{job_id}", response=JobDetailOut)
def job_detail(request: HttpRequest, job_id: DbId) -> dict[str, Any]:
    """Return one job with its task's state (404 when the caller may not see it)."""
    job = selectors.job_visible_get(user=request.auth, job_id=job_id)
    return {
        **{column: getattr(job, column) for column in _LIST_COLUMNS},
        "created_by": job.created_by.get_username() if job.created_by else None,
        "status": job.task_status,
        "started_at": job.task_started_at,
        "finished_at": job.task_finished_at,
        "error": selectors.job_error(job) or None,
    }


def _with_creator(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**row, "created_by": row["created_by_name"]} for row in rows]
