"""Web pages of triage (remediation) (being written)."""

from __future__ import annotations
