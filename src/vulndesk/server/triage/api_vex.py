"""API routes of VEX triage: statements on a finding, a product's statements, import and export.

Viewers read, editors write; a finding or product the caller may not see is a 404, a missing
role a 403 (accounts.permissions). A statement is recorded for the finding's scope (see
``triage.vex``) and applies to every finding of the product it covers.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Annotated, Any, Literal

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.http import content_disposition_header
from ninja import Field, Query, Router, Schema, Status
from ninja.decorators import decorate_view
from ninja.errors import HttpError

from vulndesk.core.errors import InputError
from vulndesk.core.vex.model import RESPONSES
from vulndesk.server.accounts.permissions import product_for
from vulndesk.server.api_fields import DbId, Text
from vulndesk.server.api_pagination import Page, PageParams, paginate
from vulndesk.server.findings.models import Finding
from vulndesk.server.findings.selectors import finding_get
from vulndesk.server.inventory.models import Release, Role
from vulndesk.server.triage import vex_documents
from vulndesk.server.triage.models import Justification, VexState
from vulndesk.server.triage.vex import StatementText, VexScope, vex_statement_record
from vulndesk.server.triage.vex_selectors import finding_vex, product_statements, statement_json
from vulndesk.server.web.uploads import UploadSizeLimit

router = Router(tags=["vex"])

Words = Annotated[Text, Field(max_length=20_000)]
Response = Literal[RESPONSES]  # type: ignore[valid-type]
ExportFormat = Literal[tuple(vex_documents.EXPORT_FORMATS)]  # type: ignore[valid-type]

#: raw request bodies a VEX document may come in (all JSON), and the name it gets
_RAW_VEX_TYPES = {
    "application/json": "vex.json",
    "application/vnd.cyclonedx+json": "vex.cdx.json",
    "application/csaf+json": "vex.csaf.json",
}
_MULTIPART_SLACK = 64 * 1024


class VexStatementOut(Schema):
    """A VEX statement: its scope, what it says, who said it and when."""

    id: int
    product_id: int
    vulnerability_id: str = Field(description="the alias group's key")
    aliases: list[str]
    component_key: str = Field(description="the package purl without version, else the name")
    component_name: str
    component_version: str = Field(
        description="the version covered, * for every version, or a vers: range of versions "
        "(vers:pypi/>=1.0|<2.0), which covers later releases' versions in it too"
    )
    affected_range: str = Field(
        description="the affected range the statement was made about; empty: any"
    )
    state: VexState
    justification: Justification | None
    impact_statement: str
    action_statement: str
    responses: list[str]
    detail: str
    author: str
    origin: str = Field(description="web, api, cli or import")
    document_id: str = Field(description="the VEX document it was imported from")
    created_at: datetime
    superseded_at: datetime | None


class VexIn(Schema):
    """A statement about a finding's vulnerability in its component."""

    state: VexState
    justification: Justification | None = Field(
        None, description="why not affected (not_affected needs it or an impact statement)"
    )
    responses: list[Response] = Field(default_factory=list, max_length=5)
    detail: Words = ""
    impact_statement: Words = ""
    action_statement: Words = Field("", description="what to do (affected only)")
    scope: Literal["version", "any_version", "range"] = Field(
        "version",
        description="the finding's component version only, every version of the component, or "
        "the versions of version_range (which must contain the finding's version)",
    )
    version_range: str = Field(
        "",
        max_length=1000,
        description="with scope range: the versions covered, as a vers range such as "
        "vers:pypi/>=1.0|<2.0 (comparators <, <=, >=, = joined by |, in ascending order)",
    )


class ReleaseRef(Schema):
    """A release, by id and version."""

    id: int
    version: str


class FindingVexOut(Schema):
    """A finding's VEX state: the statement that applies, and the scope's history."""

    current: VexStatementOut | None
    stated_on_release: ReleaseRef | None = Field(
        description="the release the current statement was recorded on, when another one"
    )
    revived_from: VexStatementOut | None = Field(
        description="an active statement that no longer applies: the affected range changed"
    )
    history: list[VexStatementOut]


class NotStoredOut(Schema):
    """A statement (or part) of an imported document that was not stored, and why."""

    vulnerability: str
    product: str
    reason: str


class ImportedOut(Schema):
    """A stored statement and how many findings it applies to now."""

    statement: VexStatementOut
    matched_findings: int


class VexImportOut(Schema):
    """What an import stored and what it could not."""

    file: str
    format: str
    document_id: str
    author: str
    statements_read: int
    recorded: list[ImportedOut]
    not_stored: list[NotStoredOut]


class ExportQuery(Schema):
    """Which statements to export, in which format."""

    format: ExportFormat = "openvex"
    release_id: DbId | None = Field(
        None, description="only the statements applied to this release's active findings"
    )
    include_unstated: bool = Field(
        False, description="with release_id: its unstated active findings as under_investigation"
    )


def _finding_for(user: Any, finding_id: int, role: Role = Role.VIEWER) -> Finding:
    finding = finding_get(user=user, finding_id=finding_id)
    if finding is None:
        raise Http404("no such finding")
    if role != Role.VIEWER:
        product_for(user, finding.product_id, role)
    return finding


@router.post("/findings/{finding_id}/vex", response={201: VexStatementOut})
def finding_vex_record(
    request: HttpRequest, finding_id: DbId, body: VexIn
) -> Status[dict[str, Any]]:
    """Record a statement for the finding's scope (editor role): it supersedes the scope's
    active one and applies to every finding of the product it covers. A range that cannot be
    read or evaluated, or does not contain the finding's version, is a 400 saying why."""
    finding = _finding_for(request.auth, finding_id, Role.EDITOR)
    statement = vex_statement_record(
        finding=finding,
        text=StatementText(
            state=body.state,
            justification=body.justification or "",
            responses=tuple(body.responses),
            detail=body.detail,
            impact_statement=body.impact_statement,
            action_statement=body.action_statement,
        ),
        scope=VexScope(body.scope),
        version_range=body.version_range,
        acting_user=request.auth,
        origin="api",
    )
    return Status(201, statement_json(statement))


