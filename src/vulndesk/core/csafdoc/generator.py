"""Writing a CSAF 2.0 document (``csaf_security_advisory`` or ``csaf_vex``) from :mod:`.model`.

The output is checked with this package's own validator before it is returned, so a disclosure
case that cannot make a valid advisory (a product status naming an unknown product, a
known_not_affected product without a justification in a VEX document...) is refused with the
failures listed, rather than published broken.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from cvss import CVSS3
from cvss.exceptions import CVSSError

from vulndesk import __version__
from vulndesk.core.csafdoc.model import (
    Advisory,
    Note,
    Product,
    ProductStatus,
    Reference,
    Vulnerability,
)
from vulndesk.core.csafdoc.registry import Failure
from vulndesk.core.csafdoc.validator import validate_document
from vulndesk.core.errors import VulndeskError

_STATUS_KEYS = (
    "first_affected",
    "first_fixed",
    "fixed",
    "known_affected",
    "known_not_affected",
    "last_affected",
    "recommended",
    "under_investigation",
)


class CsafGenerationError(VulndeskError):
    """The input cannot make a valid CSAF document; ``failures`` says why."""

    def __init__(self, message: str, failures: tuple[Failure, ...] = ()):
        self.failures = failures
        details = "".join(f"\n  {f.test_id} {f.path}: {f.message}" for f in failures)
        super().__init__(message + details)


def build_csaf_document(advisory: Advisory, *, check: bool = True) -> dict[str, Any]:
    """Return the CSAF 2.0 document of ``advisory`` as JSON-ready data.

    Raises CsafGenerationError when an input cannot be written (a naive datetime, a CVSS vector
    that does not parse, no revision) or, with ``check``, when the result fails validation.
    """
    tracking = advisory.tracking
    if not tracking.revisions:
        raise CsafGenerationError(f"document {tracking.id!r} has no revision to publish")
    document: dict[str, Any] = {
        "category": advisory.category,
        "csaf_version": "2.0",
        "distribution": {"tlp": {"label": advisory.tlp, "url": "https://www.first.org/tlp/"}},
        "lang": advisory.lang,
        "publisher": _drop_none(
            {
                "category": advisory.publisher.category,
                "contact_details": advisory.publisher.contact_details,
                "name": advisory.publisher.name,
                "namespace": advisory.publisher.namespace,
            }
        ),
        "title": advisory.title,
        "tracking": {
            "current_release_date": _date(tracking.revisions[-1].date),
            "generator": {"engine": {"name": "vulndesk", "version": __version__}},
            "id": tracking.id,
            "initial_release_date": _date(tracking.revisions[0].date),
            "revision_history": [
                {"date": _date(r.date), "number": r.number, "summary": r.summary}
                for r in tracking.revisions
            ],
            "status": tracking.status,
            "version": tracking.revisions[-1].number,
        },
    }
    if tracking.aliases:
        document["tracking"]["aliases"] = list(tracking.aliases)
    if advisory.notes:
        document["notes"] = _notes(advisory.notes)
    if advisory.references:
        document["references"] = _references(advisory.references)
    csaf: dict[str, Any] = {"document": document}
    if advisory.products:
        csaf["product_tree"] = {"branches": _branches(advisory.products)}
    if advisory.vulnerabilities:
        csaf["vulnerabilities"] = [_vulnerability(v) for v in advisory.vulnerabilities]
    if check:
        result = validate_document(csaf)
        if not result.valid:
            raise CsafGenerationError(
                f"document {tracking.id!r} would not be valid CSAF 2.0", result.failures
            )
    return csaf


def _branches(products: tuple[Product, ...]) -> list[dict[str, Any]]:
    """Return vendor > product_name > product_version(_range) branches, in input order."""
    tree: dict[str, dict[str, list[Product]]] = {}
    for product in products:
        tree.setdefault(product.vendor, {}).setdefault(product.name, []).append(product)
    return [
        {
            "category": "vendor",
            "name": vendor,
            "branches": [
                {
                    "category": "product_name",
                    "name": name,
                    "branches": [_version_branch(p) for p in versions],
                }
                for name, versions in names.items()
            ],
        }
        for vendor, names in tree.items()
    ]


def _version_branch(product: Product) -> dict[str, Any]:
    full_name: dict[str, Any] = {
        "name": f"{product.vendor} {product.name} {product.version}",
        "product_id": product.product_id,
    }
    helper = _drop_none({"cpe": product.cpe, "purl": product.purl})
    if helper:
        full_name["product_identification_helper"] = helper
    return {
        "category": "product_version_range" if product.version_range else "product_version",
        "name": product.version,
        "product": full_name,
    }


def _vulnerability(vuln: Vulnerability) -> dict[str, Any]:
    out: dict[str, Any] = _drop_none(
        {
            "cve": vuln.cve,
            "title": vuln.title,
            "discovery_date": _date(vuln.discovery_date) if vuln.discovery_date else None,
            "release_date": _date(vuln.release_date) if vuln.release_date else None,
        }
    )
    if vuln.ids:
        out["ids"] = [{"system_name": i.system_name, "text": i.text} for i in vuln.ids]
    if vuln.cwe is not None:
        out["cwe"] = {"id": vuln.cwe.id, "name": vuln.cwe.name}
    if vuln.notes:
        out["notes"] = _notes(vuln.notes)
    status = _product_status(vuln.product_status)
    if status:
        out["product_status"] = status
    if vuln.scores:
        out["scores"] = [
            {"cvss_v3": _cvss_v3(s.vector), "products": list(s.product_ids)} for s in vuln.scores
        ]
    if vuln.remediations:
        out["remediations"] = [
            _drop_none(
                {
                    "category": r.category,
                    "date": _date(r.date) if r.date else None,
                    "details": r.details,
                    "product_ids": list(r.product_ids),
                    "url": r.url,
                }
            )
            for r in vuln.remediations
        ]
    if vuln.threats:
        out["threats"] = [
            {"category": t.category, "details": t.details, "product_ids": list(t.product_ids)}
            for t in vuln.threats
        ]
    if vuln.flags:
        out["flags"] = [
            _drop_none(
                {
                    "date": _date(f.date) if f.date else None,
                    "label": f.label,
                    "product_ids": list(f.product_ids),
                }
            )
            for f in vuln.flags
        ]
    if vuln.references:
        out["references"] = _references(vuln.references)
    return out


def _product_status(status: ProductStatus) -> dict[str, list[str]]:
    return {key: list(ids) for key in _STATUS_KEYS if (ids := getattr(status, key))}


def _cvss_v3(vector: str) -> dict[str, Any]:
    """Return the ``cvss_v3`` object of a v3.0/v3.1 vector: its metrics and computed scores."""
    if not vector.startswith(("CVSS:3.0/", "CVSS:3.1/")):
        raise CsafGenerationError(
            f"CVSS vector {vector!r} is not CVSS v3.0 or v3.1 (the only versions CSAF 2.0 takes "
            "besides v2)"
        )
    try:
        parsed = CVSS3(vector)
    except CVSSError as e:
        raise CsafGenerationError(f"invalid CVSS vector {vector!r}: {e}") from e
    spelled: dict[str, Any] = parsed.as_json(minimal=True)
    # Keep the vector exactly as given: the library may reorder it.
    spelled["vectorString"] = vector
    return spelled


def _notes(notes: tuple[Note, ...]) -> list[dict[str, str]]:
    return [_drop_none({"category": n.category, "text": n.text, "title": n.title}) for n in notes]


def _references(references: tuple[Reference, ...]) -> list[dict[str, str]]:
    return [{"category": r.category, "summary": r.summary, "url": r.url} for r in references]


def _date(value: datetime) -> str:
    """Return ``value`` as an RFC 3339 UTC timestamp; a naive datetime is refused, since its
    zone is unknown and CSAF requires one."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise CsafGenerationError(f"datetime {value.isoformat()} has no time zone")
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _drop_none(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}
