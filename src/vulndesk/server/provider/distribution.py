"""What the provider serves: provider-metadata.json, the directory listings (index.txt,
changes.csv), the ROLIE feeds and security.txt, built from published documents.

Each function takes the documents the requester may read (the views pass
:func:`~vulndesk.server.provider.selectors.documents_readable`), so a listing can only ever name
what the same requester could fetch. URLs are absolute, from the settings' public base URL (or
the request's origin when none is set). The formats follow CSAF 2.0 section 7.1 (requirements
7.1.7 provider-metadata.json, 7.1.11-7.1.16 directory and ROLIE) and RFC 9116.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from vulndesk.core.advisories.osv import format_timestamp
from vulndesk.server.provider.models import (
    TLP_FOLDERS,
    ProviderSettings,
    PublishedDocument,
    TlpLabel,
)

WELL_KNOWN = "/.well-known/csaf"
CSAF_SCHEMA = "https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json"

#: the label a provider-metadata 2.0 feed may state (its enum has no CLEAR or AMBER+STRICT)
_METADATA_LABELS = {
    TlpLabel.CLEAR: "WHITE",
    TlpLabel.WHITE: "WHITE",
    TlpLabel.GREEN: "GREEN",
    TlpLabel.AMBER: "AMBER",
    TlpLabel.AMBER_STRICT: "AMBER",
    TlpLabel.RED: "RED",
}


def _stamp(value: datetime) -> str:
    return format_timestamp(value.astimezone(UTC))


def metadata_url(base: str) -> str:
    """Return the URL of provider-metadata.json under ``base`` (the site's origin)."""
    return f"{base}{WELL_KNOWN}/provider-metadata.json"


def folder_url(base: str, label: str) -> str:
    """Return the directory URL of ``label``'s documents (with a trailing slash)."""
    return f"{base}{WELL_KNOWN}/{TLP_FOLDERS[label]}/"


def feed_name(label: str) -> str:
    """Return the file name of ``label``'s ROLIE feed (``csaf-feed-tlp-white.json``)."""
    return f"csaf-feed-tlp-{TLP_FOLDERS[label]}.json"


def document_url(base: str, document: PublishedDocument) -> str:
    """Return the URL ``document`` is served at."""
    return folder_url(base, document.tlp) + document.path


def served_labels(documents: Iterable[PublishedDocument]) -> list[str]:
    """Return the TLP labels to list in provider-metadata.json: those of ``documents``, in
    TLP order; TLP:WHITE alone when there are none (an empty public directory)."""
    present = {d.tlp for d in documents}
    return [label for label in TlpLabel.values if label in present] or [TlpLabel.WHITE]


def provider_metadata(
    settings: ProviderSettings, base: str, documents: Sequence[PublishedDocument]
) -> dict[str, Any]:
    """Return provider-metadata.json for the requester who may read ``documents``.

    The role is ``csaf_trusted_provider`` when the signing key is known and every listed
    document is signed (CSAF 2.0 7.1.19 requires signatures of a trusted provider), else
    ``csaf_provider``.
    """
    distributions: list[dict[str, Any]] = []
    for label in served_labels(documents):
        feed = {
            "summary": f"{settings.publisher_name}: TLP:{label} CSAF documents",
            "tlp_label": _METADATA_LABELS[label],
            "url": folder_url(base, label) + feed_name(label),
        }
        distributions.append({"directory_url": folder_url(base, label)})
        distributions.append({"rolie": {"feeds": [feed]}})
    newest = max((d.published_at for d in documents), default=settings.updated_at)
    signed = bool(settings.signing_fingerprint) and all(d.signature for d in documents)
    metadata: dict[str, Any] = {
        "canonical_url": metadata_url(base),
        "distributions": distributions,
        "last_updated": _stamp(max(newest, settings.updated_at)),
        "list_on_CSAF_aggregators": settings.list_on_aggregators,
        "metadata_version": "2.0",
        "mirror_on_CSAF_aggregators": settings.mirror_on_aggregators,
        "publisher": _publisher(settings),
        "role": "csaf_trusted_provider" if signed else "csaf_provider",
    }
    if settings.signing_fingerprint:
        metadata["public_openpgp_keys"] = [
            {
                "fingerprint": settings.signing_fingerprint,
                "url": f"{base}{WELL_KNOWN}/openpgp/{settings.signing_fingerprint}.asc",
            }
        ]
    return metadata


def _publisher(settings: ProviderSettings) -> dict[str, str]:
    publisher = {
        "category": settings.publisher_category,
        "name": settings.publisher_name,
        "namespace": settings.namespace,
    }
    if settings.contact_details:
        publisher["contact_details"] = settings.contact_details
    if settings.issuing_authority:
        publisher["issuing_authority"] = settings.issuing_authority
    return publisher


def index_txt(documents: Iterable[PublishedDocument]) -> str:
    """Return index.txt: the path of every document, one a line (CSAF 2.0 7.1.13)."""
    return "".join(f"{d.path}\n" for d in documents)


def changes_csv(documents: Iterable[PublishedDocument]) -> str:
    """Return changes.csv: ``"path","time of the last change"``, newest first (CSAF 2.0
    7.1.14), every field quoted."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
    ordered = sorted(documents, key=lambda d: (d.current_release_date, d.path), reverse=True)
    for document in ordered:
        writer.writerow([document.path, _stamp(document.current_release_date)])
    return out.getvalue()


def hash_file(document: PublishedDocument, algorithm: str) -> str:
    """Return the ``.sha256`` or ``.sha512`` file of ``document`` (``sha256sum`` format)."""
    digest = document.sha256 if algorithm == "sha256" else document.sha512
    return f"{digest}  {document.filename}\n"


def rolie_feed(
    settings: ProviderSettings, base: str, label: str, documents: Sequence[PublishedDocument]
) -> dict[str, Any]:
    """Return the ROLIE feed of ``label`` listing ``documents`` (CSAF 2.0 7.1.15)."""
    folder = TLP_FOLDERS[label]
    entries = []
    for document in documents:
        url = document_url(base, document)
        links = [
            {"rel": "self", "href": url},
            {"rel": "hash", "href": url + ".sha512"},
            {"rel": "hash", "href": url + ".sha256"},
        ]
        if document.signature:
            links.append({"rel": "signature", "href": url + ".asc"})
        entries.append(
            {
                "id": document.tracking_id,
                "title": document.title,
                "link": links,
                "published": _stamp(document.initial_release_date),
                "updated": _stamp(document.current_release_date),
                "summary": {"content": document.title},
                "content": {"type": "application/json", "src": url},
                "format": {"schema": CSAF_SCHEMA, "version": "2.0"},
            }
        )
    updated = max((d.published_at for d in documents), default=settings.updated_at)
    return {
        "feed": {
            "id": f"{settings.organisation.slug}-csaf-feed-tlp-{folder}",
            "title": f"{settings.publisher_name} CSAF feed (TLP:{label})",
            "link": [{"rel": "self", "href": folder_url(base, label) + feed_name(label)}],
            "category": [
                {"scheme": "urn:ietf:params:rolie:category:information-type", "term": "csaf"}
            ],
            "updated": _stamp(updated),
            "entry": entries,
        }
    }


def security_txt(settings: ProviderSettings, base: str, expires: datetime, policy_url: str) -> str:
    """Return security.txt (RFC 9116): the contacts, Expires exactly once, and the optional
    fields the settings fill; ``CSAF:`` points at provider-metadata.json."""
    lines = [f"Contact: {contact}" for contact in settings.security_contacts]
    lines.append(f"Expires: {expires.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}")
    if settings.encryption_url:
        lines.append(f"Encryption: {settings.encryption_url}")
    if settings.acknowledgments_url:
        lines.append(f"Acknowledgments: {settings.acknowledgments_url}")
    if settings.preferred_languages:
        lines.append(f"Preferred-Languages: {settings.preferred_languages}")
    lines.append(f"Canonical: {base}/.well-known/security.txt")
    lines.append(f"Policy: {policy_url}")
    lines.append(f"CSAF: {metadata_url(base)}")
    return "\n".join(lines) + "\n"