@router.get("/findings/{finding_id}/vex", response=FindingVexOut)
def finding_vex_detail(request: HttpRequest, finding_id: DbId) -> dict[str, Any]:
    """Return the statement that applies to a finding, and its scope's history."""
    state = finding_vex(finding=_finding_for(request.auth, finding_id))
    return {
        "current": statement_json(state.applied) if state.applied else None,
        "stated_on_release": (
            {"id": state.stated_on.release_id, "version": state.stated_on.release_version}
            if state.stated_on
            else None
        ),
        "revived_from": statement_json(state.revived_from) if state.revived_from else None,
        "history": [statement_json(s) for s in state.history],
    }


@router.get("/products/{product_id}/vex", response=Page[VexStatementOut])
def product_vex_list(
    request: HttpRequest, product_id: DbId, page: Query[PageParams]
) -> dict[str, Any]:
    """Return a product's active statements, by vulnerability and component."""
    product = product_for(request.auth, product_id)
    rows = product_statements(product_id=product.pk)
    return paginate(rows, page, convert=lambda items: [statement_json(s) for s in items])


_IMPORT_BODY = {
    "requestBody": {
        "required": True,
        "description": (
            "The VEX document (OpenVEX, CycloneDX JSON, CSAF): as the file field `file` of a "
            "multipart form, or as the whole body. Its format is told from the content."
        ),
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                }
            },
            **{media_type: {"schema": {"type": "object"}} for media_type in _RAW_VEX_TYPES},
        },
    }
}


def _limit_multipart(run: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Stop a multipart upload as soon as its file passes the upload limit (before the session's
    CSRF check reads the body)."""

    @wraps(run)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.content_type == "multipart/form-data":
            request.upload_handlers.insert(
                0, UploadSizeLimit(request, settings.SBOM_UPLOAD_MAX_BYTES)
            )
        return run(request, *args, **kwargs)

    return wrapper


@router.post("/products/{product_id}/vex/import", response=VexImportOut, openapi_extra=_IMPORT_BODY)
@decorate_view(_limit_multipart)
def product_vex_import(request: HttpRequest, product_id: DbId) -> dict[str, Any]:
    """Store the statements of a VEX document for a product (editor role) and say what was
    stored, which findings they apply to, and what could not be stored and why. A document that
    cannot be read is a 400 and nothing is stored."""
    product = product_for(request.auth, product_id, Role.EDITOR)
    name, content = _uploaded_vex(request)
    outcome = vex_documents.vex_import(
        data=content, name=name, product=product, acting_user=request.auth
    )
    return {
        "file": outcome.name,
        "format": outcome.format,
        "document_id": outcome.document_id,
        "author": outcome.author,
        "statements_read": outcome.read,
        "recorded": [
            {"statement": statement_json(s), "matched_findings": n} for s, n in outcome.recorded
        ],
        "not_stored": [
            {"vulnerability": p.vulnerability, "product": p.product, "reason": p.reason}
            for p in outcome.not_stored
        ],
    }


def _uploaded_vex(request: HttpRequest) -> tuple[str, bytes]:
    limit = settings.SBOM_UPLOAD_MAX_BYTES
    too_large = f"the upload is larger than the {limit:,} bytes a VEX document may have"
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if request.content_type == "multipart/form-data":
        if declared > limit + _MULTIPART_SLACK:
            raise HttpError(413, too_large)
        upload = request.FILES.get("file")
        if any(isinstance(h, UploadSizeLimit) and h.exceeded for h in request.upload_handlers):
            raise HttpError(413, too_large)
        if upload is None:
            raise InputError("the multipart form has no file field 'file' holding the document")
        return upload.name or "vex.json", upload.read()
    if request.content_type in _RAW_VEX_TYPES:
        if declared > limit:
            raise HttpError(413, too_large)
        content = request.read(limit + 1)
        if len(content) > limit:
            raise HttpError(413, too_large)
        return _RAW_VEX_TYPES[request.content_type], content
    accepted = ", ".join(["multipart/form-data", *_RAW_VEX_TYPES])
    raise HttpError(415, f"send the VEX document as one of: {accepted}")


@router.get(
    "/products/{product_id}/vex/export",
    openapi_extra={
        "responses": {
            200: {
                "description": "the VEX document (OpenVEX, CycloneDX or CSAF JSON)",
                "content": {
                    "application/json": {"schema": {"type": "object"}},
                    "application/vnd.cyclonedx+json": {"schema": {"type": "object"}},
                },
            }
        }
    },
)
def product_vex_export(
    request: HttpRequest, product_id: DbId, query: Query[ExportQuery]
) -> HttpResponse:
    """Return a product's active statements (or those of one release) as a VEX document. A
    release's CycloneDX VEX refers to its SBOM by BOM-Link when the SBOM has a serial number."""
    product = product_for(request.auth, product_id)
    release = None
    if query.release_id is not None:
        release = Release.objects.filter(id=query.release_id, product=product).first()
        if release is None:
            raise Http404("no such release of this product")
    exported = vex_documents.vex_export(
        product=product,
        release=release,
        format=query.format,
        include_unstated=query.include_unstated,
    )
    response = HttpResponse(exported.content, content_type=exported.media_type)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=exported.file_name
    )
    return response
