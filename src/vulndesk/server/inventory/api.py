"""API routes of the inventory: products and their grants, releases, SBOMs and components.

Each route checks what the caller may do with the product first: a product outside their teams
is a 404 on every route below it, a missing role a 403 (accounts.permissions).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime
from functools import wraps
from typing import Annotated, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import F, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.http import content_disposition_header
from ninja import Field, Query, Router, Schema, Status
from ninja.decorators import decorate_view
from ninja.errors import HttpError

from vulndesk.core.errors import InputError
from vulndesk.core.ids.purl import parse_purl, purl_without_version
from vulndesk.server.accounts.models import Team
from vulndesk.server.accounts.permissions import product_for, product_role
from vulndesk.server.api_fields import DbId, Name, Text
from vulndesk.server.api_pagination import Page, PageParams, paginate
from vulndesk.server.inventory import selectors, services
from vulndesk.server.inventory.models import (
    Exposure,
    MissionImpact,
    Perspective,
    Product,
    ProductGrant,
    Release,
    Role,
    SafetyImpact,
    SbomDocument,
    SbomStatus,
    ValueDensity,
)
from vulndesk.server.web.uploads import UploadSizeLimit

router = Router()

ProductName = Annotated[Name, Field(max_length=200)]
TagName = Annotated[Name, Field(max_length=100)]
Description = Annotated[Text, Field(max_length=20_000)]


# -- products ------------------------------------------------------------------------------------


class ProductListOut(Schema):
    """A product as listed, with its release count and active findings."""

    id: int
    name: str
    description: str
    parent_id: int | None
    tags: list[str]
    exposure: Exposure
    mission_impact: MissionImpact
    safety_impact: SafetyImpact
    value_density: ValueDensity
    perspective: Perspective
    eu_market: bool
    created_at: datetime
    release_count: int
    active_findings: int

    @staticmethod
    def resolve_tags(product: Product) -> list[str]:
        """Return the tag names (prefetched by the selector)."""
        return [tag.name for tag in product.tags.all()]


class ProductOut(Schema):
    """One product, with the caller's role on it."""

    id: int
    name: str
    description: str
    organisation: str
    parent_id: int | None
    owner: str | None
    tags: list[str]
    exposure: Exposure
    mission_impact: MissionImpact
    safety_impact: SafetyImpact
    value_density: ValueDensity
    perspective: Perspective
    eu_market: bool
    created_at: datetime
    role: Role


class ProductIn(Schema):
    """A new product; ``team_id`` names the team that will own it (one the caller is in)."""

    name: ProductName
    description: Description = ""
    parent_id: DbId | None = None
    tags: list[TagName] = Field(default_factory=list, max_length=100)
    exposure: Exposure = Exposure.CONTROLLED
    mission_impact: MissionImpact = MissionImpact.MEF_SUPPORT_CRIPPLED
    safety_impact: SafetyImpact = SafetyImpact.NEGLIGIBLE
    value_density: ValueDensity = ValueDensity.DIFFUSE
    perspective: Perspective = Perspective.DEPLOYER
    eu_market: bool = False
    team_id: DbId | None = Field(
        None, description="the owner team; required unless the caller is a superuser"
    )


class ProductPatch(Schema):
    """Changes to a product: only the fields sent change; ``parent_id: null`` detaches it."""

    name: ProductName | None = None
    description: Description | None = None
    parent_id: DbId | None = None
    tags: list[TagName] | None = Field(None, max_length=100)
    exposure: Exposure | None = None
    mission_impact: MissionImpact | None = None
    safety_impact: SafetyImpact | None = None
    value_density: ValueDensity | None = None
    perspective: Perspective | None = None
    eu_market: bool | None = None


class ProductFilters(Schema):
    """What a product list is narrowed to."""

    q: Annotated[Text, Field(max_length=200)] = Field("", description="a part of the name")
    tag: Annotated[Text, Field(max_length=100)] = Field("", description="a tag name")


