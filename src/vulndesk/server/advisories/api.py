"""API routes of the advisories app: stored advisories, and the feeds' state and freshness."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema

from vulndesk.server.advisories import selectors
from vulndesk.server.advisories.models import FeedImport
from vulndesk.server.api_fields import Text
from vulndesk.server.api_pagination import Page, PageParams, paginate

router = Router()


class AdvisoryListOut(Schema):
    """An advisory as listed."""

    id: str
    summary: str
    aliases: list[str]
    group_key: str
    modified: datetime
    withdrawn: datetime | None


class AdvisoryOut(AdvisoryListOut):
    """One stored advisory, with where it came from."""

    source: str
    format: str
    record_id: str = Field(description="the id as its source published it")
    rejected: bool = Field(description="rejected by its source (CVE REJECTED, NVD Rejected)")
    published: datetime | None
    imported_at: datetime


class AdvisoryQuery(Schema):
    """What the advisory list is narrowed to."""

    q: Annotated[Text, Field(max_length=255)] = Field(
        "", description="a part of the id, an alias, or an affected package's name"
    )
    ecosystem: Annotated[Text, Field(max_length=100)] = Field(
        "", description="an ecosystem as indexed (PyPI, Go, Ubuntu:22.04...)"
    )


class FeedImportOut(Schema):
    """One run of ``vulndesk feeds import``."""

    id: int
    started_at: datetime
    finished_at: datetime | None
    sources: list[Any]
    created: int
    updated: int
    unchanged: int
    skipped: int
    problem_count: int

    @staticmethod
    def resolve_problem_count(feed_import: FeedImport) -> int:
        """Return how many records the import refused or passed over."""
        return len(feed_import.problems)


class EcosystemOut(Schema):
    """An ecosystem advisories name packages in, and how many advisories do."""

    name: str
    advisories: int


class FeedsOut(Schema):
    """What the advisory store holds and how fresh it is."""

    advisories: int
    withdrawn: int
    alias_groups: int
    last_import_at: datetime | None = Field(
        description="when the newest finished feed import ended: how fresh the store is"
    )
    ecosystems: list[EcosystemOut]
    imports: list[FeedImportOut]


_LIST_COLUMNS = ("id", "summary", "aliases", "group_key", "modified", "withdrawn")


@router.get("/advisories", response=Page[AdvisoryListOut], tags=["advisories"])
def advisory_list(
    request: HttpRequest, query: Query[AdvisoryQuery], page: Query[PageParams]
) -> dict[str, Any]:
    """Return the stored advisories matching a search, most recently modified first."""
    advisories = selectors.advisory_search(query=query.q, ecosystem=query.ecosystem.strip())
    # the selector prefetches packages for the web page; the list shows none
    return paginate(advisories.prefetch_related(None).values(*_LIST_COLUMNS), page)


@router.get("/advisories/{path:advisory_id}", response=AdvisoryOut, tags=["advisories"])
def advisory_detail(
    request: HttpRequest, advisory_id: Annotated[Text, Field(max_length=255)]
) -> Any:
    """Return one stored advisory (OSV ids may hold a slash)."""
    advisory = selectors.advisory_get(advisory_id=advisory_id)
    if advisory is None:
        raise Http404("no such advisory")
    return advisory


@router.get("/feeds", response=FeedsOut, tags=["feeds"])
def feed_status(request: HttpRequest) -> dict[str, Any]:
    """Return the store's counts, its ecosystems, the latest feed imports, and the time of the
    newest finished one (the store's freshness)."""
    overview = selectors.advisory_overview(imports=20)
    finished = [i.finished_at for i in overview.imports if i.finished_at is not None]
    return {
        "advisories": overview.advisories,
        "withdrawn": overview.withdrawn,
        "alias_groups": overview.alias_groups,
        "last_import_at": max(finished, default=None),
        "ecosystems": [{"name": name, "advisories": n} for name, n in overview.ecosystems],
        "imports": overview.imports,
    }
