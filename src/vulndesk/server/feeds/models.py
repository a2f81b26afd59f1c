"""Feed sources with their sync state, and the latest KEV and EPSS files as imported.

A **FeedSource** is one place vulnerability data comes from (catalog.py names them): whether it
is enabled, its settings (URL overrides, the *name* of the environment variable holding an API
key, never the key), the cursor its fetcher continues from, when it last ran and succeeded,
the last error, and a claim (``running_since``/``running_by``) so that only one sync of a source
runs at a time, whichever process starts it.

A **FeedSnapshot** keeps the latest KEV catalogue and EPSS scores file byte for byte: they are
replaced as a whole, and an offline bundle carries them on as they came.
"""

from __future__ import annotations

from django.db import models


class FeedSource(models.Model):
    """One feed source and where its sync stands (see the module docstring)."""

    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=16)
    enabled = models.BooleanField(default=False)
    settings = models.JSONField(default=dict, blank=True)
    cursor = models.JSONField(null=True, blank=True)
    interval = models.DurationField()
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    #: counts of the last run: read, created, updated, unchanged, problems
    last_counts = models.JSONField(default=dict, blank=True)
    #: records stored by every sync of this source so far (created + updated)
    records_stored = models.PositiveBigIntegerField(default=0)
    running_since = models.DateTimeField(null=True, blank=True)
    running_by = models.CharField(max_length=100, blank=True)
    #: the queued or running background sync, so the scheduler never queues a second one
    pending_job = models.ForeignKey(
        "jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class FeedSnapshot(models.Model):
    """The latest KEV catalogue or EPSS file imported, as it came (``kind``: kev or epss)."""

    kind = models.CharField(max_length=16, unique=True)
    file_name = models.CharField(max_length=255)
    content = models.BinaryField()
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    records = models.PositiveIntegerField(default=0)
    stored_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.kind} {self.file_name}"
