"""CVE records from a case: reserve an id at CVE Services, build the record, lint, publish,
update and reject it (the organisation acting as a CNA).

Settings, read from the environment when a service runs (so no restart is needed to add them):

- ``VULNDESK_CVE_API_URL``: the CVE Services API (default the production one,
  ``https://cveawg.mitre.org/api/``; the test instance is ``https://cveawg-test.mitre.org/api/``);
- ``VULNDESK_CVE_ORG``: the CNA's short name (``CVE-API-ORG``);
- ``VULNDESK_CVE_USER``: the CVE Services user (``CVE-API-USER``);
- ``VULNDESK_CVE_API_KEY``: that user's API key (``CVE-API-KEY``): a secret, never logged,
  audited or shown (``CveSettings``' repr leaves it out; the client masks it in messages);
- ``VULNDESK_CVE_ORG_ID`` (optional): the CNA's UUID for ``providerMetadata.orgId``; CVE
  Services writes the real one into what it publishes, so a placeholder is used without it.

Without org, user and key, the services that call CVE Services refuse with an InputError that
names the missing variables; building and linting the record work without them.

Who may do what: coordinators only (``require_role``). Publishing (and updating) is refused
while the case's embargo is in force, and while the linter (``core.cve.lint``) reports errors,
which the refusal lists. The record takes from the case (:func:`case_cve_record`):

- the vulnerability's title, English description, CWE, CVSS vector and ``references``;
- affected products from the vendors' *approved* statuses (what the coordinator let the other
  participants see): the vendor's name and the vulnerability's package, ``affected`` and
  ``fixed`` as affected over the ``vers:`` range (the rest of the versions unaffected),
  ``not_affected`` as unaffected, ``unknown`` as unknown; the case's releases of the
  organisation's own products as affected versions; without either, the package itself
  (``collectionURL`` + ``packageName``) over the range;
- credits from the reporter's wish (``wants_credit``, ``credit_name`` or their name).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

from django.db import transaction
from django.utils import timezone

from vulndesk.core.advisories.csaf import version_range_entries
from vulndesk.core.cve.lint import Finding, errors, lint_cna_record
from vulndesk.core.cve.record import (
    AffectedProduct,
    AffectedVersion,
    CnaRecord,
    Credit,
    CvssMetric,
    CvssVectorError,
    Discovery,
    ProblemType,
    Provider,
    Reference,
    Text,
    VersionChange,
    VersionStatus,
    cna_container,
)
from vulndesk.core.cve.services import (
    PRODUCTION_URL,
    CveRecordInvalid,
    CveServicesClient,
    CveServicesCredentials,
)
from vulndesk.core.errors import IdentifierError, InputError
from vulndesk.core.ids.purl import parse_purl
from vulndesk.server.audit.services import audit_record
from vulndesk.server.disclosure.checks import (
    TransitionRefused,
    actor_label,
    clean_text,
    require_role,
    same_case,
)
from vulndesk.server.disclosure.models import (
    CaseRelease,
    CaseVulnerability,
    CveState,
    Participant,
    ParticipantRole,
    VendorStatus,
    VendorStatusValue,
)
from vulndesk.server.disclosure.weaknesses import CWE_NAMES

__all__ = [
    "CveLintFailed",
    "CveSettings",
    "PublishRefused",
    "case_cve_container",
    "case_cve_lint",
    "case_cve_publish",
    "case_cve_record",
    "case_cve_reject",
    "case_cve_reserve",
    "case_vulnerability_references_set",
    "cve_settings",
]

#: ``providerMetadata.orgId`` when ``VULNDESK_CVE_ORG_ID`` is not set (CVE Services replaces it)
PLACEHOLDER_ORG_ID: Final = "00000000-0000-4000-8000-000000000000"
#: the reason given when a coordinator rejects an id without one
DEFAULT_REJECT_REASON: Final = (
    "This candidate is unused: the CNA reserved it for an issue that is not published under it."
)
MAX_REFERENCES: Final = 50
_COORDINATOR: Final = (ParticipantRole.COORDINATOR,)
#: purl type -> the CVE ``versionType`` of its ordering (the rest keep the purl type's name)
_VERSION_TYPES: Final = {
    "pypi": "python",
    "npm": "semver",
    "cargo": "semver",
    "golang": "semver",
    "nuget": "semver",
    "composer": "semver",
    "gem": "semver",
    "maven": "maven",
    "rpm": "rpm",
    "deb": "dpkg",
}
#: purl type -> the package registry's collection URL for CVE's ``collectionURL``
_COLLECTIONS: Final = {
    "pypi": "https://pypi.org",
    "npm": "https://www.npmjs.com",
    "cargo": "https://crates.io",
    "gem": "https://rubygems.org",
    "maven": "https://repo.maven.apache.org/maven2",
    "nuget": "https://www.nuget.org",
    "composer": "https://packagist.org",
    "golang": "https://pkg.go.dev",
}


class PublishRefused(TransitionRefused):
    """Publishing is not allowed now: the case's embargo is in force (the API answers 409)."""


