"""Stored advisories, the index used to find them for a package, and import runs."""

from __future__ import annotations

from django.db import models


class Advisory(models.Model):
    """One vulnerability record from one source, stored with its original text.

    ``raw`` is the document exactly as imported (nothing a user imported is lost); ``match`` is
    the part of it that matching reads, which a scan parses with the codec of ``format``.
    ``group_key`` names the alias group: every record whose ids name each other through
    ``aliases`` shares it (recomputed on each import).
    """

    id = models.CharField(primary_key=True, max_length=255)
    format = models.CharField(max_length=32, default="osv")
    source = models.CharField(max_length=255, help_text="where it was imported from")
    modified = models.DateTimeField()
    published = models.DateTimeField(null=True, blank=True)
    withdrawn = models.DateTimeField(null=True, blank=True, db_index=True)
    summary = models.TextField(blank=True)
    aliases = models.JSONField(default=list, blank=True)
    group_key = models.CharField(max_length=255, db_index=True)
    raw = models.TextField()
    match = models.TextField(
        default="", help_text="the part of raw that matching reads (osv.matching_subset)"
    )
    imported_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "advisories"

    def __str__(self) -> str:
        return self.id


class AffectedPackage(models.Model):
    """One (ecosystem, package) an advisory names: the index a scan looks candidates up in.

    ``name`` is the lookup name (``vulndesk.core.advisories.osv.lookup_name``), so a scan finds
    ``Django`` and ``django`` alike on PyPI.
    """

    advisory = models.ForeignKey(Advisory, on_delete=models.CASCADE, related_name="packages")
    ecosystem = models.CharField(max_length=100)
    name = models.CharField(max_length=500)

    class Meta:
        indexes = [models.Index(fields=["name", "ecosystem"], name="affected_lookup")]
        constraints = [
            models.UniqueConstraint(
                fields=["advisory", "ecosystem", "name"], name="affected_unique_per_advisory"
            )
        ]

    def __str__(self) -> str:
        return f"{self.ecosystem}/{self.name} ({self.advisory_id})"


class FeedImport(models.Model):
    """One run of ``feeds import``: what was read, what changed, and what was refused and why."""

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    sources = models.JSONField(default=list)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    problems = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"import {self.started_at:%Y-%m-%d %H:%M}"
