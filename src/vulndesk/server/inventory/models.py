"""What an organisation builds or runs: products, their releases, SBOMs and components.

- A **Product** is an identity that outlives versions: access (``ProductGrant``), tags, owner and
  the asset context prioritisation reads (exposure, mission and safety impact, value density,
  SSVC perspective, EU market) are set once on it and carry across releases. ``parent`` makes a
  system of products.
- A **Release** is one version of a product; its **SbomDocument** rows keep each uploaded SBOM
  verbatim with its SHA-256, uploader and time.
- A **Component** is one entry of a release's SBOM, linked to its **ComponentIdentity**: the
  canonical purl with version (or CPE, or name@version), shared by every release that contains the
  same thing. Matching runs once per identity and fans out to components, and
  **IdentityLookup** rows (one per key matching looks the identity up under) are the index from an
  advisory's package to the releases it may affect.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from vulndesk.server.accounts.models import Organisation, Team


class Role(models.TextChoices):
    """What a team may do with a product; each role includes the ones before it."""

    VIEWER = "viewer", _("viewer")
    EDITOR = "editor", _("editor")
    OWNER = "owner", _("owner")


ROLE_RANK = {Role.VIEWER: 1, Role.EDITOR: 2, Role.OWNER: 3}


class Exposure(models.TextChoices):
    """How reachable the product's deployments are (SSVC deployer "System Exposure")."""

    SMALL = "small", _("small")
    CONTROLLED = "controlled", _("controlled")
    OPEN = "open", _("open")


class MissionImpact(models.TextChoices):
    """What a compromise does to the organisation's mission (SSVC "Mission Impact" v2: MEF is
    a mission essential function). Stored with underscores; SSVC spells them with spaces."""

    DEGRADED = "degraded", _("degraded")
    MEF_SUPPORT_CRIPPLED = "mef_support_crippled", _("MEF support crippled")
    MEF_FAILURE = "mef_failure", _("MEF failure")
    MISSION_FAILURE = "mission_failure", _("mission failure")


class ValueDensity(models.TextChoices):
    """What an attacker gains per exploited system (SSVC "Value Density"): ``concentrated`` for a
    system rich in resources (a database server, a cloud control plane), else ``diffuse``."""

    DIFFUSE = "diffuse", _("diffuse")
    CONCENTRATED = "concentrated", _("concentrated")


class Perspective(models.TextChoices):
    """Whose SSVC decision sets the findings' priority: ``deployer`` for software the
    organisation runs, ``supplier`` for software it makes and ships."""

    DEPLOYER = "deployer", _("deployer (we run it)")
    SUPPLIER = "supplier", _("supplier (we make it)")


class SafetyImpact(models.TextChoices):
    """The worst physical harm a compromise could cause (SSVC "Safety Impact")."""

    NEGLIGIBLE = "negligible", _("negligible")
    MARGINAL = "marginal", _("marginal")
    CRITICAL = "critical", _("critical")
    CATASTROPHIC = "catastrophic", _("catastrophic")


class Tag(models.Model):
    """A label for products (``customer-facing``, ``ics``, ``team-a``), unique per organisation."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="tags")
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="tag_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    """A product (or system of products) across all its releases."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="products"
    )
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_products",
        help_text=_("the person answerable for the product's vulnerabilities"),
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="products")
    exposure = models.CharField(
        _("exposure"), max_length=16, choices=Exposure.choices, default=Exposure.CONTROLLED
    )
    mission_impact = models.CharField(
        _("mission impact"),
        max_length=24,
        choices=MissionImpact.choices,
        default=MissionImpact.MEF_SUPPORT_CRIPPLED,
    )
    safety_impact = models.CharField(
        _("safety impact"),
        max_length=16,
        choices=SafetyImpact.choices,
        default=SafetyImpact.NEGLIGIBLE,
    )
    eu_market = models.BooleanField(_("placed on the EU market"), default=False)
    value_density = models.CharField(
        _("value density"),
        max_length=16,
        choices=ValueDensity.choices,
        default=ValueDensity.DIFFUSE,
    )
    perspective = models.CharField(
        _("perspective"), max_length=16, choices=Perspective.choices, default=Perspective.DEPLOYER
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "name"], name="product_unique_name_per_org"
            )
        ]

    def __str__(self) -> str:
        return self.name


