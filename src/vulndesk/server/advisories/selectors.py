"""Reading advisories: lookups by id and the candidates a scan evaluates."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection

from vulndesk.core.advisories.model import Advisory as AdvisoryRecord
from vulndesk.core.ids.aliases import AliasGroups
from vulndesk.server.advisories.candidates import fetch_candidates
from vulndesk.server.advisories.models import Advisory
from vulndesk.server.rawdb import RawDatabase


def advisory_get(*, advisory_id: str) -> Advisory | None:
    """Return the stored advisory with this id, or None."""
    return Advisory.objects.filter(id=advisory_id).first()


def django_raw_database() -> RawDatabase:
    """Return Django's default connection wrapped for the plain-SQL readers (do not close it)."""
    connection.ensure_connection()
    placeholder = "?" if connection.vendor == "sqlite" else "%s"
    return RawDatabase(connection.connection, placeholder, connection.vendor)


def advisory_candidates(
    *, keys: Iterable[tuple[str, str]]
) -> tuple[list[AdvisoryRecord], AliasGroups]:
    """Return the live advisories naming any (ecosystem, lookup name) in ``keys`` and their
    alias group keys (see ``candidates.fetch_candidates``)."""
    return fetch_candidates(django_raw_database(), keys)


def advisory_counts() -> dict[str, int]:
    """Return how many advisories are stored, in all and withdrawn."""
    return {
        "advisories": Advisory.objects.count(),
        "withdrawn": Advisory.objects.filter(withdrawn__isnull=False).count(),
    }
