"""Reading feed state: every source with its freshness, counts and last error."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count
from django.utils import timezone

from vulndesk.server.advisories.models import Advisory, AffectedPackage, EpssScore, KevEntry
from vulndesk.server.feeds.catalog import ADVISORY_FORMAT, SourceKind
from vulndesk.server.feeds.models import FeedSource


@dataclass(frozen=True, slots=True)
class FeedSourceStatus:
    """One source as ``feeds status`` and the feeds page show it."""

    source: FeedSource
    #: what the store holds from this kind of source: advisories of its format (an OSV
    #: ecosystem: advisories naming a package there), KEV entries or EPSS scores
    records: int
    age: timedelta | None
    next_run_at: datetime | None
    running: bool

    @property
    def name(self) -> str:
        """Return the source's name."""
        return self.source.name

    def as_dict(self) -> dict[str, object]:
        """Return the status as JSON-ready values (``feeds status --format json``, the API)."""
        source = self.source
        return {
            "name": source.name,
            "kind": source.kind,
            "enabled": source.enabled,
            "records": self.records,
            "records_stored": source.records_stored,
            "last_attempt_at": _iso(source.last_attempt_at),
            "last_success_at": _iso(source.last_success_at),
            "age_seconds": int(self.age.total_seconds()) if self.age is not None else None,
            "next_run_at": _iso(self.next_run_at),
            "interval_seconds": int(source.interval.total_seconds()),
            "running": self.running,
            "last_error": source.last_error,
            "last_error_at": _iso(source.last_error_at),
            "last_counts": source.last_counts,
            "cursor": source.cursor,
        }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def feed_record_counts() -> dict[str, int]:
    """Return what the store holds per kind of data: ``advisories:<format>`` per advisory
    format, ``osv:<Ecosystem>`` per OSV ecosystem (release suffixes folded: ``Ubuntu:22.04``
    counts for Ubuntu), ``kev`` and ``epss``."""
    counts: dict[str, int] = {}
    for row in Advisory.objects.values("format").annotate(n=Count("id")):
        counts[f"advisories:{row['format']}"] = row["n"]
    osv = (
        AffectedPackage.objects.filter(advisory__format="osv")
        .values("ecosystem")
        .annotate(n=Count("advisory", distinct=True))
    )
    for row in osv:
        key = f"osv:{row['ecosystem'].split(':', 1)[0]}"
        counts[key] = counts.get(key, 0) + row["n"]
    counts["kev"] = KevEntry.objects.count()
    counts["epss"] = EpssScore.objects.count()
    return counts


def feed_source_records(source: FeedSource, counts: dict[str, int]) -> int:
    """Return how many records of ``source``'s kind the store holds (see feed_record_counts)."""
    kind = SourceKind(source.kind)
    if kind is SourceKind.OSV:
        return counts.get(f"osv:{source.settings.get('ecosystem', '')}", 0)
    if kind in (SourceKind.KEV, SourceKind.EPSS):
        return counts.get(kind.value, 0)
    return counts.get(f"advisories:{ADVISORY_FORMAT[kind]}", 0)


def feed_statuses(*, now: datetime | None = None) -> list[FeedSourceStatus]:
    """Return every source's status: enabled ones first, then by name."""
    from vulndesk.server.feeds.services import CLAIM_STALE

    now = now or timezone.now()
    counts = feed_record_counts()
    statuses = []
    for source in FeedSource.objects.order_by("name"):
        next_run = None
        if source.enabled:
            next_run = (
                now
                if source.last_attempt_at is None
                else max(now, source.last_attempt_at + source.interval)
            )
        running = source.running_since is not None and source.running_since >= now - CLAIM_STALE
        statuses.append(
            FeedSourceStatus(
                source=source,
                records=feed_source_records(source, counts),
                age=now - source.last_success_at if source.last_success_at else None,
                next_run_at=next_run,
                running=running,
            )
        )
    statuses.sort(key=lambda s: (not s.source.enabled, s.source.name))
    return statuses
