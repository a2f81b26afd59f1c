"""Django admin for jobs and workers: shown with their task's state, never changed here."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from vulndesk.server.accounts.admin import ReadOnlyModelAdmin
from vulndesk.server.jobs.models import Job, WorkerHeartbeat
from vulndesk.server.jobs.selectors import STATUS_LABELS, job_error, jobs_with_state


@admin.register(Job)
class JobAdmin(ReadOnlyModelAdmin):
    list_display = ("label", "kind", "product", "state", "progress", "created_by", "created_at")
    list_filter = ("kind",)
    search_fields = ("label",)
    list_select_related = ("product", "created_by")
    readonly_fields = ("state", "error", "task_started", "task_finished")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Job]:
        return jobs_with_state(super().get_queryset(request))

    @admin.display(description="state")
    def state(self, job: Any) -> str:
        return str(STATUS_LABELS.get(job.task_status, job.task_status))

    @admin.display(description="progress")
    def progress(self, job: Job) -> str:
        return f"{job.progress_done}/{job.progress_total}" if job.progress_total else ""

    @admin.display(description="error")
    def error(self, job: Any) -> str:
        return job_error(job)

    @admin.display(description="started")
    def task_started(self, job: Any) -> Any:
        return job.task_started_at

    @admin.display(description="finished")
    def task_finished(self, job: Any) -> Any:
        return job.task_finished_at


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(ReadOnlyModelAdmin):
    list_display = ("worker_id", "host", "pid", "started_at", "last_seen")
    ordering = ("-last_seen",)