class GrantOut(Schema):
    """A team's role on a product."""

    team_id: int
    team: str
    organisation: str
    role: Role


class GrantIn(Schema):
    """The role to give a team."""

    role: Role


@router.get("/products", response=Page[ProductListOut], tags=["products"])
def product_list(
    request: HttpRequest, filters: Query[ProductFilters], page: Query[PageParams]
) -> dict[str, Any]:
    """Return the products the caller may see, by name."""
    products = selectors.product_list(user=request.auth, q=filters.q, tag=filters.tag)
    return paginate(products, page)


@router.post("/products", response={201: ProductOut}, tags=["products"])
def product_create(request: HttpRequest, body: ProductIn) -> Status[dict[str, Any]]:
    """Create a product owned by ``team_id`` (a team the caller is in; superusers: any team, or
    none) and return it."""
    user = request.auth
    team = _owner_team(user, body.team_id)
    parent = _parent_for(user, body.parent_id) if body.parent_id is not None else None
    product = services.product_create(
        name=body.name,
        acting_user=user,
        team=team,
        parent=parent,
        tags=body.tags,
        description=body.description,
        exposure=body.exposure,
        mission_impact=body.mission_impact,
        safety_impact=body.safety_impact,
        value_density=body.value_density,
        perspective=body.perspective,
        eu_market=body.eu_market,
    )
    return Status(201, _product_out(user, product.pk))


@router.get("/products/{product_id}", response=ProductOut, tags=["products"])
def product_detail(request: HttpRequest, product_id: DbId) -> dict[str, Any]:
    """Return one product and the caller's role on it."""
    return _product_out(request.auth, product_id)


@router.patch("/products/{product_id}", response=ProductOut, tags=["products"])
def product_update(request: HttpRequest, product_id: DbId, body: ProductPatch) -> dict[str, Any]:
    """Change a product's fields, tags or parent (editor role) and return it."""
    user = request.auth
    product = product_for(user, product_id, Role.EDITOR)
    sent = body.model_dump(exclude_unset=True)
    changes: dict[str, Any] = {}
    if "parent_id" in sent:
        parent_id = sent.pop("parent_id")
        changes["parent"] = _parent_for(user, parent_id) if parent_id is not None else None
    # null for a field that cannot be empty leaves it as it is
    changes.update({field: value for field, value in sent.items() if value is not None})
    services.product_update(product=product, acting_user=user, **changes)
    return _product_out(user, product.pk)


@router.delete("/products/{product_id}", response={204: None}, tags=["products"])
def product_delete(request: HttpRequest, product_id: DbId) -> Status[None]:
    """Delete a product with its releases, SBOMs and findings (owner role)."""
    product = product_for(request.auth, product_id, Role.OWNER)
    services.product_delete(product=product, acting_user=request.auth)
    return Status(204, None)


@router.get("/products/{product_id}/grants", response=list[GrantOut], tags=["products"])
def grant_list(request: HttpRequest, product_id: DbId) -> list[dict[str, Any]]:
    """Return which teams hold which role on a product (owner role)."""
    product = product_for(request.auth, product_id, Role.OWNER)
    grants = ProductGrant.objects.filter(product=product).order_by("team__name", "team_id")
    return list(_grant_rows(grants))


@router.put("/products/{product_id}/grants/{team_id}", response=GrantOut, tags=["products"])
def grant_put(
    request: HttpRequest, product_id: DbId, team_id: DbId, body: GrantIn
) -> dict[str, Any]:
    """Give a team a role on a product, replacing its former role (owner role)."""
    product = product_for(request.auth, product_id, Role.OWNER)
    team = _team(team_id)
    services.product_grant(product=product, team=team, role=body.role, acting_user=request.auth)
    return next(_grant_rows(ProductGrant.objects.filter(product=product, team=team)))


