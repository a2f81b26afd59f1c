"""Triage: the judgements people record about findings, and the plan to fix them.

- **VexStatement**: whether a vulnerability (alias group) affects a component of a product,
  with justification, response and detail, who said it and when (docs/architecture.md,
  "VEX triage"). Statements are never edited: a new one for the same scope supersedes the
  last (``superseded_at``), so the history is the audit trail. A statement applies to every
  release of its product that has the same component at a covered version (one version, every
  version, or a ``vers:`` range, which covers later releases too), while the
  vulnerability's affected range is the one the statement was made about; a changed range
  revives the finding (``triage.vex``).
- **SsvcOverride**: a person's value for one SSVC decision point of one vulnerability in one
  product, with a reason; like statements, superseded rather than edited.
- **SlaPolicy**: how many days an organisation gives itself per SSVC outcome.
- **RemediationItem**: the status of fixing one vulnerable component of one release, with an
  explicit transition table (``REMEDIATION_TRANSITIONS``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from vulndesk.core.vex.ranges import is_vers_range
from vulndesk.server.accounts.models import Organisation
from vulndesk.server.inventory.models import Component, Product, Release


class VexState(models.TextChoices):
    """A VEX statement's status (OpenVEX names; vulndesk.core.vex.model.VexStatus)."""

    NOT_AFFECTED = "not_affected", _("not affected")
    AFFECTED = "affected", _("affected")
    FIXED = "fixed", _("fixed")
    UNDER_INVESTIGATION = "under_investigation", _("under investigation")


class Justification(models.TextChoices):
    """Why a component is not affected (OpenVEX names; CycloneDX and CSAF words map to these)."""

    COMPONENT_NOT_PRESENT = "component_not_present", _("component not present")
    VULNERABLE_CODE_NOT_PRESENT = "vulnerable_code_not_present", _("vulnerable code not present")
    VULNERABLE_CODE_NOT_IN_EXECUTE_PATH = (
        "vulnerable_code_not_in_execute_path",
        _("vulnerable code not in execute path"),
    )
    VULNERABLE_CODE_CANNOT_BE_CONTROLLED_BY_ADVERSARY = (
        "vulnerable_code_cannot_be_controlled_by_adversary",
        _("vulnerable code cannot be controlled by adversary"),
    )
    INLINE_MITIGATIONS_ALREADY_EXIST = (
        "inline_mitigations_already_exist",
        _("inline mitigations already exist"),
    )


#: a statement's component_version that covers every version of the component
ANY_VERSION = "*"


class VexStatement(models.Model):
    """One judgement: (vulnerability, product, component, versions) -> status, by someone."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="vex_statements")
    # the alias group's key (Finding.vulnerability_id) and the group's ids when stated
    vulnerability_id = models.CharField(max_length=255)
    aliases = models.JSONField(default=list)
    # the component: its purl without version when it has one, else its name
    component_key = models.CharField(max_length=1000)
    component_name = models.CharField(max_length=500, blank=True)
    # the versions the statement covers: one version, ANY_VERSION, or a vers: range
    # (vers:pypi/>=1.0|<2.0) that also covers versions of releases yet to come (triage.vex)
    component_version = models.CharField(max_length=1000, default=ANY_VERSION)
    # the affected range the finding showed when the statement was made; "" = whatever it is
    affected_range = models.TextField(blank=True)
    state = models.CharField(max_length=20, choices=VexState.choices)
    justification = models.CharField(max_length=60, choices=Justification.choices, blank=True)
    impact_statement = models.TextField(blank=True)
    action_statement = models.TextField(blank=True)
    responses = models.JSONField(default=list)  # CycloneDX analysis.response values
    detail = models.TextField(blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # who said it, in words: the user's name, or an imported document's author
    author_label = models.CharField(max_length=255)
    # where it came from: web, api, cli, import (a VEX document: document_id names it)
    origin = models.CharField(max_length=10, default="web")
    document_id = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField()
    superseded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["product", "vulnerability_id", "component_key"],
                name="vex_scope",
                condition=models.Q(superseded_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.vulnerability_id} {self.state} in {self.component_key} ({self.product_id})"

    @property
    def covers_range(self) -> bool:
        """Return whether the statement covers a range of versions (a ``vers:`` range)."""
        return is_vers_range(self.component_version)


class SsvcOverride(models.Model):
    """A person's value for one SSVC decision point of a vulnerability in a product."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="ssvc_overrides")
    vulnerability_id = models.CharField(max_length=255)
    point = models.CharField(max_length=40)  # decision point key (core.prioritization.ssvc)
    value = models.CharField(max_length=60)  # in SSVC's spelling
    reason = models.TextField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_label = models.CharField(max_length=255)
    created_at = models.DateTimeField()
    superseded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["product", "vulnerability_id"],
                name="ssvc_override_scope",
                condition=models.Q(superseded_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.vulnerability_id} {self.point}={self.value} ({self.product_id})"


