"""CSAF 2.0 advisories from a case: the document (``csaf_security_advisory`` or ``csaf_vex``),
and publishing it through the organisation's CSAF provider (``provider.services.csaf_publish``).

A CSAF document from a case is public (TLP:WHITE, CSAF 2.0's name for TLP:CLEAR): it is
refused (:class:`AdvisoryRefused`) while the case's embargo is in force. What it takes:

- **publisher**: the organisation's CSAF provider settings (name, category, namespace,
  contact) when it has them, else the organisation's name as coordinator under
  ``CSAF_PUBLISHER_NAMESPACE``;
- **tracking**: the case identifier as id, final; the revision history of the version the
  provider published before, if any, with one more revision (so publishing again replaces it);
- **products**: per vulnerability, each vendor with an *approved* status (vendor > the
  package > the ``vers:`` range, the package URL as purl), and the case's releases of the
  organisation's own products (product > version);
- **vulnerabilities**: CVE id, CWE (with its name, for the weaknesses this module knows; the
  id goes into a note otherwise), CVSS v3 score, the description as a note, the references,
  product statuses from the vendor statuses (affected -> known_affected, not_affected ->
  known_not_affected, fixed -> fixed, unknown -> under_investigation; the case's releases are
  known_affected), a vendor_fix remediation for fixed products (the vendor's approved
  statement as details), ``none_available`` for affected ones, and for not-affected ones an
  impact statement (VEX needs one).
"""

from __future__ import annotations

from typing import Any, Final, Literal

import orjson
from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db import transaction
from django.utils import timezone

from vulndesk.core.csafdoc import CsafGenerationError, build_csaf_document, validate_document
from vulndesk.core.csafdoc.access import parse_date_time
from vulndesk.core.csafdoc.model import (
    Advisory,
    Cwe,
    Note,
    Product,
    ProductStatus,
    Publisher,
    Reference,
    Remediation,
    Revision,
    Score,
    Threat,
    Tracking,
    Vulnerability,
    VulnerabilityId,
)
from vulndesk.core.errors import IdentifierError, InputError
from vulndesk.core.ids.purl import parse_purl
from vulndesk.server.disclosure.checks import TransitionRefused, actor_label, require_role
from vulndesk.server.disclosure.models import (
    Case,
    CaseRelease,
    CaseVulnerability,
    Participant,
    ParticipantRole,
    VendorStatus,
    VendorStatusValue,
)
from vulndesk.server.disclosure.weaknesses import CWE_NAMES

__all__ = [
    "AdvisoryRefused",
    "Profile",
    "case_csaf_document",
    "case_csaf_publish",
]

Profile = Literal["csaf_security_advisory", "csaf_vex"]
_STATUS_FIELDS: Final = {
    VendorStatusValue.AFFECTED: "known_affected",
    VendorStatusValue.NOT_AFFECTED: "known_not_affected",
    VendorStatusValue.FIXED: "fixed",
    VendorStatusValue.UNKNOWN: "under_investigation",
}


class AdvisoryRefused(TransitionRefused):
    """No public document now: the case's embargo is in force (the API answers 409)."""


def _publisher(case: Case) -> Publisher:
    organisation = case.organisation
    try:
        provider = organisation.provider_settings  # type: ignore[attr-defined]
    except ObjectDoesNotExist:
        provider = None
    if provider is not None and provider.namespace:
        return Publisher(
            name=provider.publisher_name or organisation.name,
            namespace=provider.namespace,
            category=provider.publisher_category,
            contact_details=provider.contact_details or None,
        )
    return Publisher(
        name=organisation.name,
        namespace=settings.CSAF_PUBLISHER_NAMESPACE,
        category="coordinator",
    )


def _revisions(case: Case) -> tuple[Revision, ...]:
    """Return the history of the version published before (if any) with one more revision."""
    from vulndesk.server.provider.models import PublishedDocument

    now = timezone.now()
    previous = (
        PublishedDocument.objects.filter(
            organisation=case.organisation, tracking_id=case.identifier
        )
        .order_by("-published_at")
        .first()
    )
    history: list[Revision] = []
    if previous is not None:
        document = orjson.loads(bytes(previous.content))
        for entry in document.get("document", {}).get("tracking", {}).get("revision_history", []):
            when = parse_date_time(entry.get("date"))
            number = str(entry.get("number", ""))
            if when is not None and number.isdigit():
                history.append(Revision(when, number, str(entry.get("summary", ""))))
    if not history:
        return (Revision(now, "1", "Initial version."),)
    last = max(int(r.number) for r in history)
    return (*history, Revision(max(now, history[-1].date), str(last + 1), "Updated."))


def _package(vulnerability: CaseVulnerability) -> tuple[str, str | None]:
    if not vulnerability.component_purl:
        return vulnerability.title, None
    try:
        purl = parse_purl(vulnerability.component_purl)
    except IdentifierError:
        return vulnerability.title, None
    name = f"{purl.namespace}/{purl.name}" if purl.namespace else purl.name
    return name, vulnerability.component_purl


