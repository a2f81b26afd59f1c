"""The advisory model: what vulndesk knows about one published vulnerability record.

It follows the OSV schema closely (reference/osv.md), because OSV is the richest common format and
every other feed (NVD, CVE 5, CSAF, JVN...) can be expressed in it. Codecs live next to this module,
one per external format.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

EventKind = Literal["introduced", "fixed", "last_affected", "limit"]
RangeType = Literal["SEMVER", "ECOSYSTEM", "GIT"]


@dataclass(frozen=True, slots=True)
class Event:
    """One OSV range event: exactly one of introduced, fixed, last_affected, limit."""

    kind: EventKind
    version: str


@dataclass(frozen=True, slots=True)
class Range:
    """One OSV ``affected[].ranges[]`` entry.

    Events are kept in file order (they may be unsorted).
    """

    type: str  # "SEMVER" | "ECOSYSTEM" | "GIT" (kept as written when unknown)
    events: tuple[Event, ...]
    repo: str | None = None


@dataclass(frozen=True, slots=True)
class Severity:
    """A severity as the record states it.

    ``type`` is CVSS_V2 | CVSS_V3 | CVSS_V4 | Ubuntu...; ``score`` the vector (or priority word).
    """

    type: str
    score: str


@dataclass(frozen=True, slots=True)
class Reference:
    """A link with its OSV type (ADVISORY, FIX, WEB...)."""

    type: str
    url: str


@dataclass(frozen=True, slots=True)
class Affected:
    """One ``affected[]`` entry: a package in an ecosystem and the versions of it that are affected.

    ``name`` is as written in the record; ``lookup_name`` is the key used to find it (normalised per
    ecosystem, e.g. PEP 503 for PyPI).
    """

    ecosystem: str
    name: str
    lookup_name: str
    purl: str | None = None
    ranges: tuple[Range, ...] = ()
    versions: tuple[str, ...] = ()
    severity: tuple[Severity, ...] = ()
    ecosystem_specific: Any = None
    database_specific: Any = None


@dataclass(frozen=True, slots=True)
class Advisory:
    """One vulnerability record from one source (an OSV record, an NVD CVE, a CSAF document...)."""

    id: str
    modified: datetime
    published: datetime | None = None
    withdrawn: datetime | None = None
    aliases: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    upstream: tuple[str, ...] = ()
    summary: str | None = None
    details: str | None = None
    severity: tuple[Severity, ...] = ()
    affected: tuple[Affected, ...] = ()
    references: tuple[Reference, ...] = ()
    database_specific: Any = None
    schema_version: str | None = None