@router.delete("/products/{product_id}/grants/{team_id}", response={204: None}, tags=["products"])
def grant_delete(request: HttpRequest, product_id: DbId, team_id: DbId) -> Status[None]:
    """Take a team's access to a product away (owner role)."""
    product = product_for(request.auth, product_id, Role.OWNER)
    team = _team(team_id)
    if not ProductGrant.objects.filter(product=product, team=team).exists():
        raise Http404("the team holds no role on this product")
    services.product_grant(product=product, team=team, role=None, acting_user=request.auth)
    return Status(204, None)


_PRODUCT_COLUMNS = (
    "id", "name", "description", "parent_id", "exposure", "mission_impact", "safety_impact",
    "value_density", "perspective",
    "eu_market", "created_at",
)  # fmt: skip


def _product_out(user: Any, product_id: int) -> dict[str, Any]:
    product = selectors.product_get(user=user, product_id=product_id)
    if product is None:
        raise Http404("no such product")
    role = product_role(user, product)
    return {
        **{column: getattr(product, column) for column in _PRODUCT_COLUMNS},
        "organisation": product.organisation.name,
        "owner": product.owner.get_username() if product.owner else None,
        "tags": sorted(tag.name for tag in product.tags.all()),
        "role": role,
    }


def _owner_team(user: Any, team_id: int | None) -> Team | None:
    """Return the team a new product goes to: one the caller is in (superusers: any, or none)."""
    if team_id is None:
        if user.is_superuser:
            return None
        raise PermissionDenied("a product needs team_id: a team you are a member of")
    team = Team.objects.filter(id=team_id).select_related("organisation").first()
    if user.is_superuser:
        if team is None:
            raise InputError(f"team_id {team_id}: no such team")
        return team
    if team is None or not team.members.filter(pk=user.pk).exists():
        # the same answer whether or not the team exists: teams one is not in are not listed
        raise PermissionDenied(f"team_id {team_id}: you are not a member of that team")
    return team


def _parent_for(user: Any, parent_id: int) -> Product:
    """Return the product to attach a product under: one the caller may edit."""
    try:
        return product_for(user, parent_id, Role.EDITOR)
    except Http404:
        raise InputError(f"parent_id {parent_id}: no such product") from None


def _team(team_id: int) -> Team:
    team = Team.objects.filter(id=team_id).select_related("organisation").first()
    if team is None:
        raise Http404("no such team")
    return team


def _grant_rows(grants: QuerySet[ProductGrant]) -> Iterator[dict[str, Any]]:
    rows = grants.values(
        "team_id", "role", team_name=F("team__name"), organisation=F("team__organisation__name")
    )
    return ({**row, "team": row["team_name"]} for row in rows)


# -- releases ------------------------------------------------------------------------------------


class ReleaseOut(Schema):
    """A release (version) of a product."""

    id: int
    product_id: int
    product_name: str
    version: str
    description: str
    released_at: date | None
    created_at: datetime
    component_count: int
    analysed_at: datetime | None
    active_findings: int | None = Field(None, description="in lists only")


class ReleaseIn(Schema):
    """A new release."""

    version: Annotated[Name, Field(max_length=200)]
    description: Description = ""
    released_at: date | None = None


_RELEASE_COLUMNS = (
    "id", "product_id", "version", "description", "released_at", "created_at", "component_count",
    "analysed_at",
)  # fmt: skip


@router.get("/products/{product_id}/releases", response=Page[ReleaseOut], tags=["releases"])
def release_list(request: HttpRequest, product_id: DbId, page: Query[PageParams]) -> dict[str, Any]:
    """Return a product's releases, newest first, with their active findings."""
    product_for(request.auth, product_id)
    releases = selectors.release_list(user=request.auth, product_id=product_id).values(
        *_RELEASE_COLUMNS, "active_findings", product_name=F("product__name")
    )
    return paginate(releases, page)


@router.post("/products/{product_id}/releases", response={201: ReleaseOut}, tags=["releases"])
def release_create(
    request: HttpRequest, product_id: DbId, body: ReleaseIn
) -> Status[dict[str, Any]]:
    """Create a release of a product (editor role) and return it."""
    product = product_for(request.auth, product_id, Role.EDITOR)
    release = services.release_create(
        product=product,
        version=body.version,
        description=body.description,
        released_at=body.released_at,
        acting_user=request.auth,
    )
    return Status(201, _release_out(release))