def case_csaf_document(case: Case, profile: Profile = "csaf_security_advisory") -> dict[str, Any]:
    """Return the CSAF 2.0 document of ``case`` (module docstring), validated; raise
    AdvisoryRefused while its embargo is in force, InputError when the case has nothing to
    publish or the result would not be valid CSAF."""
    if profile not in ("csaf_security_advisory", "csaf_vex"):
        raise InputError(f"unknown CSAF profile {profile!r}: csaf_security_advisory or csaf_vex")
    if case.embargo_in_force:
        end = case.embargo_end_at.isoformat() if case.embargo_end_at else "?"
        raise AdvisoryRefused(
            f"case {case.identifier} is under embargo until {end}: no public advisory before"
        )
    vulnerabilities = list(CaseVulnerability.objects.filter(case=case).order_by("id"))
    if not vulnerabilities:
        raise InputError(f"case {case.identifier} has no vulnerability to publish")
    products: list[Product] = []
    entries: list[Vulnerability] = []
    releases = list(
        CaseRelease.objects.filter(case=case).select_related("release", "release__product")
    )
    release_ids: dict[int, str] = {}
    for row in releases:
        pid = f"CSAFPID-R{row.release_id}"
        if row.release_id not in release_ids:
            release_ids[row.release_id] = pid
            products.append(
                Product(pid, case.organisation.name, row.release.product.name, row.release.version)
            )
    for vulnerability in vulnerabilities:
        entry, own = _vulnerability(case, vulnerability, releases, release_ids)
        products.extend(own)
        entries.append(entry)
    if not products:
        raise InputError(
            f"case {case.identifier} names no product: approve a vendor status or add releases"
        )
    titles = "; ".join(v.title for v in vulnerabilities)
    advisory = Advisory(
        category=profile,
        title=case.title,
        publisher=_publisher(case),
        tracking=Tracking(case.identifier, "final", _revisions(case)),
        products=tuple(products),
        vulnerabilities=tuple(entries),
        notes=(Note("summary", f"This advisory covers: {titles}.", "Summary"),),
        tlp="WHITE",
    )
    try:
        document = build_csaf_document(advisory, check=False)
    except CsafGenerationError as exc:
        raise InputError(
            f"the CSAF document of {case.identifier} cannot be written: {exc}"
        ) from exc
    result = validate_document(document)
    if not result.valid:
        failures = "; ".join(f"{f.test_id} {f.path}: {f.message}" for f in result.failures)
        raise InputError(f"the CSAF document of {case.identifier} is not valid: {failures}")
    return document


def _vulnerability(
    case: Case,
    vulnerability: CaseVulnerability,
    releases: list[CaseRelease],
    release_ids: dict[int, str],
) -> tuple[Vulnerability, list[Product]]:
    package, purl = _package(vulnerability)
    products: list[Product] = []
    status: dict[str, list[str]] = {name: [] for name in _STATUS_FIELDS.values()}
    remediations: list[Remediation] = []
    threats: list[Threat] = []
    statuses = (
        VendorStatus.objects.filter(vulnerability=vulnerability, approved_at__isnull=False)
        .select_related("vendor", "vendor__user")
        .order_by("vendor_id")
    )
    for row in statuses:
        pid = f"CSAFPID-V{row.vendor_id}-{vulnerability.pk}"
        vendor = row.vendor.organisation_name or row.vendor.label
        version = vulnerability.affected_range or "vers:all/*"
        products.append(Product(pid, vendor, package, version, version_range=True, purl=purl))
        status[_STATUS_FIELDS[VendorStatusValue(row.status)]].append(pid)
        details = row.statement
        if row.status == VendorStatusValue.FIXED:
            remediations.append(
                Remediation("vendor_fix", details or "Update to a fixed version.", (pid,))
            )
        elif row.status == VendorStatusValue.AFFECTED:
            remediations.append(
                Remediation("none_available", details or "No fix is available yet.", (pid,))
            )
        elif row.status == VendorStatusValue.NOT_AFFECTED:
            threats.append(
                Threat("impact", details or "The vendor states this product is not affected.",
                       (pid,))
            )  # fmt: skip
    own = [
        release_ids[r.release_id]
        for r in releases
        if r.vulnerability_id in (None, vulnerability.pk)
    ]
    own = list(dict.fromkeys(own))
    if own:
        status["known_affected"].extend(own)
        remediations.append(
            Remediation("none_available", "No fix is available for this release yet.", tuple(own))
        )
    affected = status["known_affected"] + status["fixed"]
    scores: tuple[Score, ...] = ()
    if vulnerability.cvss_vector.startswith("CVSS:3.") and affected:
        scores = (Score(vulnerability.cvss_vector, tuple(affected)),)
    notes = [Note("description", vulnerability.description or vulnerability.title, "Description")]
    cwe = None
    if vulnerability.cwe in CWE_NAMES:
        cwe = Cwe(vulnerability.cwe, CWE_NAMES[vulnerability.cwe])
    elif vulnerability.cwe:
        notes.append(Note("details", f"Weakness: {vulnerability.cwe}.", "Weakness"))
    entry = Vulnerability(
        product_status=ProductStatus(**{k: tuple(v) for k, v in status.items()}),
        notes=tuple(notes),
        cve=vulnerability.cve_id or None,
        ids=(VulnerabilityId(case.identifier, f"{case.identifier}-{vulnerability.pk}"),),
        title=vulnerability.title,
        cwe=cwe,
        scores=scores,
        remediations=tuple(remediations),
        threats=tuple(threats),
        references=tuple(Reference(url, url) for url in vulnerability.references or ()),
    )
    return entry, products


@transaction.atomic
def case_csaf_publish(*, actor: Participant, profile: Profile = "csaf_security_advisory") -> Any:
    """Publish the case's advisory through the organisation's CSAF provider (coordinators
    only) and return the provider's result; refused while the embargo is in force."""
    from vulndesk.server.provider.services import csaf_publish

    require_role(actor, (ParticipantRole.COORDINATOR,), "publishing the advisory")
    case = Case.objects.select_related("organisation").get(pk=actor.case_id)
    document = case_csaf_document(case, profile)
    return csaf_publish(
        document=document,
        organisation=case.organisation,
        acting_user=actor.user,
        tlp="WHITE",
        actor_label=actor_label(actor),
    )
