"""REST API routes of the CSAF provider: published documents and the provider settings.

Every route needs a user (the API's authentication: 401 without one). Publishing and reading
the managed documents needs a superuser or a member of the organisation holding the
``provider.publish_csaf`` permission (403 otherwise); the settings are superusers' only. The
organisation acted for is the site provider's (``provider.selectors.site_provider``), else the
caller's first organisation they may publish for. The public, unauthenticated answers are the
web routes under ``/.well-known/csaf/``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from ninja import Field, Router, Schema, Status

from vulndesk.server.accounts.models import Organisation
from vulndesk.server.api_fields import DbId
from vulndesk.server.provider.models import (
    ProviderSettings,
    PublishedDocument,
    PublisherCategory,
    TlpLabel,
)
from vulndesk.server.provider.selectors import documents_managed, publishing_organisation
from vulndesk.server.provider.services import (
    EDITABLE_FIELDS,
    csaf_publish,
    provider_settings_defaults,
    provider_settings_update,
)

router = Router(tags=["provider"])


class DocumentOut(Schema):
    """A published CSAF document (its JSON only in the single-document answer)."""

    id: int
    organisation: str
    tracking_id: str
    version: str
    title: str
    category: str
    lang: str
    tlp: TlpLabel
    path: str = Field(description="<tlp folder>/<year>/<file name> under /.well-known/csaf/")
    sha256: str
    sha512: str
    signed: bool
    initial_release_date: datetime
    current_release_date: datetime
    published_at: datetime
    published_by: str
    withdrawn: bool


class DocumentDetailOut(DocumentOut):
    """A published document with its JSON exactly as served and its signature."""

    document: dict[str, Any]
    signature: str = Field(description="armoured detached OpenPGP signature; empty if unsigned")


class PublishIn(Schema):
    """A CSAF 2.0 document to publish."""

    document: dict[str, Any] = Field(description="the CSAF document (JSON object)")
    tlp: TlpLabel | None = Field(
        None, description="the label to publish under when the document has none"
    )


class PublishOut(Schema):
    """What publishing did."""

    document: DocumentOut
    replaced: bool = Field(description="an older version of the same tracking id was replaced")
    signed: bool
    signing_note: str = Field(description="why the document is unsigned, when it is")


class SettingsIn(Schema):
    """Provider settings; fields left out stay as they are."""

    site_provider: bool | None = None
    publisher_name: str | None = Field(None, max_length=200)
    publisher_category: PublisherCategory | None = None
    namespace: str | None = Field(None, max_length=500)
    contact_details: str | None = Field(None, max_length=500)
    issuing_authority: str | None = Field(None, max_length=5000)
    public_base_url: str | None = Field(None, max_length=500)
    signing_key: str | None = Field(None, max_length=200)
    list_on_aggregators: bool | None = None
    mirror_on_aggregators: bool | None = None
    security_contacts: list[str] | None = Field(None, description="mailto:, https:, tel: URIs")
    encryption_url: str | None = Field(None, max_length=500)
    acknowledgments_url: str | None = Field(None, max_length=500)
    preferred_languages: str | None = Field(None, max_length=100)
    expires: datetime | None = Field(None, description="security.txt Expires; null: now+180d")
    policy_ja: str | None = Field(None, max_length=50000)
    policy_en: str | None = Field(None, max_length=50000)


class SettingsOut(Schema):
    """The provider settings of the organisation."""

    organisation: str
    site_provider: bool
    publisher_name: str
    publisher_category: str
    namespace: str
    contact_details: str
    issuing_authority: str
    public_base_url: str
    signing_key: str
    signing_fingerprint: str
    list_on_aggregators: bool
    mirror_on_aggregators: bool
    security_contacts: list[str]
    encryption_url: str
    acknowledgments_url: str
    preferred_languages: str
    expires: datetime | None
    policy_ja: str
    policy_en: str
    saved: bool = Field(description="false: defaults, never saved (nothing is served yet)")
    signing_note: str = ""


def _organisation(request: HttpRequest) -> Organisation:
    """Return the organisation the caller publishes for (selectors.publishing_organisation);
    403 when there is none."""
    organisation = publishing_organisation(request.user)
    if organisation is None:
        raise PermissionDenied(
            "publishing CSAF documents needs the provider.publish_csaf permission"
        )
    return organisation


def _document_out(document: PublishedDocument) -> dict[str, Any]:
    return {
        "id": document.pk,
        "organisation": document.organisation.name,
        "tracking_id": document.tracking_id,
        "version": document.version,
        "title": document.title,
        "category": document.category,
        "lang": document.lang,
        "tlp": document.tlp,
        "path": f"{document.folder}/{document.path}",
        "sha256": document.sha256,
        "sha512": document.sha512,
        "signed": bool(document.signature),
        "initial_release_date": document.initial_release_date,
        "current_release_date": document.current_release_date,
        "published_at": document.published_at,
        "published_by": document.published_by,
        "withdrawn": document.withdrawn,
    }


@router.get("/csaf/documents", response=list[DocumentOut])
def csaf_document_list(request: HttpRequest) -> list[dict[str, Any]]:
    """List the published documents (withdrawn ones too), newest publication first."""
    organisation = _organisation(request)
    documents = documents_managed(request.user).filter(organisation=organisation)
    return [_document_out(d) for d in documents]


@router.post("/csaf/documents", response={201: PublishOut})
def csaf_document_publish(request: HttpRequest, payload: PublishIn) -> Status:
    """Publish a CSAF document: 400 listing each validation failure (test id and JSON path),
    409 when the tracking id is published at the same or a newer version."""
    organisation = _organisation(request)
    result = csaf_publish(
        document=payload.document,
        organisation=organisation,
        tlp=payload.tlp,
        acting_user=request.user,  # type: ignore[arg-type]
    )
    return Status(
        201,
        {
            "document": _document_out(result.document),
            "replaced": result.replaced,
            "signed": result.signed,
            "signing_note": result.signing_note,
        },
    )


@router.get("/csaf/documents/{document_id}", response=DocumentDetailOut)
def csaf_document_get(request: HttpRequest, document_id: DbId) -> dict[str, Any]:
    """Return one published document with its JSON; 404 outside the caller's organisations."""
    _organisation(request)
    document = documents_managed(request.user).filter(pk=document_id).first()
    if document is None:
        raise Http404("no such document")
    return {
        **_document_out(document),
        "document": orjson.loads(bytes(document.content)),
        "signature": document.signature,
    }


