"""REST API routes of triage (vex) (being written)."""

from __future__ import annotations

from ninja import Router

router = Router()
