"""Reads of the CSAF provider: the site's provider, who may read which TLP, published documents.

Access rule (CSAF 2.0 section 7.1.3 and 7.1.4): TLP:CLEAR and TLP:WHITE documents are public;
every other label is readable only by logged-in members of the publishing organisation (a team
of it) and by superusers. Anyone else gets a 404 for them, on every URL and in every listing:
they do not learn such a document exists. Withdrawn documents are served to nobody.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from vulndesk.server.accounts.models import Organisation, Team
from vulndesk.server.provider.models import (
    FOLDER_LABELS,
    PUBLIC_LABELS,
    ProviderSettings,
    PublishedDocument,
    TlpLabel,
)

PUBLISH_PERMISSION = "provider.publish_csaf"


def site_provider() -> ProviderSettings | None:
    """Return the settings of the organisation this site serves at its root, if any."""
    return (
        ProviderSettings.objects.select_related("organisation").filter(site_provider=True).first()
    )


def provider_settings_get(organisation: Organisation) -> ProviderSettings | None:
    """Return ``organisation``'s provider settings, or None before they are first saved."""
    return ProviderSettings.objects.filter(organisation=organisation).first()


def is_member(user: Any, organisation: Organisation) -> bool:
    """Return whether ``user`` is a logged-in, active member of ``organisation`` (a superuser
    counts as a member of every organisation)."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return Team.objects.filter(organisation=organisation, members=user).exists()


def can_publish(user: Any, organisation: Organisation) -> bool:
    """Return whether ``user`` may publish as ``organisation``: a superuser, or a member holding
    the ``provider.publish_csaf`` permission."""
    if not is_member(user, organisation):
        return False
    return bool(user.is_superuser or user.has_perm(PUBLISH_PERMISSION))


def publishing_organisation(user: Any) -> Organisation | None:
    """Return the organisation ``user`` publishes for: the site provider's when they may, else
    the first (by id) they may publish for; None when there is none."""
    settings = site_provider()
    if settings is not None and can_publish(user, settings.organisation):
        return settings.organisation
    if not user.is_authenticated:
        return None
    candidates = Organisation.objects.order_by("id")
    if not user.is_superuser:
        candidates = candidates.filter(teams__members=user).distinct()
    return next((o for o in candidates if can_publish(user, o)), None)


def readable_labels(user: Any, organisation: Organisation) -> frozenset[str]:
    """Return the TLP labels of ``organisation``'s documents that ``user`` may read."""
    if is_member(user, organisation):
        return frozenset(TlpLabel.values)
    return frozenset(PUBLIC_LABELS)


def documents_readable(
    user: Any, organisation: Organisation, *, label: str | None = None
) -> QuerySet[PublishedDocument]:
    """Return ``organisation``'s served documents that ``user`` may read, newest change first;
    ``label``: of that TLP label only."""
    labels = readable_labels(user, organisation)
    if label is not None:
        labels = labels & {label}
    return PublishedDocument.objects.filter(
        organisation=organisation, withdrawn=False, tlp__in=sorted(labels)
    ).order_by("-current_release_date", "tracking_id")


def label_of_folder(user: Any, organisation: Organisation, folder: str) -> str | None:
    """Return the TLP label served in ``folder`` (``white``, ``amber``...), or None when there
    is no such folder or ``user`` may not read it."""
    label = FOLDER_LABELS.get(folder)
    if label is None or label not in readable_labels(user, organisation):
        return None
    return label


def document_at(
    user: Any, organisation: Organisation, folder: str, year: int, filename: str
) -> PublishedDocument | None:
    """Return the document served at ``<folder>/<year>/<filename>``, or None when there is
    none ``user`` may read."""
    label = label_of_folder(user, organisation, folder)
    if label is None:
        return None
    document = documents_readable(user, organisation, label=label).filter(filename=filename).first()
    if document is None or document.initial_release_date.year != year:
        return None
    return document


def document_by_tracking_id(
    user: Any, organisation: Organisation, tracking_id: str
) -> PublishedDocument | None:
    """Return the served document of ``tracking_id`` if ``user`` may read it."""
    return documents_readable(user, organisation).filter(tracking_id=tracking_id).first()


def documents_managed(user: Any) -> QuerySet[PublishedDocument]:
    """Return every document (withdrawn ones too) of the organisations ``user`` may publish
    for: all for a superuser; none for a user without the publish permission."""
    documents = PublishedDocument.objects.select_related("organisation").order_by(
        "-published_at", "-id"
    )
    if not user.is_authenticated or not user.is_active:
        return documents.none()
    if user.is_superuser:
        return documents
    if not user.has_perm(PUBLISH_PERMISSION):
        return documents.none()
    organisations = Team.objects.filter(members=user).values("organisation_id")
    return documents.filter(organisation_id__in=organisations)
