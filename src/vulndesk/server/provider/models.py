"""The organisation as a CSAF provider: its settings (publisher, signing key, security.txt,
disclosure policy) and the CSAF documents it has published.

A :class:`PublishedDocument` holds the JSON bytes exactly as they are served, their hashes and
detached signature: the public directory (``/.well-known/csaf/``) serves these bytes, never a
re-serialisation, so the ``.sha256``/``.sha512``/``.asc`` files always match what a client gets.
Only documents given to :func:`vulndesk.server.provider.services.csaf_publish` are here: nothing
under embargo or in preparation ever reaches this table.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from vulndesk.server.accounts.models import Organisation


class TlpLabel(models.TextChoices):
    """Traffic Light Protocol labels: CSAF 2.0's four and TLP 2.0's CLEAR and AMBER+STRICT."""

    CLEAR = "CLEAR", "TLP:CLEAR"
    WHITE = "WHITE", "TLP:WHITE"
    GREEN = "GREEN", "TLP:GREEN"
    AMBER = "AMBER", "TLP:AMBER"
    AMBER_STRICT = "AMBER+STRICT", "TLP:AMBER+STRICT"
    RED = "RED", "TLP:RED"


#: labels anyone may read (CSAF 2.0 section 7.1.3 and 7.1.4: TLP:WHITE freely accessible)
PUBLIC_LABELS = frozenset({TlpLabel.CLEAR, TlpLabel.WHITE})

#: the directory of each label under /.well-known/csaf/ (a path segment without "+")
TLP_FOLDERS: dict[str, str] = {
    TlpLabel.CLEAR: "clear",
    TlpLabel.WHITE: "white",
    TlpLabel.GREEN: "green",
    TlpLabel.AMBER: "amber",
    TlpLabel.AMBER_STRICT: "amber-strict",
    TlpLabel.RED: "red",
}
FOLDER_LABELS: dict[str, str] = {folder: label for label, folder in TLP_FOLDERS.items()}


class PublisherCategory(models.TextChoices):
    """``/document/publisher/category`` of CSAF 2.0."""

    VENDOR = "vendor", _("vendor")
    COORDINATOR = "coordinator", _("coordinator")
    DISCOVERER = "discoverer", _("discoverer")
    TRANSLATOR = "translator", _("translator")
    USER = "user", _("user")
    OTHER = "other", _("other")


class ProviderSettings(models.Model):
    """How one organisation publishes: as a CSAF provider, in security.txt, in its policy.

    ``site_provider`` marks the one organisation whose documents, security.txt and policy this
    site serves at its root (``/.well-known/...``); there is at most one. ``security_contacts``
    is a list of URIs (``mailto:``, ``https:``, ``tel:``). ``expires`` empty: security.txt says
    "now + 180 days" at every request.
    """

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, related_name="provider_settings"
    )
    site_provider = models.BooleanField(_("served at this site's root"), default=False)
    publisher_name = models.CharField(_("publisher name"), max_length=200)
    publisher_category = models.CharField(
        _("publisher category"),
        max_length=20,
        choices=PublisherCategory.choices,
        default=PublisherCategory.VENDOR,
    )
    namespace = models.URLField(_("publisher namespace"), max_length=500)
    contact_details = models.CharField(_("contact details"), max_length=500, blank=True)
    issuing_authority = models.TextField(_("issuing authority"), blank=True)
    public_base_url = models.URLField(
        _("public base URL"),
        max_length=500,
        blank=True,
        help_text=_("where this site is reachable, e.g. https://psirt.example.com"),
    )
    signing_key = models.CharField(_("OpenPGP signing key"), max_length=200, blank=True)
    #: filled when the settings are saved and gpg knows the signing key
    signing_fingerprint = models.CharField(max_length=64, blank=True)
    public_key = models.TextField(blank=True)
    list_on_aggregators = models.BooleanField(_("list on CSAF aggregators"), default=True)
    mirror_on_aggregators = models.BooleanField(_("mirror on CSAF aggregators"), default=True)
    security_contacts = models.JSONField(_("security.txt contacts"), default=list)
    encryption_url = models.URLField(_("encryption key URL"), max_length=500, blank=True)
    acknowledgments_url = models.URLField(_("acknowledgments URL"), max_length=500, blank=True)
    preferred_languages = models.CharField(
        _("preferred languages"), max_length=100, default="ja, en"
    )
    expires = models.DateTimeField(_("security.txt expires"), null=True, blank=True)
    policy_ja = models.TextField(_("disclosure policy (Japanese)"))
    policy_en = models.TextField(_("disclosure policy (English)"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("provider settings")
        verbose_name_plural = _("provider settings")
        constraints = [
            models.UniqueConstraint(
                fields=["site_provider"],
                condition=models.Q(site_provider=True),
                name="provider_one_site_provider",
            )
        ]

    def __str__(self) -> str:
        return f"{self.publisher_name} ({self.organisation})"


class PublishedDocument(models.Model):
    """One CSAF document as published: its bytes, hashes and signature, where it is served.

    ``tracking_id`` is unique per organisation: a newer version of the same advisory replaces
    the row (the audit trail keeps what it replaced); ``filename`` is the CSAF 5.1 file name of
    the tracking id, unique per organisation too (two ids may map to one name: the second is
    refused). ``withdrawn`` documents are served nowhere.
    """

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="csaf_documents"
    )
    tracking_id = models.CharField(_("tracking id"), max_length=200)
    filename = models.CharField(max_length=260)
    version = models.CharField(_("version"), max_length=50)
    title = models.CharField(_("title"), max_length=1000)
    category = models.CharField(max_length=100)
    lang = models.CharField(max_length=35, blank=True)
    tlp = models.CharField(_("TLP label"), max_length=20, choices=TlpLabel.choices)
    content = models.BinaryField()
    sha256 = models.CharField(max_length=64)
    sha512 = models.CharField(max_length=128)
    signature = models.TextField(blank=True)
    initial_release_date = models.DateTimeField()
    current_release_date = models.DateTimeField()
    published_at = models.DateTimeField()
    published_by = models.CharField(max_length=150, blank=True)
    withdrawn = models.BooleanField(default=False)

    class Meta:
        ordering = ["-current_release_date", "-id"]
        permissions = [("publish_csaf", "Can publish CSAF documents as the organisation")]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "tracking_id"], name="provider_unique_tracking_id"
            ),
            models.UniqueConstraint(
                fields=["organisation", "filename"], name="provider_unique_filename"
            ),
        ]
        indexes = [models.Index(fields=["organisation", "tlp", "current_release_date"])]

    def __str__(self) -> str:
        return f"{self.tracking_id} v{self.version} (TLP:{self.tlp})"

    @property
    def folder(self) -> str:
        """Return the TLP directory the document is served in (``white``, ``amber``...)."""
        return TLP_FOLDERS[self.tlp]

    @property
    def path(self) -> str:
        """Return the path within its TLP directory: ``<year>/<filename>``, the year of the
        initial release (CSAF 2.0 section 7.1.11)."""
        return f"{self.initial_release_date.year}/{self.filename}"

    @property
    def is_public(self) -> bool:
        """Return whether anyone may read the document (TLP:CLEAR or TLP:WHITE)."""
        return self.tlp in PUBLIC_LABELS
