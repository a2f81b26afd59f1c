"""Fixtures of the compliance tests (``compliance_world``), the notification tests' loopback
receivers, and the disclosure tests' case world."""

from __future__ import annotations

from server.compliance.compliance_world import world
from server.notifications.conftest import mailbox, webhook_receiver

__all__ = ["mailbox", "webhook_receiver", "world"]
