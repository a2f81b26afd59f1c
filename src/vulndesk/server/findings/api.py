"""API routes of the findings app: the findings list, one finding, counts per severity.

The list is the busiest route of the API (a portfolio holds a million findings): filters,
permissions and order run in SQL in one indexed query (findings.selectors), only the columns
shown are read, and a page never counts the whole list unless ``count=true`` asks for it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import orjson
from django.db.models import F, TextField
from django.db.models.functions import Cast
from django.http import Http404, HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema

from vulndesk.server.accounts.permissions import visible_product_ids
from vulndesk.server.api_fields import DbId, Text
from vulndesk.server.api_pagination import Page, PageParams, paginate
from vulndesk.server.findings import selectors
from vulndesk.server.findings.models import Confidence, FindingStatus, Severity
from vulndesk.server.inventory.models import Product
from vulndesk.server.inventory.selectors import release_get

router = Router(tags=["findings"])

#: the orders of FINDING_SORTS, as the schema's enumeration
FindingSort = Literal[tuple(selectors.FINDING_SORTS)]  # type: ignore[valid-type]

_LIST_COLUMNS = (
    "id", "vulnerability_id", "aliases", "summary", "severity", "cvss_score", "kev", "epss",
    "status", "component_name", "component_version", "purl", "fixed_versions", "first_seen",
    "last_seen", "resolved_at", "product_id", "release_id", "confidence", "priority", "due_at",
    "analysis_state",
)  # fmt: skip
_DETAIL_COLUMNS = (
    *_LIST_COLUMNS, "advisory_ids", "cvss_vector", "affected_range", "component_id",
    "exploitation", "automatable", "technical_impact",
)  # fmt: skip
#: JSON columns of the list, read as the database's text and passed into the body as it is
_LIST_JSON = ("aliases", "fixed_versions")
#: fields of the list read from a joined table: the alias group's EPSS score (findings.GroupEpss)
_LIST_JOINED = {"epss": F("group_epss__epss")}


class FindingOut(Schema):
    """A finding as listed."""

    id: int
    vulnerability_id: str
    aliases: list[str]
    summary: str
    severity: Severity
    cvss_score: float | None
    kev: bool
    epss: float | None
    status: FindingStatus
    component_name: str
    component_version: str
    purl: str
    fixed_versions: list[str]
    first_seen: datetime
    last_seen: datetime
    resolved_at: datetime | None
    product_id: int
    product_name: str
    release_id: int
    release_version: str
    confidence: Confidence = Field(
        description="high: matched by package URL or hash; medium: by CPE; low: by vendor and "
        "product names, or on a platform the SBOM does not state"
    )
    priority: Literal["immediate", "out-of-cycle", "scheduled", "defer", ""] = Field(
        description="the SSVC outcome for the product (GET /findings/{id}/explanation says "
        "why); empty until assessed, and for a finding stated not affected or fixed"
    )
    due_at: datetime | None = Field(
        description="first seen plus the organisation's SLA days for the priority"
    )
    analysis_state: Literal["not_affected", "affected", "fixed", "under_investigation", ""] = Field(
        description="the VEX statement that applies, empty when none does"
    )


class FindingDetailOut(FindingOut):
    """One finding in full."""

    advisory_ids: list[str]
    cvss_vector: str
    affected_range: str
    component_id: int
    exploitation: str = Field(description="SSVC Exploitation: none, public poc, active")
    automatable: str = Field(description="SSVC Automatable: no, yes")
    technical_impact: str = Field(description="SSVC Technical Impact: partial, total")


class FindingQuery(Schema):
    """What the findings list is narrowed to, and its order."""

    severity: list[Severity] = Field(
        default_factory=list, description="repeat for several: severity=critical&severity=high"
    )
    kev: bool | None = Field(None, description="in CISA's Known Exploited Vulnerabilities")
    epss_min: float | None = Field(None, ge=0, le=1, description="the least EPSS probability")
    status: Literal["active", "resolved", "all"] = "active"
    product_id: DbId | None = None
    release_id: DbId | None = None
    package: Annotated[Text, Field(max_length=500)] | None = Field(
        None, description="the component's name, exactly (case-insensitive)"
    )
    q: Annotated[Text, Field(max_length=255)] | None = Field(
        None, description="the start of a vulnerability id, alias, or component name"
    )
    priority: list[Literal["immediate", "out-of-cycle", "scheduled", "defer", "none"]] = Field(
        default_factory=list,
        description="SSVC outcomes, repeat for several; none: not assessed, or stated not "
        "affected or fixed",
    )
    analysis_state: list[
        Literal["not_affected", "affected", "fixed", "under_investigation", "none"]
    ] = Field(
        default_factory=list, description="VEX states, repeat for several; none: no statement"
    )
    overdue: bool | None = Field(
        None, description="past the due date the organisation's SLA gives its priority"
    )
    sort: FindingSort = "-severity"


class ScopeQuery(Schema):
    """Which product or release counts are limited to."""

    product_id: DbId | None = None
    release_id: DbId | None = None


class SummaryOut(Schema):
    """Active findings per severity, and in all."""

    counts: dict[Severity, int]
    total: int


@router.get("/findings", response=Page[FindingOut])
def finding_list(
    request: HttpRequest, query: Query[FindingQuery], page: Query[PageParams]
) -> HttpResponse:
    """Return the findings the caller may see, filtered and sorted (most severe first)."""
    # read once: the scope check and the list both need it
    visible = visible_product_ids(request.auth)
    _check_scope(request.auth, query.product_id, query.release_id, visible)
    filters = selectors.FindingFilters(
        status=None if query.status == "all" else query.status,
        severities=tuple(query.severity),
        kev=query.kev,
        epss_min=query.epss_min,
        product_id=query.product_id,
        release_id=query.release_id,
        package=query.package or None,
        q=query.q or None,
        priorities=tuple("" if p == "none" else p for p in query.priority),
        analysis_states=tuple("" if a == "none" else a for a in query.analysis_state),
        overdue=query.overdue,
    )
    findings = selectors.finding_list(
        user=request.auth, filters=filters, sort=query.sort, visible=visible
    )
    rows = findings.values(
        *(c for c in _LIST_COLUMNS if c not in _LIST_JSON and c not in _LIST_JOINED),
        **_LIST_JOINED,
        product_name=F("product__name"),
        release_version=F("release__version"),
        **{f"{c}_json": Cast(c, TextField()) for c in _LIST_JSON},
    )
    # The rows are the schema's fields read from columns of those types: they are encoded as
    # they are, not validated again one by one (3.5 ms of CPU for a page of 50 of the 7 a
    # request cost, measured on the bench portfolio), and the JSON columns go into the body as
    # the database's text, not decoded and encoded again. Tests check the body against the
    # schema.
    return HttpResponse(
        orjson.dumps(paginate(rows, page, convert=_json_columns_embedded)),
        content_type="application/json",
    )


def _json_columns_embedded(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return ``rows`` with each ``<column>_json`` text put back as ``<column>``, unparsed."""
    for row in rows:
        for column in _LIST_JSON:
            row[column] = orjson.Fragment(row.pop(f"{column}_json"))
    return rows


