"""Background jobs as users see them, on top of Django Tasks (``django_tasks_db``).

A **Job** names one enqueued task for people: what it does, for which product (so only those
who may see the product see the job), who started it, and how far it has got. Its state is the
task result's (``DBTaskResult.status``). **WorkerHeartbeat** rows let a worker notice another
one died mid-task (``jobs.services.jobs_recover``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

#: Matching (SBOM analysis, re-matching) runs before notifications and other work queued
#: earlier (django-tasks-db claims the highest priority first): a notification backlog after a
#: large re-match must not delay the next advisory's findings (bench/README.md, target b).
MATCHING_PRIORITY = 10


class JobKind(models.TextChoices):
    """What a job does."""

    SBOM_ANALYSIS = "sbom_analysis", _("SBOM analysis")
    FEED_SYNC = "feed_sync", _("feed sync")
    REMATCH = "rematch", _("re-matching")
    NOTIFICATION = "notification", _("notification")


class Job(models.Model):
    """One background task as shown to users, with its progress."""

    task_id = models.UUIDField(unique=True, null=True, blank=True)
    kind = models.CharField(max_length=32, choices=JobKind.choices)
    label = models.CharField(max_length=300)
    product = models.ForeignKey(
        "inventory.Product", null=True, blank=True, on_delete=models.CASCADE, related_name="jobs"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.label


class WorkerHeartbeat(models.Model):
    """A running worker process and when it last said it was alive."""

    worker_id = models.CharField(max_length=64, primary_key=True)
    host = models.CharField(max_length=255, blank=True)
    pid = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField()
    last_seen = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.worker_id} ({self.host}:{self.pid})"
