"""Stored advisories, the index used to find them for a package, and import runs."""

from __future__ import annotations

from django.db import models


class AdvisoryFormat(models.TextChoices):
    """The source format a record was imported from (how ``match`` is read back)."""

    OSV = "osv", "OSV"
    NVD = "nvd", "NVD CVE API 2.0"
    CVE5 = "cve5", "CVE JSON 5"
    CSAF = "csaf", "CSAF 2.0"
    JVN = "jvn", "JVN iPedia"
    EUVD = "euvd", "EUVD"


def storage_key(format: str, record_id: str) -> str:
    """Return the primary key a record of ``format`` is stored under.

    OSV records keep their id (rows stored before other sources existed stay as they were);
    other sources' records are prefixed with the format, because records of several sources
    share ids: NVD's CVE-2024-1 and the CVE List's CVE-2024-1 are two records
    (``nvd:CVE-2024-1``, ``cve5:CVE-2024-1``).
    """
    return record_id if format == AdvisoryFormat.OSV else f"{format}:{record_id}"


class Advisory(models.Model):
    """One vulnerability record from one source, stored with its original text.

    ``id`` is the storage key (:func:`storage_key`), ``record_id`` the id as the source
    publishes it. ``raw`` is the document exactly as imported (nothing a user imported is lost);
    ``match`` is what matching reads: ``osv.matching_subset`` for OSV, ``stored.advisory_to_stored``
    of the codec's Advisory for every other format. ``group_key`` names the alias group: every
    record whose record ids name each other through ``aliases`` shares it, whatever their source
    (each import regroups the groups its records touch, through ``AdvisoryAlias``).
    ``withdrawn`` (OSV) and ``rejected`` (CVE 5 REJECTED, NVD "Rejected") both keep a record out
    of matching while it stays visible.
    """

    id = models.CharField(primary_key=True, max_length=300)
    record_id = models.CharField(max_length=255, default="")
    format = models.CharField(
        max_length=32, choices=AdvisoryFormat.choices, default=AdvisoryFormat.OSV
    )
    source = models.CharField(max_length=255, help_text="where it was imported from")
    modified = models.DateTimeField()
    published = models.DateTimeField(null=True, blank=True)
    withdrawn = models.DateTimeField(null=True, blank=True, db_index=True)
    rejected = models.BooleanField(default=False)
    summary = models.TextField(blank=True)
    aliases = models.JSONField(default=list, blank=True)
    group_key = models.CharField(max_length=255, db_index=True)
    raw = models.TextField()
    match = models.TextField(
        default="",
        help_text="what matching reads (osv.matching_subset, else stored.advisory_to_stored)",
    )
    imported_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "advisories"
        indexes = [
            # every source's record of an id (a scan's alias-group records); with the key, so the
            # lookup reads the index only
            models.Index(fields=["record_id", "id"], name="advisory_record_id"),
        ]

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


class AdvisoryAlias(models.Model):
    """One name a stored record answers to: its ``record_id`` or one of its ``aliases``.

    The index the alias regrouping walks (``services._regroup_components``): from a name to the
    records that carry it and from a record to its names, so an import recomputes only the
    groups its records touch (docs/architecture.md, "Alias groups"). Written with the records,
    in the same transaction; blank names are left out, as ``AliasGroups`` ignores them (and a
    record with a blank id, whose aliases it ignores too, has no rows).
    """

    pk = models.CompositePrimaryKey("advisory_id", "name")
    # No database constraint: the import deletes a replaced record's names itself, and the
    # deferred check of one row per name would add 1.5 s to the commit of 250,000 names.
    advisory = models.ForeignKey(
        Advisory,
        on_delete=models.CASCADE,
        related_name="names",
        db_index=False,  # the primary key's first column serves it
        db_constraint=False,
    )
    name = models.TextField()  # aliases have no length limit (OSV)

    class Meta:
        indexes = [models.Index(fields=["name", "advisory"], name="advisory_alias_name")]

    def __str__(self) -> str:
        return f"{self.name} ({self.advisory_id})"


class FeedImport(models.Model):
    """One run of ``feeds import``: what was read, what changed, and what was refused and why."""

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    # osv | nvd | cve5 | csaf | jvn | euvd | kev | epss, or several joined by "+" (one import of
    # files of several formats)
    format = models.CharField(max_length=64, default="osv")
    sources = models.JSONField(default=list)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    removed = models.PositiveIntegerField(default=0)  # entries a full list (KEV) no longer has
    problems = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"import {self.started_at:%Y-%m-%d %H:%M}"


class KevEntry(models.Model):
    """One entry of CISA's Known Exploited Vulnerabilities catalog as last imported.

    The catalog is a full list: an import replaces it, and an entry gone from it is deleted
    (the import's outcome and audit row say which).
    """

    cve_id = models.CharField(max_length=32, unique=True)
    vendor_project = models.CharField(max_length=255, blank=True)
    product = models.CharField(max_length=255, blank=True)
    name = models.CharField(max_length=500, blank=True)
    date_added = models.DateField()
    due_date = models.DateField(null=True, blank=True)
    required_action = models.TextField(blank=True)
    short_description = models.TextField(blank=True)
    ransomware_known = models.BooleanField(null=True, blank=True)
    notes = models.TextField(blank=True)
    cwes = models.JSONField(default=list, blank=True)
    catalog_version = models.CharField(max_length=32, blank=True)
    imported_at = models.DateTimeField()

    class Meta:
        verbose_name = "KEV entry"
        verbose_name_plural = "KEV entries"

    def __str__(self) -> str:
        return self.cve_id


class EpssScore(models.Model):
    """A CVE's latest EPSS probability and percentile (FIRST EPSS daily file)."""

    cve_id = models.CharField(max_length=32, unique=True)
    epss = models.FloatField()
    percentile = models.FloatField()
    score_date = models.DateField()
    model_version = models.CharField(max_length=32, blank=True)
    # the score of the CVE's latest EpssHistory row: what the next move is measured from
    recorded_epss = models.FloatField()

    def __str__(self) -> str:
        return f"{self.cve_id} {self.epss:.5f}"


class EpssHistory(models.Model):
    """A CVE's EPSS score on a day it *moved*, so a rise can be shown over time without keeping
    300,000 rows a day.

    A row is written on a CVE's first sighting, and afterwards only when the score moved from
    the last *recorded* one (``EpssScore.recorded_epss``) by ``abs(delta) >= 0.01`` or by
    ``>= 20%`` of it (``scores.history_moved``): small daily drift is left out, while a climb
    made of small steps is still recorded once it adds up, because each step is compared with
    the last row kept, not with yesterday's score.
    """

    cve_id = models.CharField(max_length=32)
    score_date = models.DateField()
    epss = models.FloatField()
    percentile = models.FloatField()

    class Meta:
        verbose_name_plural = "EPSS history"
        indexes = [models.Index(fields=["cve_id", "score_date"], name="epss_history_cve")]

    def __str__(self) -> str:
        return f"{self.cve_id} {self.score_date} {self.epss:.5f}"