class CveLintFailed(InputError):
    """The record has lint errors (``findings``), listed in the message; nothing was sent."""

    def __init__(self, cve_id: str, findings: Sequence[Finding]) -> None:
        self.findings = tuple(findings)
        blocking = errors(findings)
        listed = "; ".join(f"{f.path}: {f.message} [{f.rule}]" for f in blocking)
        super().__init__(
            f"the CVE record {cve_id or '(no id yet)'} has {len(blocking)} lint error(s), "
            f"not published: {listed}"
        )


@dataclass(frozen=True, slots=True)
class CveSettings:
    """How to reach CVE Services as the organisation's CNA (the key is left out of the repr)."""

    base_url: str
    org: str
    user: str
    api_key: str = field(repr=False)
    org_id: str = PLACEHOLDER_ORG_ID

    @property
    def provider(self) -> Provider:
        """Return the record's provider: the CNA's UUID and short name."""
        return Provider(org_id=self.org_id, short_name=self.org)

    def client(self) -> CveServicesClient:
        """Return a CVE Services client with these credentials (close it, or use ``with``)."""
        credentials = CveServicesCredentials(org=self.org, user=self.user, api_key=self.api_key)
        return CveServicesClient(credentials, base_url=self.base_url, timeout=30.0)


def cve_settings() -> CveSettings | None:
    """Return the CVE Services settings from the environment (module docstring), or None when
    org, user or API key is missing."""
    org = os.environ.get("VULNDESK_CVE_ORG", "").strip()
    user = os.environ.get("VULNDESK_CVE_USER", "").strip()
    key = os.environ.get("VULNDESK_CVE_API_KEY", "").strip()
    if not (org and user and key):
        return None
    return CveSettings(
        base_url=os.environ.get("VULNDESK_CVE_API_URL", "").strip() or PRODUCTION_URL,
        org=org,
        user=user,
        api_key=key,
        org_id=os.environ.get("VULNDESK_CVE_ORG_ID", "").strip() or PLACEHOLDER_ORG_ID,
    )


def _required_settings() -> CveSettings:
    found = cve_settings()
    if found is None:
        missing = [
            name
            for name in ("VULNDESK_CVE_ORG", "VULNDESK_CVE_USER", "VULNDESK_CVE_API_KEY")
            if not os.environ.get(name, "").strip()
        ]
        raise InputError(f"CVE Services is not configured: set {', '.join(missing)}")
    return found


def _provider() -> Provider:
    found = cve_settings()
    return found.provider if found is not None else Provider(org_id=PLACEHOLDER_ORG_ID)


# -- the record -----------------------------------------------------------------------------------


def case_cve_record(vulnerability: CaseVulnerability) -> CnaRecord:
    """Return the CNA record of ``vulnerability`` built from its case (module docstring); the
    caller checked that the reader may see it (a coordinator of the case)."""
    case = vulnerability.case
    metrics: tuple[CvssMetric, ...] = ()
    if vulnerability.cvss_vector:
        try:
            metrics = (CvssMetric.from_vector(vulnerability.cvss_vector),)
        except CvssVectorError as exc:
            raise InputError(f"vulnerability {vulnerability.pk}: {exc}") from exc
    credits = []
    for report in case.reports.all().order_by("id"):
        name = (report.credit_name or report.reporter_name).strip()
        if report.wants_credit and name:
            credits.append(Credit(name, "finder"))
    discovery: Discovery | None = "EXTERNAL" if credits or case.reports.exists() else None
    return CnaRecord(
        cve_id=vulnerability.cve_id,
        title=vulnerability.title or None,
        descriptions=(Text(vulnerability.description),) if vulnerability.description else (),
        affected=_affected(vulnerability),
        problem_types=(
            (ProblemType(_cwe_text(vulnerability.cwe), cwe_id=vulnerability.cwe),)
            if vulnerability.cwe
            else ()
        ),
        metrics=metrics,
        references=tuple(Reference(url) for url in vulnerability.references or ()),
        credits=tuple(credits),
        date_public=case.public_aware_at,
        discovery=discovery,
    )


def _cwe_text(cwe: str) -> str:
    name = CWE_NAMES.get(cwe)
    return f"{cwe} {name}" if name else cwe


def case_cve_container(vulnerability: CaseVulnerability) -> dict[str, object]:
    """Return the CNA container of ``vulnerability`` as CVE Services takes it."""
    return cna_container(case_cve_record(vulnerability), provider=_provider())