@router.get("/releases/{release_id}", response=ReleaseOut, tags=["releases"])
def release_detail(request: HttpRequest, release_id: DbId) -> dict[str, Any]:
    """Return one release."""
    return _release_out(_release_for(request.auth, release_id))


@router.delete("/releases/{release_id}", response={204: None}, tags=["releases"])
def release_delete(request: HttpRequest, release_id: DbId) -> Status[None]:
    """Delete a release with its SBOMs, components and findings (owner role)."""
    release = _release_for(request.auth, release_id, Role.OWNER)
    services.release_delete(release=release, acting_user=request.auth)
    return Status(204, None)


def _release_for(user: Any, release_id: int, role: Role = Role.VIEWER) -> Release:
    """Return the release if ``user`` may see it (else 404) and holds ``role`` (else 403)."""
    release = selectors.release_get(user=user, release_id=release_id)
    if release is None:
        raise Http404("no such release")
    if role != Role.VIEWER:
        product_for(user, release.product_id, role)
    return release


def _release_out(release: Release) -> dict[str, Any]:
    return {
        **{column: getattr(release, column) for column in _RELEASE_COLUMNS},
        "product_name": release.product.name,
    }


# -- SBOMs ---------------------------------------------------------------------------------------


class SbomOut(Schema):
    """An uploaded SBOM, without its content (``GET /sboms/{id}/content`` has it)."""

    id: int
    release_id: int
    file_name: str
    sha256: str
    size: int
    format: str
    spec_version: str
    status: SbomStatus
    error: str
    component_count: int
    uploaded_by: str | None
    uploaded_at: datetime


class SbomUploadOut(SbomOut):
    """A stored SBOM and the job analysing it."""

    job_id: int | None


_SBOM_COLUMNS = (
    "id", "release_id", "file_name", "sha256", "size", "format", "spec_version", "status",
    "error", "component_count", "uploaded_at",
)  # fmt: skip

#: raw request bodies an SBOM may come in, and the file name it gets when none is given
_RAW_SBOM_TYPES = {
    "application/json": "sbom.json",
    "application/vnd.cyclonedx+json": "sbom.cdx.json",
    "application/spdx+json": "sbom.spdx.json",
    "application/xml": "sbom.xml",
    "application/vnd.cyclonedx+xml": "sbom.cdx.xml",
    "text/xml": "sbom.xml",
    "text/plain": "sbom.spdx",
    "text/spdx": "sbom.spdx",
}
#: room for a multipart body's boundaries and part headers around the file
_MULTIPART_SLACK = 64 * 1024
#: the media type ``GET /sboms/{id}/content`` answers with, by stored format
_SBOM_MEDIA_TYPES = {
    "CycloneDX json": "application/vnd.cyclonedx+json",
    "CycloneDX xml": "application/vnd.cyclonedx+xml",
    "SPDX json": "application/spdx+json",
    "SPDX tag-value": "text/spdx; charset=utf-8",
    "SPDX json-ld": "application/ld+json",
}

_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "description": (
            "The SBOM (CycloneDX JSON or XML, SPDX 2 JSON or tag-value, SPDX 3 JSON-LD): as the "
            "file field `file` of a multipart form, or as the whole body. Its format is told "
            "from the content."
        ),
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                }
            },
            **{
                media_type: {"schema": {"type": "object"}}
                for media_type in _RAW_SBOM_TYPES
                if media_type.endswith("json")
            },
            **{
                media_type: {"schema": {"type": "string"}}
                for media_type in _RAW_SBOM_TYPES
                if not media_type.endswith("json")
            },
        },
    }
}


