"""Fixtures of the disclosure tests (defined in ``disclosure_world``, with its helpers)."""

from __future__ import annotations

from server.disclosure.disclosure_world import as_user, case_world, world

__all__ = ["as_user", "case_world", "world"]