def case_cve_lint(vulnerability: CaseVulnerability) -> list[Finding]:
    """Return the linter's findings on the record of ``vulnerability`` (errors block
    publishing, warnings do not)."""
    return lint_cna_record(case_cve_record(vulnerability), provider=_provider())


def _package(vulnerability: CaseVulnerability) -> tuple[str, str, str | None]:
    """Return the package's display name, purl type and version type ("" without a purl)."""
    if not vulnerability.component_purl:
        return "", "", None
    try:
        purl = parse_purl(vulnerability.component_purl)
    except IdentifierError:
        return "", "", None
    name = f"{purl.namespace}/{purl.name}" if purl.namespace else purl.name
    return name, purl.type, _VERSION_TYPES.get(purl.type, purl.type)


def _versions(
    vulnerability: CaseVulnerability, status: VersionStatus
) -> tuple[AffectedVersion, ...]:
    if not vulnerability.affected_range:
        return ()
    _, _, default_type = _package(vulnerability)
    out = []
    for entry in version_range_entries(vulnerability.affected_range, status):
        ranged = entry.less_than is not None or entry.less_than_or_equal is not None
        version_type = _VERSION_TYPES.get(entry.version_type or "", entry.version_type)
        out.append(
            AffectedVersion(
                version=entry.version,
                status=entry.status,  # type: ignore[arg-type]
                version_type=(version_type or default_type) if ranged else None,
                less_than=entry.less_than,
                less_than_or_equal=entry.less_than_or_equal,
                changes=tuple(VersionChange(at, s) for at, s in entry.changes),  # type: ignore[arg-type]
            )
        )
    return tuple(out)


def _affected(vulnerability: CaseVulnerability) -> tuple[AffectedProduct, ...]:
    package, purl_type, _ = _package(vulnerability)
    products: list[AffectedProduct] = []
    statuses = (
        VendorStatus.objects.filter(vulnerability=vulnerability, approved_at__isnull=False)
        .select_related("vendor", "vendor__user")
        .order_by("vendor_id")
    )
    for status in statuses:
        vendor = status.vendor.organisation_name or status.vendor.label
        product = package or vulnerability.title
        if status.status in (VendorStatusValue.AFFECTED, VendorStatusValue.FIXED):
            versions = _versions(vulnerability, "affected")
            default: VersionStatus = "unaffected" if versions else "affected"
            products.append(AffectedProduct(vendor, product, versions, default))
        elif status.status == VendorStatusValue.NOT_AFFECTED:
            products.append(AffectedProduct(vendor, product, default_status="unaffected"))
        else:
            products.append(AffectedProduct(vendor, product, default_status="unknown"))
    by_product: dict[str, list[str]] = {}
    rows = CaseRelease.objects.filter(case_id=vulnerability.case_id).select_related(
        "release", "release__product"
    )
    for row in rows.order_by("id"):
        if row.vulnerability_id not in (None, vulnerability.pk):
            continue
        by_product.setdefault(row.release.product.name, []).append(row.release.version)
    organisation = vulnerability.case.organisation.name
    for name, versions in by_product.items():
        entries = tuple(AffectedVersion(v, "affected") for v in versions)
        products.append(AffectedProduct(organisation, name, entries))
    if not products and package:
        versions = _versions(vulnerability, "affected")
        collection = _COLLECTIONS.get(purl_type)
        products.append(
            AffectedProduct(
                vendor=None if collection else organisation,
                product=None if collection else package,
                collection_url=collection,
                package_name=package if collection else None,
                versions=versions,
                default_status="unaffected" if versions else "affected",
            )
        )
    return tuple(products)


# -- writes ---------------------------------------------------------------------------------------


def _locked(actor: Participant, vulnerability: CaseVulnerability) -> CaseVulnerability:
    require_role(actor, _COORDINATOR, "CVE records")
    same_case(actor, vulnerability.case_id)
    return (
        CaseVulnerability.objects.select_for_update()
        .select_related("case")
        .get(pk=vulnerability.pk)
    )


def _audit(
    actor: Participant, vulnerability: CaseVulnerability, action: str, **data: object
) -> None:
    audit_record(
        action=f"case.{action}",
        object_type="disclosure.case",
        object_id=str(vulnerability.case_id),
        data={"vulnerability": vulnerability.pk, "cve": vulnerability.cve_id, **data},
        acting_user=actor.user,
        actor_label=actor_label(actor),
    )