@router.get("/findings/summary", response=SummaryOut)
def finding_summary(request: HttpRequest, scope: Query[ScopeQuery]) -> dict[str, Any]:
    """Return the caller's active findings per severity (of one product or release if given)."""
    _check_scope(
        request.auth, scope.product_id, scope.release_id, visible_product_ids(request.auth)
    )
    counts = selectors.finding_severity_counts(
        user=request.auth, product_id=scope.product_id, release_id=scope.release_id
    )
    return {"counts": counts, "total": sum(counts.values())}


@router.get("/findings/{finding_id}", response=FindingDetailOut)
def finding_detail(request: HttpRequest, finding_id: DbId) -> dict[str, Any]:
    """Return one finding (404 when the caller may not see its product)."""
    finding = selectors.finding_get(user=request.auth, finding_id=finding_id)
    if finding is None:
        raise Http404("no such finding")
    return {
        **{column: getattr(finding, column) for column in _DETAIL_COLUMNS},
        "product_name": finding.product.name,
        "release_version": finding.release.version,
    }


def _check_scope(
    user: Any, product_id: int | None, release_id: int | None, visible: list[int] | None
) -> None:
    """Answer 404 for a product or release filter the caller may not see or that does not
    exist, as every route naming one does (an empty list would hide a typo). ``visible`` is
    :func:`visible_product_ids` of ``user``: seeing a product is all the viewer role asks."""
    if product_id is not None and (
        (visible is not None and product_id not in visible)
        or not Product.objects.filter(id=product_id).exists()
    ):
        raise Http404("no such product")
    if release_id is not None and (
        release_get(user=user, release_id=release_id, visible=visible) is None
    ):
        raise Http404("no such release")