def _limit_multipart(run: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Stop a multipart upload as soon as its file passes the SBOM size limit.

    The handler must be in place before anything reads the body, and the session's CSRF check
    does (Django reads a POST's form fields for the token): so this wraps the whole operation,
    authentication included.
    """

    @wraps(run)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.content_type == "multipart/form-data":
            limit = UploadSizeLimit(request, settings.SBOM_UPLOAD_MAX_BYTES)
            request.upload_handlers.insert(0, limit)
        return run(request, *args, **kwargs)

    return wrapper


@router.post(
    "/releases/{release_id}/sboms",
    response={202: SbomUploadOut},
    tags=["sboms"],
    openapi_extra=_UPLOAD_BODY,
)
@decorate_view(_limit_multipart)
def sbom_upload(
    request: HttpRequest,
    release_id: DbId,
    file_name: Annotated[
        Name | None,
        Field(
            max_length=255,
            description="the name to keep a raw-body SBOM under (multipart: the file's name)",
        ),
    ] = None,
) -> Status[dict[str, Any]]:
    """Store an SBOM for a release and queue its analysis (editor role); answer 202 with the
    stored SBOM and the job's id. An SBOM that cannot be read is a 400 saying where and why,
    and nothing is stored; one past the size limit is a 413."""
    release = _release_for(request.auth, release_id, Role.EDITOR)
    name, content = _uploaded_sbom(request, file_name)
    document = services.sbom_upload(
        release=release, file_name=name, content=content, acting_user=request.auth
    )
    return Status(202, {**_sbom_out(document), "job_id": document.analysis_job_id})


@router.get("/releases/{release_id}/sboms", response=Page[SbomOut], tags=["sboms"])
def sbom_list(request: HttpRequest, release_id: DbId, page: Query[PageParams]) -> dict[str, Any]:
    """Return the SBOMs uploaded for a release, newest first."""
    release = _release_for(request.auth, release_id)
    rows = selectors.sbom_list(release=release).values(
        *_SBOM_COLUMNS, uploaded_by_name=F("uploaded_by__username")
    )
    return paginate(rows, page, convert=_with_uploader)


@router.get("/sboms/{sbom_id}", response=SbomOut, tags=["sboms"])
def sbom_detail(request: HttpRequest, sbom_id: DbId) -> dict[str, Any]:
    """Return an SBOM's metadata: digest, size, format, analysis status."""
    # Through its release, so that the content (up to the upload limit) is not read for this.
    release_id = SbomDocument.objects.filter(id=sbom_id).values_list("release_id", flat=True)
    release = selectors.release_get(user=request.auth, release_id=release_id.first() or 0)
    if release is None:
        raise Http404("no such SBOM")
    rows = selectors.sbom_list(release=release).filter(id=sbom_id)
    row = rows.values(*_SBOM_COLUMNS, uploaded_by_name=F("uploaded_by__username")).first()
    if row is None:
        raise Http404("no such SBOM")
    return _with_uploader([row])[0]


@router.get(
    "/sboms/{sbom_id}/content",
    tags=["sboms"],
    openapi_extra={
        "responses": {
            200: {
                "description": "the SBOM exactly as uploaded",
                "content": {
                    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
                },
            }
        }
    },
)
def sbom_content(request: HttpRequest, sbom_id: DbId) -> HttpResponse:
    """Return an SBOM exactly as it was uploaded (an export: only for who may see the product)."""
    document = selectors.sbom_get(user=request.auth, sbom_id=sbom_id)
    if document is None:
        raise Http404("no such SBOM")
    media_type = _SBOM_MEDIA_TYPES.get(document.format, "application/octet-stream")
    response = HttpResponse(bytes(document.content), content_type=media_type)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=document.file_name
    )
    return response


def _uploaded_sbom(request: HttpRequest, file_name: str | None) -> tuple[str, bytes]:
    """Return the file name and content of the SBOM a request carries.

    Raises SbomTooLarge (413) past the size limit, InputError (400) for a multipart form
    without the file, HttpError 415 for a body of another media type.
    """
    limit = settings.SBOM_UPLOAD_MAX_BYTES
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    too_large = f"the upload is larger than the {limit:,} bytes an SBOM may have"
    if request.content_type == "multipart/form-data":
        if declared > limit + _MULTIPART_SLACK:
            raise services.SbomTooLarge(too_large)
        upload = request.FILES.get("file")
        if any(isinstance(h, UploadSizeLimit) and h.exceeded for h in request.upload_handlers):
            raise services.SbomTooLarge(too_large)
        if upload is None:
            raise InputError("the multipart form has no file field 'file' holding the SBOM")
        return upload.name or "sbom", upload.read()
    if request.content_type in _RAW_SBOM_TYPES:
        if declared > limit:
            raise services.SbomTooLarge(too_large)
        content = request.read(limit + 1)
        if len(content) > limit:
            raise services.SbomTooLarge(too_large)
        return file_name or _RAW_SBOM_TYPES[request.content_type], content
    accepted = ", ".join(["multipart/form-data", *_RAW_SBOM_TYPES])
    raise HttpError(415, f"send the SBOM as one of: {accepted}")


def _sbom_out(document: SbomDocument) -> dict[str, Any]:
    return {
        **{column: getattr(document, column) for column in _SBOM_COLUMNS},
        "uploaded_by": document.uploaded_by.get_username() if document.uploaded_by else None,
    }


def _with_uploader(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**row, "uploaded_by": row["uploaded_by_name"]} for row in rows]


