"""Exports of compliance records for submission and audit: a stored report as the framework-free
``core.regulation`` content (for its PDF), and a product's evidence archive.

The drafts (``compliance.drafts``) are flat; ``CraReportContent`` and ``Nis2ReportContent`` are
structured. :func:`report_content` maps one onto the other, field by field; what a draft has no
field for stays empty, so ``missing_fields`` names it. Greece is ``GR`` in the drafts (ISO
3166-1) and ``EL`` in ``core.regulation`` (the EU's own code): converted here.

:func:`product_evidence_archive` gathers a product's SBOMs (bytes as uploaded), its findings,
VEX statements, remediation items, the CSAF documents its organisation published that name one
of the product's vulnerabilities, and its CRA and NIS2 reports, and hands them to
``core.regulation.archive.evidence_archive``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, time
from typing import Any, Final

import orjson

from vulndesk.core.regulation.archive import (
    AdvisoryEntry,
    ArchiveProduct,
    FindingEntry,
    HandlingRecord,
    RemediationEntry,
    SbomRelease,
    TriageEntry,
    evidence_archive,
)
from vulndesk.core.regulation.clocks import Regime as ClockRegime
from vulndesk.core.regulation.clocks import ReportKind as ClockKind
from vulndesk.core.regulation.pdf import Language
from vulndesk.core.regulation.reports import (
    CiaImpact,
    CraReportContent,
    EntityType,
    Exploitation,
    Impact,
    Manufacturer,
    Measures,
    Nis2Entity,
    Nis2ReportContent,
    ProductDetails,
    ReportContent,
    Severity,
    Tlp,
    VulnerabilityNature,
)
from vulndesk.server.compliance.models import CraEvent, Nis2Record, RegulatoryReport
from vulndesk.server.findings.models import Finding
from vulndesk.server.inventory.models import Component, Product, SbomDocument
from vulndesk.server.provider.models import PublishedDocument
from vulndesk.server.triage.models import RemediationItem, VexStatement

__all__ = [
    "CRA_PATH_FIELDS",
    "NIS2_PATH_FIELDS",
    "product_evidence_archive",
    "report_content",
]

#: the draft field a JSON path of the content comes from ("" when it is not a draft field)
CRA_PATH_FIELDS: Final[Mapping[str, str]] = {
    "manufacturer.name": "manufacturer",
    "product.name": "product_name",
    "product.versions_affected": "affected_versions",
    "exploitation.evidence": "exploitation",
    "nature.description": "description",
    "severity.cvss_vector": "cvss_vector",
    "measures.taken": "corrective_measures",
    "measures.for_users": "mitigating_measures",
    "security_update": "fix_version",
    "member_states": "member_states",
    "root_cause": "root_cause",
    "aware_at": "",
}
NIS2_PATH_FIELDS: Final[Mapping[str, str]] = {
    "entity.name": "entity_name",
    "entity.type": "entity_type",
    "entity.sector": "sector",
    "incident_description": "description",
    "exploitation": "exploitation",
    "cross_border_impact": "cross_border",
    "impact.confidentiality": "impact_confidentiality",
    "impact.integrity": "impact_integrity",
    "impact.availability": "impact_availability",
    "risk_assessment": "severity_and_impact",
    "measures": "mitigation",
    "root_cause": "root_cause",
    "threat_type": "threat_type",
    "detected_at": "",
    "significant": "",
    "aware_at": "",
}


def _texts(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value or () if str(v).strip())


def _text(value: Any) -> str:
    return str(value).strip() if value else ""


def _eu_codes(codes: Any) -> tuple[str, ...]:
    return tuple("EL" if c == "GR" else c for c in _texts(codes))


def _tlp(value: str) -> Tlp | None:
    label = value.strip().upper()
    label = label if label.startswith("TLP:") else f"TLP:{label}"
    return Tlp(label) if label in Tlp._value2member_map_ else None


def _impact(value: Any) -> Impact | None:
    return Impact(value) if value in Impact._value2member_map_ else None


def report_content(report: RegulatoryReport) -> ReportContent:
    """Return ``report``'s stored draft as a ``CraReportContent`` (a CRA event's) or a
    ``Nis2ReportContent`` (a NIS2 record's), with its awareness, due and submission times."""
    owner = report.event or report.record
    draft = report.content
    kind = ClockKind(report.kind)
    if isinstance(owner, CraEvent):
        return _cra_content(report, owner, draft, kind)
    assert owner is not None  # a report has an event or a record (a check constraint)
    return _nis2_content(report, owner, draft, kind)


def _cra_content(
    report: RegulatoryReport, event: CraEvent, draft: Mapping[str, Any], kind: ClockKind
) -> CraReportContent:
    tlp = _tlp(_text(draft.get("sensitivity")))
    fix = _text(draft.get("fix_version"))
    corrective = _text(draft.get("corrective_measures"))
    score = draft.get("cvss_score")
    ids = _texts(draft.get("vulnerability_ids")) or _texts(draft.get("cve_ids"))
    return CraReportContent(
        regime=ClockRegime(event.regime),
        kind=kind,
        manufacturer=Manufacturer(name=_text(draft.get("manufacturer"))),
        product=ProductDetails(
            name=_text(draft.get("product_name")),
            versions_affected=_texts(draft.get("affected_versions")),
        ),
        vulnerability_ids=ids,
        nature=VulnerabilityNature(
            cwe_ids=_texts(draft.get("cwe_ids")), description=_text(draft.get("description"))
        ),
        severity=Severity(
            cvss_vector=_text(draft.get("cvss_vector")),
            cvss_score=float(score) if isinstance(score, int | float) else None,
        ),
        exploitation=Exploitation(
            evidence=_text(draft.get("exploitation")),
            source=event.evidence_source,
            malicious_actor=_text(draft.get("malicious_actor")),
        ),
        measures=Measures(
            available=f"Fixed in version {fix}." if fix else "",
            taken=corrective,
            for_users=_text(draft.get("mitigating_measures")),
        ),
        member_states=_eu_codes(draft.get("member_states")),
        sensitive=tlp in (Tlp.AMBER, Tlp.AMBER_STRICT, Tlp.RED),
        tlp=tlp,
        security_update=fix,
        root_cause=_text(draft.get("root_cause")),
        aware_at=event.aware_at,
        due_at=report.due_at,
        submitted_at=report.submitted_at,
    )


def _nis2_content(
    report: RegulatoryReport, record: Nis2Record, draft: Mapping[str, Any], kind: ClockKind
) -> Nis2ReportContent:
    entity_type = _text(draft.get("entity_type"))
    title, description = _text(draft.get("title")), _text(draft.get("description"))
    exploitation = _text(draft.get("exploitation"))
    if draft.get("suspected_malicious"):
        exploitation = f"{exploitation}; suspected unlawful or malicious acts".lstrip("; ")
    cross_border = draft.get("cross_border")
    return Nis2ReportContent(
        kind=kind,
        entity=Nis2Entity(
            name=_text(draft.get("entity_name")),
            type=EntityType(entity_type) if entity_type in EntityType._value2member_map_ else None,
            sector=_text(draft.get("sector")),
        ),
        incident_description="\n\n".join(t for t in (title, description) if t),
        detected_at=record.aware_at,
        impact=CiaImpact(
            confidentiality=_impact(draft.get("impact_confidentiality")),
            integrity=_impact(draft.get("impact_integrity")),
            availability=_impact(draft.get("impact_availability")),
        ),
        exploitation=exploitation,
        cross_border_impact="" if cross_border is None else ("yes" if cross_border else "no"),
        societal_impact=_text(draft.get("societal_impact")),
        significant=record.significant,
        risk_assessment=_text(draft.get("severity_and_impact")),
        measures=_text(draft.get("mitigation")),
        root_cause=_text(draft.get("root_cause")),
        threat_type=_text(draft.get("threat_type")),
        aware_at=record.aware_at,
        due_at=report.due_at,
        submitted_at=report.submitted_at,
    )


# -- the evidence archive -------------------------------------------------------------------------


def _sbom_format(document: SbomDocument) -> str:
    return " ".join(p for p in (document.format, document.spec_version) if p)


def _released_at(document: SbomDocument) -> datetime:
    day = document.release.released_at
    return datetime.combine(day, time(0), tzinfo=UTC) if day else document.uploaded_at


def _published_for(product: Product, vulnerability_ids: set[str]) -> list[PublishedDocument]:
    """The CSAF documents of the product's organisation that name one of ``vulnerability_ids``
    (a CVE or another id in ``vulnerabilities[].cve``/``ids``) or the product by name in the
    product tree: ``PublishedDocument`` has no product of its own."""
    found = []
    rows = PublishedDocument.objects.filter(organisation=product.organisation, withdrawn=False)
    for document in rows.order_by("published_at", "id"):
        try:
            data = orjson.loads(bytes(document.content))
        except orjson.JSONDecodeError:
            continue
        names: set[str] = set()
        for vulnerability in data.get("vulnerabilities") or ():
            if isinstance(vulnerability, dict):
                names.add(str(vulnerability.get("cve") or ""))
                names.update(str(i.get("text") or "") for i in vulnerability.get("ids") or () if i)
        if names & vulnerability_ids or f'"{product.name}"' in bytes(document.content).decode(
            "utf-8", "replace"
        ):
            found.append(document)
    return found


def product_evidence_archive(
    product: Product, *, now: datetime, language: Language | None = "en"
) -> tuple[bytes, bool]:
    """Return the evidence archive of ``product`` at ``now`` (``evidence_archive``'s zip, with
    the reports' PDFs in ``language``) and whether the SBOMs' top-level dependencies were known
    (the ``direct`` flag of the analysed components; False: the lists are empty)."""
    documents = list(
        SbomDocument.objects.filter(release__product=product)
        .select_related("release")
        .order_by("uploaded_at", "id")
    )
    direct: dict[int, list[str]] = {}
    components = Component.objects.filter(sbom__in=[d.pk for d in documents], direct=True)
    for sbom_id, purl, name, version in components.values_list(
        "sbom_id", "purl", "name", "version"
    ):
        direct.setdefault(sbom_id, []).append(purl or f"{name}@{version}".rstrip("@"))
    history = [
        SbomRelease(
            release=d.release.version,
            released_at=_released_at(d),
            file_name=d.file_name,
            content=bytes(d.content),
            top_level_dependencies=tuple(sorted(direct.get(d.pk, ()))),
            sbom_format=_sbom_format(d),
        )
        for d in documents
    ]
    known = any(direct.values())
    findings = list(Finding.objects.filter(product=product).select_related("release"))
    ids = {f.vulnerability_id for f in findings} | {a for f in findings for a in f.aliases}
    by_component: dict[int, list[Finding]] = {}
    for finding in findings:
        by_component.setdefault(finding.component_id, []).append(finding)
    remediations = [
        RemediationEntry(
            finding_id=str(finding.pk),
            action=f"{item.status}: {item.target_version}".rstrip(": ")
            + (f" ({item.note})" if item.note else ""),
            done_at=item.updated_at,
            release=item.release.version,
        )
        for item in RemediationItem.objects.filter(release__product=product).select_related(
            "release"
        )
        for finding in by_component.get(item.component_id, ())
        if finding.release_id == item.release_id
    ]
    triage = [
        TriageEntry(
            finding_id=f"{s.vulnerability_id} {s.component_key} {s.component_version}",
            status=s.state,
            decided_at=s.created_at,
            justification=s.justification,
            statement=s.impact_statement or s.action_statement or s.detail,
            decided_by=s.author_label,
        )
        for s in VexStatement.objects.filter(product=product)
    ]
    record = HandlingRecord(
        findings=tuple(
            FindingEntry(
                finding_id=str(f.pk),
                vulnerability_ids=tuple(dict.fromkeys([f.vulnerability_id, *f.aliases])),
                component=f.purl or f"{f.component_name}@{f.component_version}".rstrip("@"),
                first_seen_at=f.first_seen,
                resolved_at=f.resolved_at,
                status=f.status,
                releases=(f.release.version,),
            )
            for f in findings
        ),
        triage=tuple(triage),
        remediations=tuple(remediations),
        advisories=tuple(
            AdvisoryEntry(
                advisory_id=f"{d.tracking_id} {d.version}",
                title=d.title,
                published_at=d.published_at,
                url=d.filename,
            )
            for d in _published_for(product, ids - {""})
        ),
    )
    reports = RegulatoryReport.objects.filter(event__product=product) | (
        RegulatoryReport.objects.filter(record__product=product)
    )
    contents = [
        report_content(r)
        for r in reports.select_related("event", "record").order_by("event_id", "record_id", "id")
    ]
    archive = evidence_archive(
        ArchiveProduct(name=product.name, manufacturer=product.organisation.name),
        history,
        record,
        contents,
        now=now,
        pdf_language=language,
    )
    return archive, known
