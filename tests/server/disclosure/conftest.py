"""Fixtures of the disclosure tests (defined in ``disclosure_world``, with its helpers), and the
notification tests' loopback receivers (an SMTP server, a webhook receiver)."""

from __future__ import annotations

from server.disclosure.disclosure_world import as_user, case_world, world
from server.notifications.conftest import mailbox, webhook_receiver

__all__ = ["as_user", "case_world", "mailbox", "webhook_receiver", "world"]