# -- components ----------------------------------------------------------------------------------


class ComponentOut(Schema):
    """A component of a release."""

    id: int
    name: str
    version: str
    purl: str
    direct: bool
    licenses: list[Any]
    identity_key: str = Field(description="the identity matching uses: purl, else CPE, else name")
    evaluable: bool = Field(description="whether matching can evaluate it")


class ComponentUseOut(Schema):
    """Where a component is used: the component and its release and product."""

    id: int
    name: str
    version: str
    purl: str
    direct: bool
    release_id: int
    release_version: str
    product_id: int
    product_name: str


class ComponentFilters(Schema):
    """What a release's component list is narrowed to."""

    q: Annotated[Text, Field(max_length=500)] = Field("", description="a part of the name")


class ComponentSearch(Schema):
    """Which component to look for."""

    name: Annotated[Name, Field(max_length=1000)] = Field(
        description=(
            "the component's name (case-insensitive, exact) or its package purl "
            "(pkg:maven/org.apache.logging.log4j/log4j-core; a version in it counts as `version`)"
        )
    )
    version: Annotated[Text, Field(max_length=200)] = Field(
        "", description="a version prefix: 2.14 finds 2.14.0 and 2.14.1"
    )


@router.get("/releases/{release_id}/components", response=Page[ComponentOut], tags=["components"])
def component_list(
    request: HttpRequest,
    release_id: DbId,
    filters: Query[ComponentFilters],
    page: Query[PageParams],
) -> dict[str, Any]:
    """Return the active components of a release, by name."""
    release = _release_for(request.auth, release_id)
    rows = selectors.release_components(release=release, q=filters.q).values(
        "id", "name", "version", "purl", "direct", "licenses",
        identity_key=F("identity__key"), evaluable=F("identity__evaluable"),
    )  # fmt: skip
    return paginate(rows, page)


@router.get("/components/search", response=Page[ComponentUseOut], tags=["components"])
def component_search(
    request: HttpRequest, search: Query[ComponentSearch], page: Query[PageParams]
) -> dict[str, Any]:
    """Return where a component is used, in the releases the caller may see."""
    name, version = search.name, search.version.strip()
    if name.startswith("pkg:"):
        purl = parse_purl(name)
        name, version = purl_without_version(purl), version or purl.version or ""
    rows = selectors.component_search(user=request.auth, name=name, version=version).values(
        "id", "name", "version", "purl", "direct", "release_id",
        release_version=F("release__version"), product_id=F("release__product_id"),
        product_name=F("release__product__name"),
    )  # fmt: skip
    return paginate(rows, page)
