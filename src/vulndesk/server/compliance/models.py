"""Legal reporting: EU Cyber Resilience Act events and NIS2 records, their reports and notices.

/work/shared/reference/disclosure.md has the facts; ``vulndesk.core.regulation.clocks`` the due
times, which are never derived here.

- A **CraEvent** is a reportable event of one product under CRA Article 14: an actively
  exploited vulnerability (one per product and alias group, ``vulnerability_id``), or a severe
  incident. It records what made it reportable (``trigger`` and the evidence) and when vulndesk
  learnt it (``aware_at``: written once, never moved). A person confirms or dismisses it with a
  reason; a dismissed event stays, and re-opening it is audited. The corrective measure (fix
  version and ``measure_available_at``) starts the final report's clock.
- A **Nis2Record** is an essential or important entity's incident or significant vulnerability
  with its risk assessment; a significant incident has the three NIS2 reports.
- A **RegulatoryReport** is one of the three reports of an event or a record: its due time
  (from the clocks), a structured draft (``content``) a person edits, and the submission.
- A **ComplianceNotice** is one reminder or overdue escalation to one recipient (the outbox and
  the log; ``key`` is unique, so each goes out once).

States move along the transition tables below (``compliance.services``), each change audited.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from vulndesk.core.regulation.clocks import Regime as ClockRegime
from vulndesk.core.regulation.clocks import ReportKind as ClockKind
from vulndesk.server.inventory.models import Product, Release
from vulndesk.server.notifications.models import DeliveryStatus

#: the EU member states (ISO 3166-1 alpha-2; Greece is "GR" here, not Eurostat's "EL")
EU_MEMBER_STATES = (
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE",
    "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
)  # fmt: skip


class Regime(models.TextChoices):
    """What the clocks of an event are for (``core.regulation.clocks.Regime``)."""

    CRA_VULNERABILITY = ClockRegime.CRA_VULNERABILITY.value, _("actively exploited vulnerability")
    CRA_INCIDENT = ClockRegime.CRA_INCIDENT.value, _("severe incident")
    NIS2_INCIDENT = ClockRegime.NIS2_INCIDENT.value, _("NIS2 significant incident")


class Trigger(models.TextChoices):
    """What made an event reportable."""

    KEV = "kev", _("CISA KEV entry")
    EUVD = "euvd", _("EUVD exploited flag")
    CSAF_THREAT = "csaf_threat", _("CSAF exploitation threat")
    OTHER_EVIDENCE = "other_evidence", _("other exploitation evidence")
    ASSERTION = "assertion", _("a person's assertion with evidence")
    CASE_ATTACKS = "case_attacks", _("attacks observed in a disclosure case")


class EventState(models.TextChoices):
    """Where a person stands with an event."""

    OPEN = "open", pgettext_lazy("compliance event", "open")
    CONFIRMED = "confirmed", pgettext_lazy("compliance event", "confirmed")
    DISMISSED = "dismissed", pgettext_lazy("compliance event", "dismissed")


#: the only state changes allowed: a dismissed event is re-opened (audited), never deleted
EVENT_TRANSITIONS: dict[str, frozenset[str]] = {
    "open": frozenset({"confirmed", "dismissed"}),
    "confirmed": frozenset({"dismissed"}),
    "dismissed": frozenset({"open"}),
}


class ReportKind(models.TextChoices):
    """The reports of an event, in the order they are due (``core.regulation.clocks``)."""

    EARLY_WARNING = ClockKind.EARLY_WARNING.value, _("early warning")
    NOTIFICATION = ClockKind.NOTIFICATION.value, _("notification")
    FINAL = ClockKind.FINAL.value, _("final report")


class ReportState(models.TextChoices):
    """A report's state, computed from its due time and submission (never stored): ``draft``
    while its clock has not started, ``due`` while it runs, ``overdue`` once passed,
    ``submitted`` once sent."""

    DRAFT = "draft", pgettext_lazy("compliance report", "draft")
    DUE = "due", pgettext_lazy("compliance report", "due")
    OVERDUE = "overdue", pgettext_lazy("compliance report", "overdue")
    SUBMITTED = "submitted", pgettext_lazy("compliance report", "submitted")


class CraEvent(models.Model):
    """A CRA reportable event of one product (module docstring)."""

    product = models.ForeignKey(
        # CASCADE, as findings: product_delete (audited) must not fail with a 500; keeping
        # legal records past a product's deletion is a decision for inventory (see the report)
        Product,
        on_delete=models.CASCADE,
        related_name="cra_events",
        verbose_name=_("product"),
    )
    regime = models.CharField(
        _("regime"), max_length=20, choices=Regime.choices[:2], default=Regime.CRA_VULNERABILITY
    )
    # the alias group key (Finding.vulnerability_id); "" for an incident without one
    vulnerability_id = models.CharField(_("vulnerability"), max_length=255, blank=True)
    title = models.CharField(_("title"), max_length=300, blank=True)
    trigger = models.CharField(_("trigger"), max_length=20, choices=Trigger.choices)
    evidence_source = models.CharField(_("evidence source"), max_length=200, blank=True)
    evidence_reference = models.CharField(_("evidence reference"), max_length=1000, blank=True)
    evidence_text = models.TextField(_("evidence"), blank=True)
    # when vulndesk learnt it: written once at opening, never moved
    aware_at = models.DateTimeField(_("aware at"))
    state = models.CharField(
        _("state"), max_length=10, choices=EventState.choices, default=EventState.OPEN
    )
    state_reason = models.TextField(_("reason"), blank=True)
    state_changed_at = models.DateTimeField(null=True, blank=True)
    state_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    case = models.ForeignKey(
        "disclosure.Case",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("disclosure case"),
    )
    releases = models.ManyToManyField(
        Release, blank=True, related_name="+", verbose_name=_("affected releases")
    )
    # ISO codes of the EU member states where the product is made available (no product field)
    member_states = models.JSONField(_("member states"), default=list, blank=True)
    measure_fix_version = models.CharField(_("fix version"), max_length=200, blank=True)
    measure_description = models.TextField(_("corrective or mitigating measure"), blank=True)
    measure_available_at = models.DateTimeField(_("measure available at"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-aware_at", "-id"]
        verbose_name = _("CRA event")
        verbose_name_plural = _("CRA events")
        constraints = [
            models.UniqueConstraint(
                fields=["product", "vulnerability_id"],
                condition=models.Q(regime="cra_vulnerability"),
                name="cra_event_unique_vulnerability",
            )
        ]
        indexes = [models.Index(fields=["state", "-aware_at"], name="cra_event_state")]

    def __str__(self) -> str:
        return f"CRA event {self.pk} ({self.vulnerability_id or self.regime})"


class EntityType(models.TextChoices):
    """NIS2 Article 3: an essential or an important entity."""

    ESSENTIAL = "essential", _("essential entity")
    IMPORTANT = "important", _("important entity")


class Nis2Kind(models.TextChoices):
    """What a NIS2 record is about."""

    INCIDENT = "incident", _("incident")
    VULNERABILITY = "vulnerability", _("significant vulnerability")


class Impact(models.TextChoices):
    """An impact level of the risk assessment."""

    NONE = "none", pgettext_lazy("impact", "none")
    LOW = "low", pgettext_lazy("impact", "low")
    HIGH = "high", pgettext_lazy("impact", "high")


class Exploitation(models.TextChoices):
    """What is known of exploitation (a proof of concept is not active exploitation)."""

    NONE = "none", pgettext_lazy("exploitation", "none known")
    POC = "poc", pgettext_lazy("exploitation", "proof of concept")
    ACTIVE = "active", pgettext_lazy("exploitation", "actively exploited")


class Nis2Record(models.Model):
    """A NIS2 incident or significant vulnerability of an essential or important entity, with
    its risk assessment; ``significant`` is what the assessment decides
    (``compliance.nis2.significance``)."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="nis2_records"
    )
    product = models.ForeignKey(
        Product,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="nis2_records",
        verbose_name=_("product"),
    )
    kind = models.CharField(
        _("kind"), max_length=14, choices=Nis2Kind.choices, default=Nis2Kind.INCIDENT
    )
    entity_type = models.CharField(_("entity type"), max_length=10, choices=EntityType.choices)
    sector = models.CharField(_("sector"), max_length=200)
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    vulnerability_id = models.CharField(_("vulnerability"), max_length=255, blank=True)
    aware_at = models.DateTimeField(_("aware at"))
    impact_confidentiality = models.CharField(
        _("impact on confidentiality"), max_length=4, choices=Impact.choices, default=Impact.NONE
    )
    impact_integrity = models.CharField(
        _("impact on integrity"), max_length=4, choices=Impact.choices, default=Impact.NONE
    )
    impact_availability = models.CharField(
        _("impact on availability"), max_length=4, choices=Impact.choices, default=Impact.NONE
    )
    exploitation = models.CharField(
        _("exploitation"), max_length=6, choices=Exploitation.choices, default=Exploitation.NONE
    )
    cross_border = models.BooleanField(_("cross-border impact"), default=False)
    societal_impact = models.CharField(
        _("societal impact"), max_length=4, choices=Impact.choices, default=Impact.NONE
    )
    member_states = models.JSONField(_("member states"), default=list, blank=True)
    significant = models.BooleanField(_("significant"), default=False)
    assessment_reason = models.TextField(_("assessment"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-aware_at", "-id"]
        verbose_name = _("NIS2 record")
        verbose_name_plural = _("NIS2 records")

    def __str__(self) -> str:
        return f"NIS2 {self.kind} {self.pk}"


class RegulatoryReport(models.Model):
    """One report of a CRA event or a NIS2 record (exactly one of the two)."""

    event = models.ForeignKey(
        CraEvent, null=True, blank=True, on_delete=models.CASCADE, related_name="reports"
    )
    record = models.ForeignKey(
        Nis2Record, null=True, blank=True, on_delete=models.CASCADE, related_name="reports"
    )
    kind = models.CharField(_("kind"), max_length=14, choices=ReportKind.choices)
    # from core.regulation.clocks; None while the clock has not started
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    counts_from = models.CharField(max_length=60, blank=True)
    content = models.JSONField(_("content"), default=dict, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submission_reference = models.CharField(_("submission reference"), max_length=200, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("regulatory report")
        verbose_name_plural = _("regulatory reports")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(event__isnull=False, record__isnull=True)
                | models.Q(event__isnull=True, record__isnull=False),
                name="regulatory_report_one_owner",
            ),
            models.UniqueConstraint(fields=["event", "kind"], name="regulatory_report_event"),
            models.UniqueConstraint(fields=["record", "kind"], name="regulatory_report_record"),
        ]
        indexes = [
            models.Index(
                fields=["due_at"],
                name="regulatory_report_open",
                condition=models.Q(submitted_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} report {self.pk}"

    def state_at(self, now: datetime | None = None) -> str:
        """Return the report's :class:`ReportState` value at ``now`` (default: the current
        time)."""
        if self.submitted_at is not None:
            return ReportState.SUBMITTED.value
        if self.due_at is None:
            return ReportState.DRAFT.value
        moment = now or timezone.now()
        return ReportState.OVERDUE.value if self.due_at <= moment else ReportState.DUE.value


class NoticeKind(models.TextChoices):
    """What a compliance notice says."""

    REMINDER = "reminder", _("report due soon")
    OVERDUE = "overdue", _("report overdue")


#: where a notice is: the notifications' own delivery states (pending -> sent / failed)
NoticeStatus = DeliveryStatus


class ComplianceNotice(models.Model):
    """One reminder or escalation of one report to one e-mail address or webhook endpoint."""

    report = models.ForeignKey(RegulatoryReport, on_delete=models.CASCADE, related_name="notices")
    endpoint = models.ForeignKey(
        "notifications.WebhookEndpoint",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    kind = models.CharField(max_length=10, choices=NoticeKind.choices)
    key = models.CharField(max_length=200, unique=True)
    channel = models.CharField(max_length=10)  # notifications.models.DeliveryChannel
    target = models.CharField(max_length=1000)
    subject = models.CharField(max_length=300, blank=True)
    body = models.TextField(blank=True)
    payload = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=10, choices=NoticeStatus.choices, default=NoticeStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="compliance_notice_due",
                condition=models.Q(status="pending"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} notice {self.pk} ({self.channel}): {self.status}"
