"""Notifications of new findings (webhooks with HMAC signatures, e-mail over SMTP)."""

from __future__ import annotations


def notifications_enqueue() -> None:
    """Enqueue delivery of notifications for findings not yet notified (placeholder)."""