@transaction.atomic
def case_vulnerability_references_set(
    *, actor: Participant, vulnerability: CaseVulnerability, references: Sequence[str]
) -> CaseVulnerability:
    """Replace the public references (http/https URLs) of ``vulnerability`` (coordinators only)
    and return it; duplicates are dropped, the order kept."""
    require_role(actor, _COORDINATOR, "changing vulnerabilities")
    same_case(actor, vulnerability.case_id)
    if len(references) > MAX_REFERENCES:
        raise InputError(f"{len(references)} references, more than {MAX_REFERENCES}")
    cleaned: list[str] = []
    for raw in references:
        url = clean_text(raw, "reference", 2000, required=True)
        if not url.lower().startswith(("https://", "http://")) or any(c.isspace() for c in url):
            raise InputError(f"the reference {url!r} is not an http(s) URL")
        if url not in cleaned:
            cleaned.append(url)
    vulnerability.references = cleaned
    vulnerability.save(update_fields=["references"])
    _audit(actor, vulnerability, "vulnerability_update", fields=["references"])
    return vulnerability


@transaction.atomic
def case_cve_reserve(*, actor: Participant, vulnerability: CaseVulnerability) -> CaseVulnerability:
    """Reserve one CVE id of this year at CVE Services for ``vulnerability`` (coordinators
    only), store it on the vulnerability and return it; one that has an id already is refused.
    """
    vulnerability = _locked(actor, vulnerability)
    if vulnerability.cve_id:
        raise InputError(f"vulnerability {vulnerability.pk} already has {vulnerability.cve_id}")
    if vulnerability.case.closed_at is not None:
        raise InputError(f"case {vulnerability.case.identifier} is closed")
    settings = _required_settings()
    with settings.client() as client:
        (reserved,) = client.reserve(1, year=timezone.now().year)
    vulnerability.cve_id = reserved.cve_id
    vulnerability.cve_state = CveState.RESERVED
    vulnerability.save(update_fields=["cve_id", "cve_state"])
    _audit(actor, vulnerability, "cve_reserve")
    return vulnerability


@transaction.atomic
def case_cve_publish(*, actor: Participant, vulnerability: CaseVulnerability) -> CaseVulnerability:
    """Publish the CVE record of ``vulnerability`` at CVE Services, or update it when it is
    published already (coordinators only), and return the vulnerability.

    Refused (PublishRefused) while the case's embargo is in force, and (CveLintFailed, listing
    them) while the linter reports errors; nothing is sent then.
    """
    vulnerability = _locked(actor, vulnerability)
    case = vulnerability.case
    if case.embargo_in_force:
        end = case.embargo_end_at.isoformat() if case.embargo_end_at else "?"
        raise PublishRefused(
            f"case {case.identifier} is under embargo until {end}: nothing is published before"
        )
    if not vulnerability.cve_id:
        raise InputError(f"vulnerability {vulnerability.pk} has no CVE id: reserve one first")
    if vulnerability.cve_state == CveState.REJECTED:
        raise InputError(f"{vulnerability.cve_id} was rejected; reserve a new id")
    settings = _required_settings()
    record = case_cve_record(vulnerability)
    findings = lint_cna_record(record, provider=settings.provider)
    if errors(findings):
        raise CveLintFailed(vulnerability.cve_id, findings)
    update = vulnerability.cve_state == CveState.PUBLISHED
    try:
        with settings.client() as client:
            if update:
                client.update_record(record, provider=settings.provider)
            else:
                client.publish_record(record, provider=settings.provider)
    except CveRecordInvalid as exc:  # the client's own lint of the container
        raise CveLintFailed(vulnerability.cve_id, exc.findings) from exc
    now = timezone.now()
    vulnerability.cve_state = CveState.PUBLISHED
    vulnerability.cve_published_at = vulnerability.cve_published_at or now
    vulnerability.save(update_fields=["cve_state", "cve_published_at"])
    _audit(actor, vulnerability, "cve_update" if update else "cve_publish")
    return vulnerability


@transaction.atomic
def case_cve_reject(
    *, actor: Participant, vulnerability: CaseVulnerability, reason: str = ""
) -> CaseVulnerability:
    """Reject the CVE id of ``vulnerability`` at CVE Services (a reserved id that will not be
    used, or a published record withdrawn), with an English ``reason`` (coordinators only),
    and return the vulnerability, its id kept with state rejected."""
    vulnerability = _locked(actor, vulnerability)
    if not vulnerability.cve_id:
        raise InputError(f"vulnerability {vulnerability.pk} has no CVE id to reject")
    if vulnerability.cve_state == CveState.REJECTED:
        return vulnerability
    reason = clean_text(reason, "reason", 4000) or DEFAULT_REJECT_REASON
    settings = _required_settings()
    with settings.client() as client:
        if vulnerability.cve_state == CveState.PUBLISHED:
            client.reject_record(vulnerability.cve_id, [Text(reason)])
        else:
            client.reject(vulnerability.cve_id, [Text(reason)])
    previous = vulnerability.cve_state
    vulnerability.cve_state = CveState.REJECTED
    vulnerability.save(update_fields=["cve_state"])
    _audit(actor, vulnerability, "cve_reject", previous=previous)
    return vulnerability