class ProductGrant(models.Model):
    """A team's role on a product."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="grants")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="grants")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.VIEWER)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["product", "team"], name="grant_unique_per_team")
        ]

    def __str__(self) -> str:
        return f"{self.team} {self.role} on {self.product}"


class Release(models.Model):
    """One version of a product: what shipped (or is deployed), described by its SBOMs."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="releases")
    version = models.CharField(_("version"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    released_at = models.DateField(_("released on"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # component count of the current SBOM and when it was last matched (for lists and the UI)
    component_count = models.PositiveIntegerField(default=0)
    analysed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["product__name", "-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["product", "version"], name="release_unique_version")
        ]

    def __str__(self) -> str:
        return f"{self.product} {self.version}"


class SbomStatus(models.TextChoices):
    """Where an uploaded SBOM is in its analysis."""

    PENDING = "pending", _("pending")
    ANALYSED = "analysed", _("analysed")
    FAILED = "failed", _("failed")
    SUPERSEDED = "superseded", _("superseded")


class SbomDocument(models.Model):
    """An SBOM as uploaded: kept byte for byte, with its digest, uploader and time.

    A release's components come from its newest analysed SBOM; older ones are ``superseded`` but
    kept. ``error`` holds why analysis failed (the reader's message with file and location).
    """

    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="sboms")
    file_name = models.CharField(max_length=255)
    content = models.BinaryField()
    sha256 = models.CharField(max_length=64, db_index=True)
    size = models.PositiveBigIntegerField()
    format = models.CharField(max_length=40, blank=True)
    spec_version = models.CharField(max_length=20, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=16, choices=SbomStatus.choices, default=SbomStatus.PENDING)
    error = models.TextField(blank=True)
    component_count = models.PositiveIntegerField(default=0)
    # the job that analyses it (set at upload)
    analysis_job = models.ForeignKey(
        "jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-uploaded_at", "-id"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.sha256[:12]})"


class ComponentIdentity(models.Model):
    """One thing components can be: a canonical purl with version, else a CPE, else
    ``supplier/name@version`` (``name@version`` without a supplier).

    ``key`` is that identifier; ``package`` the purl without version (for "where is X used?").
    ``supplier``, ``group`` and ``hashes`` (``ALG:hex``) are what matching without a package URL
    reads: vendor and product names, model numbers and file hashes of ICS and firmware advisories.
    ``evaluable`` is False when matching cannot evaluate it (``reason`` says why, never guessed).
    """

    key = models.CharField(max_length=1000, unique=True)
    purl = models.CharField(max_length=1000, blank=True)
    package = models.CharField(max_length=1000, blank=True, db_index=True)
    name = models.CharField(max_length=500, db_index=True)
    version = models.CharField(max_length=200, blank=True)
    cpe = models.CharField(max_length=1000, blank=True)
    supplier = models.CharField(max_length=500, blank=True)
    group = models.CharField(max_length=500, blank=True)
    hashes = models.JSONField(default=list, blank=True)
    evaluable = models.BooleanField(default=True)
    reason = models.TextField(blank=True)

    def __str__(self) -> str:
        return self.key


class IdentityLookup(models.Model):
    """A key an identity is looked up under (``matching.identity.component_query``): the index
    from an advisory's ``(ecosystem, lookup name)`` to the identities, hence releases, it may
    affect."""

    identity = models.ForeignKey(
        ComponentIdentity, on_delete=models.CASCADE, related_name="lookups"
    )
    ecosystem = models.CharField(max_length=100)
    name = models.CharField(max_length=500)

    class Meta:
        indexes = [models.Index(fields=["name", "ecosystem"], name="identity_lookup")]
        constraints = [
            models.UniqueConstraint(
                fields=["identity", "ecosystem", "name"], name="identity_lookup_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.ecosystem}/{self.name}"


class Component(models.Model):
    """One component of a release: what its SBOMs list under one identity."""

    # indexed by (release, name) below
    release = models.ForeignKey(
        Release, on_delete=models.CASCADE, related_name="components", db_index=False
    )
    sbom = models.ForeignKey(SbomDocument, on_delete=models.CASCADE, related_name="components")
    identity = models.ForeignKey(
        ComponentIdentity, on_delete=models.PROTECT, related_name="components"
    )
    ref = models.CharField(max_length=1000)
    name = models.CharField(max_length=500)
    version = models.CharField(max_length=200, blank=True)
    purl = models.CharField(max_length=1000, blank=True)
    direct = models.BooleanField(default=False)
    licenses = models.JSONField(default=list, blank=True)
    # False once a newer SBOM of the release no longer lists it (kept for its findings' history)
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            # one row per identity and release, kept across SBOM versions (first-seen times)
            models.UniqueConstraint(fields=["release", "identity"], name="component_unique")
        ]
        indexes = [
            models.Index(fields=["release", "name"], name="component_release_name"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.version}"