def _settings_out(settings: ProviderSettings, *, saved: bool, note: str = "") -> dict[str, Any]:
    out = {name: getattr(settings, name) for name in EDITABLE_FIELDS}
    out.update(
        organisation=settings.organisation.name,
        signing_fingerprint=settings.signing_fingerprint,
        saved=saved,
        signing_note=note,
    )
    return out


def _superuser_organisation(request: HttpRequest) -> Organisation:
    if not request.user.is_superuser:
        raise PermissionDenied("only superusers read and change the provider settings")
    return _organisation(request)


@router.get("/provider/settings", response=SettingsOut)
def provider_settings_read(request: HttpRequest) -> dict[str, Any]:
    """Return the provider settings (superusers); the defaults when never saved."""
    organisation = _superuser_organisation(request)
    settings = ProviderSettings.objects.filter(organisation=organisation).first()
    if settings is None:
        return _settings_out(provider_settings_defaults(organisation), saved=False)
    return _settings_out(settings, saved=True)


@router.put("/provider/settings", response=SettingsOut)
def provider_settings_write(request: HttpRequest, payload: SettingsIn) -> dict[str, Any]:
    """Change the provider settings (superusers); 400 for a value that cannot be used."""
    organisation = _superuser_organisation(request)
    changes = payload.dict(exclude_unset=True)
    result = provider_settings_update(
        organisation=organisation,
        changes=changes,
        acting_user=request.user,  # type: ignore[arg-type]
    )
    return _settings_out(result.settings, saved=True, note=result.signing_note)
