"""Reading advisories: lookups by id, search, overviews, and the candidates a scan evaluates."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import orjson
from django.db import connection
from django.db.models import Count, Q, QuerySet

from vulndesk.core.advisories.model import Advisory as AdvisoryRecord
from vulndesk.core.advisories.osv import parse_osv
from vulndesk.core.advisories.stored import advisory_from_stored
from vulndesk.core.errors import AdvisoryError
from vulndesk.core.ids.aliases import AliasGroups, id_sort_key
from vulndesk.server.advisories.candidates import fetch_candidates
from vulndesk.server.advisories.models import Advisory, AffectedPackage, FeedImport
from vulndesk.server.rawdb import RawDatabase


def advisory_get(*, advisory_id: str) -> Advisory | None:
    """Return the stored advisory with this storage key (``nvd:CVE-2024-1``, or an OSV id), else
    a record published under this id (OSV first, then by format), or None."""
    found = Advisory.objects.filter(id=advisory_id).first()
    if found is None:
        found = Advisory.objects.filter(record_id=advisory_id).order_by("format", "id").first()
    return found


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


def advisory_ecosystems() -> list[tuple[str, int]]:
    """Return every ecosystem advisories name a package in, with how many advisories name one
    there: most advisories first, then by name. Ecosystems are as indexed (``Ubuntu:22.04``)."""
    rows = (
        AffectedPackage.objects.values("ecosystem")
        .annotate(advisories=Count("advisory", distinct=True))
        .order_by("-advisories", "ecosystem")
    )
    return [(row["ecosystem"], row["advisories"]) for row in rows]


@dataclass(frozen=True, slots=True)
class AdvisoryOverview:
    """What the store holds, for the dashboard."""

    advisories: int
    withdrawn: int
    alias_groups: int
    ecosystems: list[tuple[str, int]]
    imports: list[FeedImport]


def advisory_overview(*, imports: int = 10) -> AdvisoryOverview:
    """Return the store's counts, its ecosystems and the latest ``imports`` feed imports."""
    counts = advisory_counts()
    return AdvisoryOverview(
        advisories=counts["advisories"],
        withdrawn=counts["withdrawn"],
        alias_groups=Advisory.objects.values("group_key").distinct().count(),
        ecosystems=advisory_ecosystems(),
        imports=list(FeedImport.objects.order_by("-started_at", "-id")[:imports]),
    )


def advisory_search(*, query: str = "", ecosystem: str = "") -> QuerySet[Advisory]:
    """Return the advisories matching a search, newest ``modified`` first, without their text.

    ``query`` (case-insensitive substring) matches the id, any alias, or the lookup name of an
    affected package; ``ecosystem`` keeps those naming a package in that indexed ecosystem. Empty
    values do not filter. Affected packages are prefetched for display.
    """
    advisories = Advisory.objects.defer("raw", "match")
    query = query.strip()
    if query:
        advisories = advisories.filter(
            Q(id__icontains=query)
            # On the JSON text of the list, so an alias is found by any part of it.
            | Q(aliases__icontains=query)
            | Q(id__in=AffectedPackage.objects.filter(name__icontains=query).values("advisory_id"))
        )
    if ecosystem:
        advisories = advisories.filter(
            id__in=AffectedPackage.objects.filter(ecosystem=ecosystem).values("advisory_id")
        )
    return advisories.prefetch_related("packages").order_by("-modified", "id")


def advisory_headlines(*, advisories: Iterable[Advisory]) -> dict[str, str]:
    """Return a one-line headline per advisory id: its summary, else the first line of its details
    (read from the stored text; PYSEC records have no summary), else an empty string."""
    headlines = {a.id: a.summary.strip() for a in advisories}
    missing = [advisory_id for advisory_id, text in headlines.items() if not text]
    for advisory_id, raw in Advisory.objects.filter(id__in=missing).values_list("id", "raw"):
        try:
            details = orjson.loads(raw).get("details")
        except (orjson.JSONDecodeError, AttributeError):
            continue
        if isinstance(details, str):
            headlines[advisory_id] = next(
                (line.strip() for line in details.splitlines() if line.strip()), ""
            )
    return headlines


@dataclass(frozen=True, slots=True)
class AdvisoryDetail:
    """One stored advisory, read back, with the rest of its alias group.

    ``record`` is None when the stored text no longer parses (a codec became stricter since the
    import); ``problem`` then says why. ``group`` holds the other stored records sharing its
    ``group_key``; ``stored_ids`` every id of the group that is a stored record.
    """

    advisory: Advisory
    record: AdvisoryRecord | None
    problem: str | None
    group: list[Advisory]
    stored_ids: frozenset[str]


def advisory_detail(*, advisory_id: str) -> AdvisoryDetail | None:
    """Return the stored advisory with this id, parsed, with its alias group; None if unknown."""
    advisory = advisory_get(advisory_id=advisory_id)
    if advisory is None:
        return None
    record: AdvisoryRecord | None = None
    problem: str | None = None
    try:
        if advisory.format == "osv":
            record = parse_osv(orjson.loads(advisory.raw), source=advisory.source)
        else:  # the codec's reading, as stored at import
            record = advisory_from_stored(orjson.loads(advisory.match), source=advisory.source)
    except orjson.JSONDecodeError as exc:
        problem = f"the stored text is not valid JSON: {exc}"
    except AdvisoryError as exc:
        problem = str(exc)
    group = sorted(
        Advisory.objects.defer("raw", "match")
        .filter(group_key=advisory.group_key)
        .exclude(id=advisory.id),
        key=lambda a: id_sort_key(a.id),
    )
    return AdvisoryDetail(
        advisory=advisory,
        record=record,
        problem=problem,
        group=group,
        stored_ids=frozenset([advisory.id, *(a.id for a in group)]),
    )
