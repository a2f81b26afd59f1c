"""REST API routes of triage (prioritisation) (being written)."""

from __future__ import annotations

from ninja import Router

router = Router()