class Priority(models.TextChoices):
    """SSVC deployer/supplier outcomes, the finding's priority (``""``: not assessed yet)."""

    IMMEDIATE = "immediate", pgettext_lazy("priority", "immediate")
    OUT_OF_CYCLE = "out-of-cycle", pgettext_lazy("priority", "out-of-cycle")
    SCHEDULED = "scheduled", pgettext_lazy("priority", "scheduled")
    DEFER = "defer", pgettext_lazy("priority", "defer")


#: sort rank of each priority, most urgent highest (0: not assessed)
PRIORITY_RANK = {"immediate": 4, "out-of-cycle": 3, "scheduled": 2, "defer": 1, "": 0}

#: days to fix per outcome when an organisation has set none (None: no due date)
DEFAULT_SLA_DAYS: dict[str, int | None] = {
    "immediate": 2,
    "out-of-cycle": 14,
    "scheduled": 90,
    "defer": None,
}


class SlaPolicy(models.Model):
    """Days an organisation allows itself to fix a finding of one priority."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="sla_policies"
    )
    priority = models.CharField(max_length=12, choices=Priority.choices)
    days = models.PositiveIntegerField(null=True, blank=True)  # None: no due date

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "priority"], name="sla_unique")
        ]

    def __str__(self) -> str:
        return f"{self.priority}: {self.days} days"


class RemediationStatus(models.TextChoices):
    """Where fixing one vulnerable component of a release stands."""

    OPEN = "open", pgettext_lazy("remediation", "open")
    IN_PROGRESS = "in_progress", pgettext_lazy("remediation", "in progress")
    FIXED = "fixed", pgettext_lazy("remediation", "fixed")
    ACCEPTED_RISK = "accepted_risk", pgettext_lazy("remediation", "accepted risk")
    NOT_AFFECTED = "not_affected", pgettext_lazy("remediation", "not affected")


#: the only status changes allowed; a settled item can only be reopened
REMEDIATION_TRANSITIONS: dict[str, frozenset[str]] = {
    "open": frozenset({"in_progress", "fixed", "accepted_risk", "not_affected"}),
    "in_progress": frozenset({"open", "fixed", "accepted_risk", "not_affected"}),
    "fixed": frozenset({"open"}),
    "accepted_risk": frozenset({"open"}),
    "not_affected": frozenset({"open"}),
}


class RemediationItem(models.Model):
    """The status of fixing one vulnerable component of one release (created on first change;
    a component without a row is ``open``)."""

    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="remediations")
    component = models.ForeignKey(Component, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(
        max_length=14, choices=RemediationStatus.choices, default=RemediationStatus.OPEN
    )
    target_version = models.CharField(max_length=200, blank=True)
    note = models.TextField(blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["release", "component"], name="remediation_unique")
        ]

    def __str__(self) -> str:
        return f"{self.component_id} in {self.release_id}: {self.status}"
