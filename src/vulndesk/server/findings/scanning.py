"""Matching components against the stored advisories, without Django (a read: nothing is written).

The command line's ``scan`` runs this on a plain DB-API connection (``rawdb``), so it must not
import Django; the server passes its own connection (``advisories.selectors.django_raw_database``).
"""

from __future__ import annotations

from collections.abc import Iterable

from vulndesk.core.advisories.model import Advisory
from vulndesk.core.ids.aliases import AliasGroups
from vulndesk.core.matching.engine import MatchReport, match_components
from vulndesk.core.matching.identity import LookupKey
from vulndesk.core.sbom.model import Component, Sbom
from vulndesk.server.advisories.candidates import fetch_records, fetch_stored_candidates
from vulndesk.server.rawdb import RawDatabase


class _StoredAliases:
    """The alias groups of the stored records a scan looked at (filled by ``advisories_for``)."""

    def __init__(self) -> None:
        self.groups = AliasGroups()

    def group_of(self, identifier: str) -> str:
        return self.groups.group_of(identifier)

    def members(self, key: str) -> frozenset[str]:
        return self.groups.members(key)


def scan_sbom(*, sbom: Sbom, db: RawDatabase) -> MatchReport:
    """Return the findings for every component of ``sbom`` (not its subject) from ``db``.

    ``db`` is a RawDatabase: the command line opens one without Django (``rawdb.connect``), the
    server wraps Django's connection (``advisories.selectors``).
    """
    return match_stored(components=sbom.components, db=db)


def match_stored(*, components: Iterable[Component], db: RawDatabase) -> MatchReport:
    """Return the findings for ``components`` against the advisories stored in ``db``."""
    aliases = _StoredAliases()

    fetched: dict[str, Advisory] = {}  # by storage key: records of several sources share ids

    def advisories_for(keys: frozenset[LookupKey]) -> Iterable[Advisory]:
        records, aliases.groups = fetch_stored_candidates(db, keys)
        fetched.update(records)
        return list(records.values())

    def group_records(ids: frozenset[str]) -> Iterable[Advisory]:
        # Severity comes from the whole alias group (Go's database has no CVSS; the GHSA record
        # of the same CVE does), from every source; only records not read already are fetched.
        known = [a for a in fetched.values() if a.id in ids]
        return known + fetch_records(db, ids, known=fetched)

    return match_components(
        components, advisories_for, aliases=aliases, group_records=group_records
    )
