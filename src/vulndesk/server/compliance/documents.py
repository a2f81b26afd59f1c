"""A report as one JSON document, for submission through ENISA's Single Reporting Platform (CRA)
or to the CSIRT (NIS2), and for the PDF export built on it (``core.regulation``).

:func:`report_document` is a pure read: the structured draft as edited, plus what the draft is
about (regime, kind, due time, when the organisation became aware, the product and the
manufacturer) and the submission, if any. Keys are stable: ``format`` names the layout
(``vulndesk-regulatory-report/1``), so a consumer can tell a later one apart.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from django.utils import timezone

from vulndesk.server.compliance.models import CraEvent, Nis2Record, RegulatoryReport

__all__ = ["DOCUMENT_FORMAT", "report_document"]

DOCUMENT_FORMAT: Final = "vulndesk-regulatory-report/1"


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def report_document(report: RegulatoryReport, *, now: datetime | None = None) -> dict[str, Any]:
    """Return ``report`` as a JSON-ready dict: ``format``, ``regime``, ``kind``, ``state``
    (at ``now``), ``due_at``, ``counts_from``, ``aware_at``, ``product`` (id, name, versions),
    ``manufacturer`` (the organisation), the event or NIS2 record it belongs to, ``content``
    (the draft) and ``submission`` (null until submitted)."""
    owner: CraEvent | Nis2Record = report.event or report.record  # type: ignore[assignment]
    document: dict[str, Any] = {
        "format": DOCUMENT_FORMAT,
        "regime": owner.regime if isinstance(owner, CraEvent) else "nis2_incident",
        "kind": report.kind,
        "state": report.state_at(now or timezone.now()),
        "due_at": _iso(report.due_at),
        "counts_from": report.counts_from,
        "aware_at": _iso(owner.aware_at),
    }
    if isinstance(owner, CraEvent):
        product = owner.product
        document["event"] = {
            "id": owner.pk,
            "vulnerability_id": owner.vulnerability_id,
            "title": owner.title,
            "state": owner.state,
            "trigger": owner.trigger,
            "evidence": {
                "source": owner.evidence_source,
                "reference": owner.evidence_reference,
                "text": owner.evidence_text,
            },
            "case": owner.case.identifier if owner.case_id and owner.case else None,
            "corrective_measure": {
                "fix_version": owner.measure_fix_version,
                "description": owner.measure_description,
                "available_at": _iso(owner.measure_available_at),
            },
            "member_states": list(owner.member_states),
        }
        organisation = product.organisation
    else:
        product = owner.product
        organisation = owner.organisation
        document["nis2_record"] = {
            "id": owner.pk,
            "kind": owner.kind,
            "entity_type": owner.entity_type,
            "sector": owner.sector,
            "significant": owner.significant,
        }
    document["product"] = (
        {
            "id": product.pk,
            "name": product.name,
            "versions": sorted({str(v) for v in report.content.get("product_versions") or () if v}),
        }
        if product is not None
        else None
    )
    document["manufacturer"] = {"name": organisation.name, "slug": organisation.slug}
    document["content"] = dict(report.content)
    document["submission"] = (
        {
            "submitted_at": _iso(report.submitted_at),
            "submitted_by": report.submitted_by.get_username() if report.submitted_by else None,
            "reference": report.submission_reference,
        }
        if report.submitted_at is not None
        else None
    )
    return document
