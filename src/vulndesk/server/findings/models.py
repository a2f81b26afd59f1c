"""Findings: a vulnerability (alias group) affecting a component of a release, over time.

A finding is ``active`` while matching still reports it and ``resolved`` once it does not (the
component was upgraded, the advisory withdrawn or corrected); it is kept, with ``first_seen``,
``last_seen`` and ``resolved_at``, so history is never lost, and comes back ``active`` if the
match returns. Product, release, identity and the component's name, version and purl are copied
onto the row so the findings list filters and sorts on one table (docs/architecture.md,
"Findings at scale").
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from vulndesk.server.inventory.models import Component, ComponentIdentity, Product, Release


class FindingStatus(models.TextChoices):
    """Whether matching reports the finding now. Transitions (``findings.services``):
    active -> resolved when a match run no longer reports it; resolved -> active when one does."""

    ACTIVE = "active", _("active")
    RESOLVED = "resolved", _("resolved")


class Severity(models.TextChoices):
    """The finding's rating (highest across its alias group); ``unknown`` when none is stated."""

    CRITICAL = "critical", _("critical")
    HIGH = "high", _("high")
    MEDIUM = "medium", _("medium")
    LOW = "low", _("low")
    NONE = "none", _("none")
    UNKNOWN = "unknown", _("unknown")


#: descending orders with missing scores last, shared by the indexes and the list's sorts
UNSCORED_LAST = {
    "epss": Coalesce(F("group_epss__epss"), Value(-1.0)).desc(),
    "cvss_score": Coalesce(F("cvss_score"), Value(-1.0)).desc(),
}

#: sort rank of each severity, highest first when ordered descending
SEVERITY_RANK = {"critical": 5, "high": 4, "medium": 3, "low": 2, "none": 1, "unknown": 0}


class Confidence(models.TextChoices):
    """How sure matching is (core ``Finding.confidence``): ``high`` for an exact package match
    (purl against OSV), ``medium`` for a CPE match, ``low`` for vendor/product names."""

    HIGH = "high", pgettext_lazy("match confidence", "high")
    MEDIUM = "medium", pgettext_lazy("match confidence", "medium")
    LOW = "low", pgettext_lazy("match confidence", "low")


