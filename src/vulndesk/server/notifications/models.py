"""Who is told about new findings, and the log of every message sent to them.

- A **WebhookEndpoint** receives every new (or re-opened) finding of its organisation's products
  as signed JSON (``notifications.services``, "Webhooks").
- An **EmailSubscription** mails one user the new findings of the products they may see.
- A **Delivery** is one message to one target: created ``pending`` with its payload in the same
  transaction that takes the findings out of the outbox (``Finding.notified_at``), then sent,
  retried with backoff while it fails, and left ``sent`` or ``failed`` as the log of what went out.

A severity threshold keeps findings rated below it out of an endpoint's or subscriber's messages;
``unknown`` (the lowest rank) lets everything through, unrated findings included.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from vulndesk.server.accounts.models import Organisation
from vulndesk.server.findings.models import Severity


class WebhookEndpoint(models.Model):
    """A URL that receives the organisation's new findings, signed with ``secret`` (HMAC)."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    name = models.CharField(_("name"), max_length=200)
    url = models.URLField(_("URL"), max_length=1000)
    secret = models.CharField(_("signing secret"), max_length=200)
    active = models.BooleanField(_("active"), default=True)
    min_severity = models.CharField(
        _("minimum severity"), max_length=10, choices=Severity.choices, default=Severity.UNKNOWN
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organisation__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="webhook_unique_name")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.url})"


class EmailSubscription(models.Model):
    """A user's wish to be mailed the new findings of the products they may see."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="email_subscription"
    )
    min_severity = models.CharField(
        _("minimum severity"), max_length=10, choices=Severity.choices, default=Severity.HIGH
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"e-mail to {self.user} from {self.min_severity}"


class DeliveryChannel(models.TextChoices):
    """How a delivery goes out."""

    WEBHOOK = "webhook", _("webhook")
    EMAIL = "email", _("e-mail")


class DeliveryStatus(models.TextChoices):
    """Where a delivery is. Transitions (``notifications.services``): pending -> sent when an
    attempt succeeds; pending -> failed when the last allowed attempt fails."""

    PENDING = "pending", _("pending")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed")


class Delivery(models.Model):
    """One message to one webhook endpoint or user, with the outcome of its latest attempt.

    ``next_attempt_at`` is when a pending delivery is due; while an attempt runs it is pushed a
    lease ahead, so a delivery whose sender died is taken up again once the lease runs out.
    ``claim`` marks the deliveries one sender took in one go.
    """

    channel = models.CharField(max_length=10, choices=DeliveryChannel.choices)
    endpoint = models.ForeignKey(
        WebhookEndpoint,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deliveries",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    target = models.CharField(max_length=1000)  # the URL or e-mail address
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claim = models.CharField(max_length=32, blank=True)
    finding_count = models.PositiveIntegerField(default=0)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "deliveries"
        indexes = [
            # the senders' queue: pending deliveries by when they are due
            models.Index(
                fields=["next_attempt_at"],
                name="delivery_due",
                condition=models.Q(status="pending"),
            ),
            models.Index(fields=["claim"], name="delivery_claim", condition=~models.Q(claim="")),
        ]

    def __str__(self) -> str:
        return f"{self.channel} to {self.target}: {self.status}"
