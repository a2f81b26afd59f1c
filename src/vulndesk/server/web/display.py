"""What the advisory page shows, prepared from a stored advisory: readable ranges, the severity
rating, safe links. Pure functions of the parsed record, kept out of the templates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.utils.translation import gettext as _

from vulndesk.core.advisories.model import Advisory as AdvisoryRecord
from vulndesk.core.advisories.model import Affected, Event, Range
from vulndesk.core.errors import VulndeskError
from vulndesk.core.scoring.cvss import SeverityRating, advisory_ratings, highest_rating
from vulndesk.core.versions.registry import scheme_for_range_type
from vulndesk.server.advisories.selectors import AdvisoryDetail

# A GIT range names commits; 12 hex digits identify one in any real repository and fit a table.
_COMMIT_CHARS = 12


@dataclass(frozen=True, slots=True)
class RangeView:
    """One OSV range, readably: its type, repository (GIT), and the affected intervals."""

    type: str
    repo: str | None
    intervals: list[str]


@dataclass(frozen=True, slots=True)
class AffectedView:
    """One ``affected[]`` entry as shown: the package, its ranges, its explicit versions."""

    ecosystem: str
    name: str
    purl: str | None
    ranges: list[RangeView]
    versions: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ReferenceView:
    """A reference; ``href`` is None unless the URL is http(s), so no ``javascript:`` link."""

    type: str
    url: str
    href: str | None


@dataclass(frozen=True, slots=True)
class AdvisoryView:
    """Everything the advisory page renders besides the stored row."""

    severity: SeverityRating | None
    ratings: list[SeverityRating]
    affected: list[AffectedView]
    references: list[ReferenceView]
    aliases: list[tuple[str, bool]]  # (id, whether it is a stored record)


def advisory_view(detail: AdvisoryDetail) -> AdvisoryView | None:
    """Return what the page shows of ``detail``'s parsed record (None when it did not parse)."""
    record = detail.record
    if record is None:
        return None
    ratings = advisory_ratings(record)
    return AdvisoryView(
        severity=highest_rating(ratings),
        ratings=ratings,
        affected=[affected_view(a) for a in record.affected],
        references=[ReferenceView(r.type, r.url, http_url(r.url)) for r in record.references],
        aliases=[(alias, alias in detail.stored_ids) for alias in _aliases(record)],
    )


def _aliases(record: AdvisoryRecord) -> list[str]:
    return [a for a in dict.fromkeys(record.aliases) if a != record.id]


def http_url(url: str) -> str | None:
    """Return ``url`` when it is an absolute http or https URL, else None."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    return url.strip() if parts.scheme in {"http", "https"} and parts.netloc else None


def affected_view(affected: Affected) -> AffectedView:
    """Return one ``affected[]`` entry as shown."""
    return AffectedView(
        ecosystem=affected.ecosystem,
        name=affected.name,
        purl=affected.purl,
        ranges=[range_view(r, affected.ecosystem) for r in affected.ranges],
        versions=affected.versions,
    )


def range_view(r: Range, ecosystem: str) -> RangeView:
    """Return the affected intervals of one range, in the notation of scan findings.

    ``>=2.3.0, <2.31.0`` (introduced, fixed), ``<=1.4`` (last affected), ``all versions``; a
    ``limit`` bound is added to every interval. Events are ordered by the range's version scheme
    (the OSV evaluation order); when the scheme is unknown or a version does not parse, file order
    is kept. GIT ranges list their events, commits shortened.
    """
    if r.type == "GIT":
        return RangeView(r.type, r.repo, [_git_event(e) for e in r.events])
    events = _ordered(r, ecosystem)
    intervals: list[str] = []
    limits = [e.version for e in events if e.kind == "limit" and e.version != "*"]
    start: str | None = None
    for event in events:
        if event.kind == "introduced":
            if start is None:
                start = event.version
        elif event.kind in {"fixed", "last_affected"} and start is not None:
            upper = f"<{event.version}" if event.kind == "fixed" else f"<={event.version}"
            intervals.append(_interval(start, upper, limits))
            start = None
    if start is not None:
        intervals.append(_interval(start, None, limits))
    return RangeView(r.type, r.repo, intervals)


def _ordered(r: Range, ecosystem: str) -> list[Event]:
    try:
        scheme = scheme_for_range_type(r.type, ecosystem)
        keyed: list[tuple[tuple[int, Any], Event]] = [
            ((0, None) if e.version == "0" else (1, scheme.cached_key(e.version)), e)
            for e in r.events
            if not (e.kind == "limit" and e.version == "*")
        ]
        # sorted() is stable: equal versions keep their file order, as in the evaluation;
        # "0" sorts first (two "0" keys are equal, so None is never ordered against a key).
        return [e for _, e in sorted(keyed, key=lambda item: item[0])]
    except (VulndeskError, TypeError):  # InvalidVersion, UnsupportedEcosystem; mixed key types
        return list(r.events)


def _interval(start: str, upper: str | None, limits: list[str]) -> str:
    parts = [] if start == "0" else [f">={start}"]
    if upper is not None:
        parts.append(upper)
    parts.extend(f"<{limit} (limit)" for limit in limits)
    return ", ".join(parts) if parts else _("all versions")


def _git_event(event: Event) -> str:
    labels = {
        "introduced": _("introduced"),
        "fixed": _("fixed"),
        "last_affected": _("last affected"),
        "limit": _("limit"),
    }
    version = event.version
    if len(version) == 40 and all(c in "0123456789abcdef" for c in version):
        version = version[:_COMMIT_CHARS]
    return f"{labels.get(event.kind, event.kind)} {version}"