class Finding(models.Model):
    """One vulnerability affecting one component of one release."""

    # foreign keys without indexes of their own: the composite indexes below lead with them
    # Product and release are copies of the component's (for filtering); like identity they
    # carry no database constraint: checking four deferred foreign keys per row at commit cost a
    # quarter of writing a million findings (bench/README.md). Django's on_delete still cascades.
    product = models.ForeignKey(
        Product,
        on_delete=models.CASCADE,
        related_name="findings",
        db_index=False,
        db_constraint=False,
    )
    release = models.ForeignKey(
        Release,
        on_delete=models.CASCADE,
        related_name="findings",
        db_index=False,
        db_constraint=False,
    )
    component = models.ForeignKey(
        Component, on_delete=models.CASCADE, related_name="findings", db_index=False
    )
    identity = models.ForeignKey(
        ComponentIdentity,
        on_delete=models.CASCADE,
        related_name="findings",
        db_index=False,
        db_constraint=False,
    )
    vulnerability_id = models.CharField(max_length=255, db_index=True)
    aliases = models.JSONField(default=list)
    advisory_ids = models.JSONField(default=list)
    summary = models.TextField(blank=True)
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.UNKNOWN)
    severity_rank = models.PositiveSmallIntegerField(default=0)
    cvss_score = models.FloatField(null=True, blank=True)
    cvss_vector = models.CharField(max_length=300, blank=True)
    confidence = models.CharField(max_length=6, choices=Confidence.choices, default=Confidence.HIGH)
    # from the KEV catalog (advisories.scores): when any CVE id of the alias group is in KEV;
    # set when matching writes the row and brought up to date by each KEV import
    kev = models.BooleanField(default=False)
    # the group's EPSS score (``epss``), kept once per group, not on each finding: an EPSS day
    # moves most scores, and rewriting the copy on every finding row (a new row version and
    # every index entry) took 61-87 s for a million findings (docs/architecture.md,
    # "Prioritisation"). Join it with select_related("group_epss").
    group_epss = models.ForeignObject(
        "GroupEpss",
        on_delete=models.DO_NOTHING,
        from_fields=["vulnerability_id"],
        to_fields=["vulnerability_id"],
        null=True,
        related_name="+",
    )
    affected_range = models.TextField(blank=True)
    fixed_versions = models.JSONField(default=list)
    component_name = models.CharField(max_length=500)
    component_version = models.CharField(max_length=200, blank=True)
    purl = models.CharField(max_length=1000, blank=True)
    status = models.CharField(
        max_length=10, choices=FindingStatus.choices, default=FindingStatus.ACTIVE
    )
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    # what matching reported, digested: a run rewrites the row only when this changes
    digest = models.CharField(max_length=32, blank=True)
    # SSVC (triage.prioritisation): the points that come from the vulnerability (alias group),
    # in SSVC's spelling and "" until assessed, so the outcome is recomputed in SQL against each
    # product's context; priority is the outcome (triage.models.Priority), due_at from the
    # organisation's SLA for it. Database defaults: matching inserts rows without them.
    exploitation = models.CharField(max_length=10, blank=True, db_default="")
    automatable = models.CharField(max_length=3, blank=True, db_default="")
    technical_impact = models.CharField(max_length=7, blank=True, db_default="")
    priority = models.CharField(max_length=12, blank=True, db_default="")
    priority_rank = models.PositiveSmallIntegerField(db_default=0)
    due_at = models.DateTimeField(null=True, blank=True)
    # VEX (triage.vex): the statement that applies now, and its state ("" when none applies)
    vex_statement = models.ForeignKey(
        "triage.VexStatement",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="findings",
        db_constraint=False,
    )
    analysis_state = models.CharField(max_length=20, blank=True, db_default="")
    # null until notifications went out for it (new, or active again after being resolved):
    # the notifier's outbox (notifications.services)
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["component", "vulnerability_id"], name="finding_unique_per_component"
            )
        ]
        indexes = [
            # the default list: active findings, most severe first, newest first
            models.Index(
                fields=["status", "-severity_rank", "-id"], name="finding_status_severity"
            ),
            models.Index(
                fields=["product", "status", "-severity_rank", "-id"], name="finding_product"
            ),
            models.Index(
                fields=["release", "status", "-severity_rank", "-id"], name="finding_release"
            ),
            models.Index(fields=["identity", "status"], name="finding_identity"),
            models.Index(
                fields=["component_name", "status", "-severity_rank", "-id"],
                name="finding_component_name",
            ),
            models.Index(fields=["status", "-first_seen"], name="finding_first_seen"),
            # the other sort orders of the list, unscored findings last: on COALESCE(score, -1)
            # because SQLite has no NULLS LAST in an index (selectors.FINDING_SORTS matches it)
            models.Index(
                "status", UNSCORED_LAST["cvss_score"], F("id").desc(), name="finding_cvss"
            ),
            # the priority sort: most urgent first, then most severe
            models.Index(
                fields=["status", "-priority_rank", "-severity_rank", "-id"],
                name="finding_priority",
            ),
            # status=all: every finding by severity
            models.Index(fields=["-severity_rank", "-id"], name="finding_severity"),
            models.Index(
                fields=["release"],
                name="finding_unnotified",
                condition=models.Q(notified_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.vulnerability_id} in {self.component_name} {self.component_version}"

    @property
    def epss(self) -> float | None:
        """Return the EPSS score of the finding's alias group (None: it has none)."""
        try:
            score = self.group_epss
        except GroupEpss.DoesNotExist:
            return None
        return score.epss if score is not None else None


class GroupEpss(models.Model):
    """The EPSS score of an alias group that findings name: the highest among its CVE ids.

    Written by matching for the groups it finds and by each EPSS import for the groups whose
    score changed (``findings.services``); read through ``Finding.group_epss``.
    """

    vulnerability_id = models.CharField(primary_key=True, max_length=255)
    epss = models.FloatField()

    class Meta:
        # the EPSS filter of the findings list: the groups at or above a score
        indexes = [models.Index(fields=["epss"], name="group_epss_score")]

    def __str__(self) -> str:
        return f"{self.vulnerability_id}: {self.epss}"


class PortfolioSnapshot(models.Model):
    """Active findings per severity at one moment, for the dashboard's risk-over-time chart.

    Written after each match run (at most one per hour is kept per hour bucket), so the
    dashboard reads a handful of rows instead of counting a million findings.
    """

    taken_at = models.DateTimeField(db_index=True)
    counts = models.JSONField(default=dict)  # severity -> active findings
    releases_affected = models.PositiveIntegerField(default=0)
    kev = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-taken_at"]

    def __str__(self) -> str:
        return f"snapshot {self.taken_at:%Y-%m-%d %H:%M}"
