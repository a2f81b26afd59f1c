"""Writes of the CSAF provider: its settings, publishing and withdrawing CSAF documents.

Every change writes an audit row in its transaction. :func:`csaf_publish` is the one way a
document reaches the public directory: the disclosure case code calls it with the advisory it
generated (:func:`vulndesk.core.csafdoc.build_csaf_document`), the API and the web page with an
uploaded one.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from vulndesk.core.csafdoc import validate_document
from vulndesk.core.csafdoc.access import obj, parse_date_time, text
from vulndesk.core.errors import InputError
from vulndesk.server.accounts.models import Organisation
from vulndesk.server.audit.services import audit_record
from vulndesk.server.inventory.services import AlreadyExists
from vulndesk.server.provider.models import (
    ProviderSettings,
    PublishedDocument,
    PublisherCategory,
    TlpLabel,
)
from vulndesk.server.provider.policy import default_policy
from vulndesk.server.provider.signing import SigningUnavailable, public_key, sign_detached

#: security.txt Expires when none is set (RFC 9116 section 2.5.5 recommends less than a year)
DEFAULT_EXPIRY = timedelta(days=180)
MAX_EXPIRY = timedelta(days=366)

CONTACT_SCHEMES = ("mailto:", "https:", "tel:")
_TEXT_FIELDS = frozenset(
    {
        "contact_details",
        "issuing_authority",
        "public_base_url",
        "signing_key",
        "encryption_url",
        "acknowledgments_url",
    }
)
#: the settings that are links, shown on public pages: web URLs only (never javascript:...)
_URL_FIELDS = ("namespace", "public_base_url", "encryption_url", "acknowledgments_url")
LANGUAGES = ("ja", "en")

#: the settings a superuser edits (the API's and the form's fields)
EDITABLE_FIELDS = (
    "site_provider",
    "publisher_name",
    "publisher_category",
    "namespace",
    "contact_details",
    "issuing_authority",
    "public_base_url",
    "signing_key",
    "list_on_aggregators",
    "mirror_on_aggregators",
    "security_contacts",
    "encryption_url",
    "acknowledgments_url",
    "preferred_languages",
    "expires",
    "policy_ja",
    "policy_en",
)


def csaf_filename(tracking_id: str) -> str:
    """Return the CSAF 5.1 file name of ``tracking_id``: lower case, each run of characters
    outside ``[+\\-a-z0-9]`` replaced by ``_``, then ``.json``."""
    return re.sub(r"[^+\-a-z0-9]+", "_", tracking_id.lower()) + ".json"


# --- settings --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SettingsResult:
    """The saved settings, and why signing is off when a key was named but cannot be used."""

    settings: ProviderSettings
    signing_note: str = ""


def provider_settings_defaults(organisation: Organisation) -> ProviderSettings:
    """Return unsaved settings for ``organisation`` with the default policy texts."""
    policy_ja, policy_en = default_policy(organisation.name)
    return ProviderSettings(
        organisation=organisation,
        publisher_name=organisation.name,
        publisher_category=PublisherCategory.VENDOR,
        namespace="",
        policy_ja=policy_ja,
        policy_en=policy_en,
        site_provider=not ProviderSettings.objects.filter(site_provider=True).exists(),
    )


def _check_settings(settings: ProviderSettings) -> None:
    if not settings.publisher_name.strip():
        raise InputError("the publisher name must not be empty", location="publisher_name")
    for name in _URL_FIELDS:
        value = getattr(settings, name)
        if (value or name == "namespace") and not re.fullmatch(r"https?://[^\s/?#]+\S*", value):
            raise InputError(f"{name} must be an http(s) URL, not {value!r}", location=name)
    if settings.publisher_category not in PublisherCategory.values:
        raise InputError(
            f"unknown publisher category {settings.publisher_category!r}",
            location="publisher_category",
        )
    contacts = settings.security_contacts
    if not isinstance(contacts, list) or not all(isinstance(c, str) for c in contacts):
        raise InputError("contacts must be a list of URIs", location="security_contacts")
    for i, contact in enumerate(contacts):
        if not contact.startswith(CONTACT_SCHEMES) or len(contact) < 6 or " " in contact:
            raise InputError(
                f"contact {contact!r} must be a mailto:, https: or tel: URI (RFC 9116 2.5.3)",
                location=f"security_contacts[{i}]",
            )
    languages = [part.strip() for part in settings.preferred_languages.split(",")]
    if not all(re.fullmatch(r"[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*", lang) for lang in languages):
        raise InputError(
            f"preferred languages must be language tags separated by commas, not "
            f"{settings.preferred_languages!r}",
            location="preferred_languages",
        )
    if settings.expires is not None:
        now = timezone.now()
        if settings.expires <= now:
            raise InputError("security.txt must not expire in the past", location="expires")
        if settings.expires > now + MAX_EXPIRY:
            raise InputError(
                "security.txt should expire within a year (RFC 9116 section 2.5.5)",
                location="expires",
            )
    if not settings.policy_ja.strip() or not settings.policy_en.strip():
        raise InputError("the disclosure policy needs a Japanese and an English text")


@transaction.atomic
def provider_settings_update(
    *,
    organisation: Organisation,
    changes: Mapping[str, Any],
    acting_user: AbstractBaseUser | None,
) -> SettingsResult:
    """Create or change ``organisation``'s provider settings; return them and a note when the
    signing key cannot be used (documents are then published unsigned).

    ``changes`` holds some of :data:`EDITABLE_FIELDS`; raise InputError for another field or a
    value that cannot be used. Marking the settings ``site_provider`` takes the mark from any
    other organisation's.
    """
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise InputError(f"unknown provider setting(s): {', '.join(sorted(unknown))}")
    settings = (
        ProviderSettings.objects.select_for_update().filter(organisation=organisation).first()
    )
    created = settings is None
    if settings is None:
        settings = provider_settings_defaults(organisation)
    before = {name: _jsonable(getattr(settings, name)) for name in EDITABLE_FIELDS}
    for name, value in changes.items():
        if value is None and name in _TEXT_FIELDS:
            value = ""
        elif value is None and name != "expires":
            raise InputError(f"{name} must not be null", location=name)
        setattr(settings, name, value)
    settings.preferred_languages = ", ".join(
        part.strip() for part in settings.preferred_languages.split(",") if part.strip()
    )
    _check_settings(settings)
    note = ""
    settings.signing_fingerprint, settings.public_key = "", ""
    if settings.signing_key:
        try:
            key = public_key(settings.signing_key)
        except SigningUnavailable as e:
            note = f"{e}: documents will be published unsigned"
        else:
            settings.signing_fingerprint, settings.public_key = key.fingerprint, key.armored
    if settings.site_provider:
        ProviderSettings.objects.filter(site_provider=True).exclude(pk=settings.pk).update(
            site_provider=False
        )
    settings.save()
    after = {name: _jsonable(getattr(settings, name)) for name in EDITABLE_FIELDS}
    audit_record(
        action="provider.settings.create" if created else "provider.settings.update",
        object_type="provider_settings",
        object_id=str(organisation.pk),
        data={
            "organisation": organisation.name,
            "changed": {k: after[k] for k in EDITABLE_FIELDS if created or before[k] != after[k]},
            "signing_fingerprint": settings.signing_fingerprint,
            "signing_note": note,
        },
        acting_user=acting_user,
    )
    return SettingsResult(settings, note)


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def security_txt_expires(settings: ProviderSettings, now: datetime | None = None) -> datetime:
    """Return the Expires of security.txt: the one set, else ``now`` + 180 days."""
    if settings.expires is not None:
        return settings.expires
    return (now or timezone.now()) + DEFAULT_EXPIRY


# --- publishing --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PublishResult:
    """What :func:`csaf_publish` did: the stored document, whether it replaced an older version
    of the same advisory, and why it is unsigned when it is."""

    document: PublishedDocument
    replaced: bool
    signed: bool
    signing_note: str = ""


def _version_key(version: str) -> tuple[int, ...] | None:
    """Return a sort key of a CSAF version (integer or semantic versioning), None if neither.

    A semantic version's pre-release sorts before its release (``1.0.0-rc.1`` < ``1.0.0``);
    pre-releases of one version are not ordered among themselves (CSAF 2.0 section 3.1.11).
    """
    if re.fullmatch(r"0|[1-9][0-9]*", version):
        return (int(version),)
    m = re.fullmatch(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+.*)?", version)
    if m is None:
        return None
    return (int(m[1]), int(m[2]), int(m[3]), 0 if m[4] else 1)


def _document_tlp(document: dict[str, Any], tlp: str | None) -> str:
    written = text(
        obj(obj(obj(document.get("document")).get("distribution")).get("tlp")).get("label")
    )
    if tlp is not None and tlp not in TlpLabel.values:
        raise InputError(f"unknown TLP label {tlp!r}; one of {', '.join(TlpLabel.values)}")
    if written is not None and tlp is not None and written != tlp:
        raise InputError(
            f"the document is labelled TLP:{written}, not TLP:{tlp}",
            location="$.document.distribution.tlp.label",
        )
    label = written or tlp
    if label is None:
        # never guess: a document without a label must not become public by default
        raise InputError(
            "the document has no TLP label: set one or say which to publish it under",
            location="$.document.distribution.tlp.label",
        )
    return label


@transaction.atomic
def csaf_publish(
    *,
    document: dict[str, Any],
    organisation: Organisation,
    acting_user: AbstractBaseUser | None,
    tlp: str | None = None,
    actor_label: str = "",
) -> PublishResult:
    """Publish ``document`` (parsed CSAF JSON) as ``organisation``; return what was stored.

    The document must pass :func:`vulndesk.core.csafdoc.validate_document` (else InputError
    listing each failure's test id and JSON path) and must not be a draft. ``tlp`` is the label
    to publish under when the document carries none (it must agree when it does). A tracking id
    already published is refused (AlreadyExists) unless ``document`` is a newer version of it:
    then the stored document is replaced, and the audit row keeps the one it replaced. Signed
    with the settings' key when gpg has it; unsigned otherwise, ``signing_note`` saying why.
    """
    if not isinstance(document, dict):
        raise InputError("a CSAF document must be a JSON object", location="$")
    result = validate_document(document)
    if not result.valid:
        lines = [f"{f.test_id} {f.path}: {f.message}" for f in result.failures]
        raise InputError(
            f"the CSAF document is invalid ({len(lines)} failure(s)):\n" + "\n".join(lines),
            location=result.failures[0].path,
        )
    head = obj(document.get("document"))
    tracking = obj(head.get("tracking"))
    tracking_id, version = str(tracking.get("id")), str(tracking.get("version"))
    if len(tracking_id) > 200 or len(version) > 50:
        raise InputError(
            "the tracking id (200 characters at most) or version (50) is too long to publish",
            location="$.document.tracking",
        )
    if tracking.get("status") == "draft":
        raise InputError(
            "a draft is not published: set the tracking status to interim or final",
            location="$.document.tracking.status",
        )
    label = _document_tlp(document, tlp)
    initial = parse_date_time(tracking.get("initial_release_date"))
    current = parse_date_time(tracking.get("current_release_date"))
    assert initial is not None and current is not None  # the schema check guarantees both
    filename = csaf_filename(tracking_id)
    content = orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n"

    existing = (
        PublishedDocument.objects.select_for_update()
        .filter(organisation=organisation, tracking_id=tracking_id)
        .first()
    )
    clash = (
        PublishedDocument.objects.filter(organisation=organisation, filename=filename)
        .exclude(tracking_id=tracking_id)
        .first()
    )
    if clash is not None:
        raise AlreadyExists(
            f"{tracking_id} has the file name {filename} of the published {clash.tracking_id}",
            location="$.document.tracking.id",
        )
    previous: dict[str, Any] | None = None
    if existing is not None:
        new_key, old_key = _version_key(version), _version_key(existing.version)
        if new_key is None or old_key is None or new_key <= old_key:
            raise AlreadyExists(
                f"{tracking_id} version {existing.version} is already published; only a newer "
                f"version replaces it (got version {version})",
                location="$.document.tracking.version",
            )
        previous = {
            "version": existing.version,
            "tlp": existing.tlp,
            "sha256": existing.sha256,
            "current_release_date": existing.current_release_date.isoformat(),
            "published_at": existing.published_at.isoformat(),
            "withdrawn": existing.withdrawn,
            "content": bytes(existing.content).decode("utf-8"),
        }

    settings = ProviderSettings.objects.filter(organisation=organisation).first()
    signature, note = "", ""
    if settings is None or not settings.signing_key:
        note = "no signing key is configured"
    else:
        try:
            signature = sign_detached(content, settings.signing_key)
        except SigningUnavailable as e:
            note = str(e)

    row = existing or PublishedDocument(organisation=organisation, tracking_id=tracking_id)
    row.filename = filename
    row.version = version
    row.title = str(head.get("title", ""))[:1000]
    row.category = str(head.get("category", ""))
    row.lang = str(head.get("lang", "") or "")
    row.tlp = label
    row.content = content
    row.sha256 = hashlib.sha256(content).hexdigest()
    row.sha512 = hashlib.sha512(content).hexdigest()
    row.signature = signature
    row.initial_release_date = initial
    row.current_release_date = current
    row.published_at = timezone.now()
    row.published_by = actor_label or (acting_user.get_username() if acting_user else "system")
    row.withdrawn = False
    row.save()
    audit_record(
        action="provider.csaf.replace" if previous else "provider.csaf.publish",
        object_type="csaf_document",
        object_id=str(row.pk),
        data={
            "organisation": organisation.name,
            "tracking_id": tracking_id,
            "version": version,
            "tlp": label,
            "sha256": row.sha256,
            "signed": bool(signature),
            "signing_note": note,
            "previous": previous,
        },
        acting_user=acting_user,
        actor_label=actor_label,
    )
    return PublishResult(row, previous is not None, bool(signature), note)


@transaction.atomic
def csaf_withdraw(
    *, document: PublishedDocument, reason: str, acting_user: AbstractBaseUser | None
) -> PublishedDocument:
    """Take ``document`` off every listing and URL (it stays stored); return it.

    For a document published by mistake; a superseded advisory gets a new version instead.
    """
    if not reason.strip():
        raise InputError("say why the document is withdrawn", location="reason")
    document.withdrawn = True
    document.save(update_fields=["withdrawn"])
    audit_record(
        action="provider.csaf.withdraw",
        object_type="csaf_document",
        object_id=str(document.pk),
        data={"tracking_id": document.tracking_id, "version": document.version, "reason": reason},
        acting_user=acting_user,
    )
    return document
