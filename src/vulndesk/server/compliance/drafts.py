"""The structured drafts of reports: their fields, how they are pre-filled, how edits are checked.

A draft (``RegulatoryReport.content``) is a flat JSON object whose keys are the fields of its
regime (:data:`CRA_FIELDS`, :data:`NIS2_FIELDS`): text, lists of text, a number or a yes/no.
It is pre-filled once, when the report is created, from the event's finding(s), product,
releases, stored records and case (:func:`cra_draft`), or from the NIS2 record
(:func:`nis2_draft`); a person then edits it (:func:`draft_checked` refuses unknown fields,
wrong types, over-long text and member states that are not EU ISO codes, naming the field).
What CRA Article 14(2) asks for (reference/disclosure.md): the product, the nature of the
vulnerability and of its exploitation, corrective or mitigating measures, and where applicable
the member states where the product is made available.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any, Final

import orjson

from vulndesk.core.errors import InputError
from vulndesk.server.advisories.models import Advisory, KevEntry
from vulndesk.server.compliance.models import EU_MEMBER_STATES, CraEvent, Nis2Record
from vulndesk.server.compliance.selectors import cra_event_findings
from vulndesk.server.findings.models import SEVERITY_RANK, Finding

__all__ = ["CRA_FIELDS", "NIS2_FIELDS", "cra_draft", "draft_checked", "fields_of", "nis2_draft"]

TEXT, TEXTS, NUMBER, FLAG = "text", "texts", "number", "flag"

#: the fields of a CRA report's draft, and their types
CRA_FIELDS: Final[Mapping[str, str]] = {
    "product_name": TEXT,
    "product_versions": TEXTS,
    "manufacturer": TEXT,
    "affected_versions": TEXTS,
    "affected_components": TEXTS,
    "vulnerability_ids": TEXTS,
    "cve_ids": TEXTS,
    "cwe_ids": TEXTS,
    "description": TEXT,
    "exploitation": TEXT,
    "severity": TEXT,
    "cvss_score": NUMBER,
    "cvss_vector": TEXT,
    "corrective_measures": TEXT,
    "mitigating_measures": TEXT,
    "fix_version": TEXT,
    "member_states": TEXTS,
    "malicious_actor": TEXT,
    "root_cause": TEXT,  # the final report: how the vulnerability came about
    "sensitivity": TEXT,
    "notes": TEXT,
}

#: the fields of a NIS2 report's draft
NIS2_FIELDS: Final[Mapping[str, str]] = {
    "entity_name": TEXT,
    "entity_type": TEXT,
    "sector": TEXT,
    "title": TEXT,
    "description": TEXT,
    "vulnerability_ids": TEXTS,
    "impact_confidentiality": TEXT,
    "impact_integrity": TEXT,
    "impact_availability": TEXT,
    "exploitation": TEXT,
    "cross_border": FLAG,
    "societal_impact": TEXT,
    "suspected_malicious": FLAG,
    "member_states": TEXTS,
    "severity_and_impact": TEXT,
    "indicators_of_compromise": TEXT,
    "root_cause": TEXT,
    "threat_type": TEXT,  # the final report: the type of threat (NIS2 Art. 23(4)(d))
    "mitigation": TEXT,
    "notes": TEXT,
}

_TEXT_MAX: Final = 20_000
_ITEMS_MAX: Final = 500
_ITEM_MAX: Final = 1000
_IN: Final = 900


def fields_of(owner: CraEvent | Nis2Record) -> Mapping[str, str]:
    """Return the draft fields of the reports of ``owner``."""
    return CRA_FIELDS if isinstance(owner, CraEvent) else NIS2_FIELDS


def draft_checked(fields: Mapping[str, str], edits: Mapping[str, Any]) -> dict[str, Any]:
    """Return ``edits`` cleaned (text stripped, member states upper-cased and deduplicated) if
    every key is a field of ``fields`` holding a value of its type; raise InputError naming the
    field otherwise. ``None`` empties a field."""
    if not isinstance(edits, Mapping):
        raise InputError("the draft must be a JSON object", location="content")
    cleaned: dict[str, Any] = {}
    for key, value in edits.items():
        where = f"content.{key}"
        kind = fields.get(key)
        if kind is None:
            raise InputError(
                f"unknown field {key!r}: one of {', '.join(fields)}", location="content"
            )
        if value is None:
            cleaned[key] = [] if kind == TEXTS else None if kind in (NUMBER, FLAG) else ""
        elif kind == TEXT:
            cleaned[key] = _text(value, where, _TEXT_MAX)
        elif kind == TEXTS:
            if not isinstance(value, list) or len(value) > _ITEMS_MAX:
                raise InputError(
                    f"{key} must be a list of at most {_ITEMS_MAX} texts", location=where
                )
            items = [_text(v, f"{where}[{i}]", _ITEM_MAX) for i, v in enumerate(value)]
            cleaned[key] = list(dict.fromkeys(i for i in items if i))
        elif kind == NUMBER:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise InputError(f"{key} must be a number", location=where)
            if not 0 <= value <= 10:  # the only number is a CVSS base score
                raise InputError(f"{key} must be between 0 and 10", location=where)
            cleaned[key] = value
        else:
            if not isinstance(value, bool):
                raise InputError(f"{key} must be true or false", location=where)
            cleaned[key] = value
    if "member_states" in cleaned:
        cleaned["member_states"] = member_states_checked(cleaned["member_states"])
    return cleaned


def member_states_checked(codes: Any) -> list[str]:
    """Return ``codes`` as upper-case EU member state codes, deduplicated, in order; raise
    InputError naming the first that is not one."""
    if not isinstance(codes, list):
        raise InputError("member_states must be a list of ISO codes", location="member_states")
    out = []
    for code in codes:
        value = str(code).strip().upper()
        if value not in EU_MEMBER_STATES:
            raise InputError(
                f"{code!r} is not the ISO 3166-1 code of an EU member state "
                f"({', '.join(EU_MEMBER_STATES)})",
                location="member_states",
            )
        out.append(value)
    return list(dict.fromkeys(out))


def _text(value: Any, where: str, limit: int) -> str:
    if not isinstance(value, str):
        raise InputError(f"{where} must be text", location=where)
    if "\x00" in value:
        raise InputError(f"{where} must not contain the NUL character", location=where)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InputError(f"{where} must be valid Unicode", location=where) from exc
    value = value.strip()
    if len(value) > limit:
        raise InputError(f"{where} is longer than {limit} characters", location=where)
    return value


# -- pre-filling ----------------------------------------------------------------------------------


def cra_draft(event: CraEvent) -> dict[str, Any]:
    """Return the pre-filled draft of a report of ``event``: what vulndesk knows of the product,
    the affected releases and components, the vulnerability (ids, CWE, description, CVSS), its
    exploitation, the corrective measure, the member states and the case."""
    product = event.product
    findings = list(cra_event_findings(event))
    release_versions = {r.version for r in event.releases.all()}
    release_versions.update(f.release.version for f in findings)
    aliases = dict.fromkeys([event.vulnerability_id] if event.vulnerability_id else [])
    for finding in findings:
        aliases.update(dict.fromkeys(finding.aliases))
    worst = max(findings, key=_rating_key, default=None)
    cwes, descriptions = _records_of(event.vulnerability_id) if event.vulnerability_id else ([], [])
    cves = sorted(a for a in aliases if a.startswith("CVE-"))
    cwes = list(dict.fromkeys([*cwes, *_kev_cwes(cves)]))
    case_vulns = list(event.case.vulnerabilities.all()) if event.case_id else []
    for vulnerability in case_vulns:
        if vulnerability.cwe:
            cwes.append(vulnerability.cwe)
        if vulnerability.description:
            descriptions.append(vulnerability.description)
        if vulnerability.cve_id:
            aliases[vulnerability.cve_id] = None
    fixed = sorted({v for f in findings for v in f.fixed_versions})
    measures = event.measure_description
    if event.measure_fix_version:
        measures = (measures + "\n" if measures else "") + (
            f"Fixed in version {event.measure_fix_version}."
        )
    return {
        "product_name": product.name,
        "product_versions": sorted(release_versions),
        "manufacturer": product.organisation.name,
        "affected_versions": sorted(release_versions),
        "affected_components": sorted(
            {f"{f.component_name} {f.component_version}".strip() for f in findings}
        ),
        "vulnerability_ids": list(aliases),
        "cve_ids": sorted({*cves, *(v.cve_id for v in case_vulns if v.cve_id)}),
        "cwe_ids": list(dict.fromkeys(cwes)),
        "description": "\n\n".join(dict.fromkeys(d for d in descriptions if d))
        or (event.title or (worst.summary if worst is not None else "")),
        "exploitation": _exploitation_text(event),
        "severity": worst.severity if worst is not None else "",
        "cvss_score": worst.cvss_score if worst is not None else None,
        "cvss_vector": worst.cvss_vector if worst is not None else "",
        "corrective_measures": measures,
        "mitigating_measures": (
            f"Upgrade the affected components to a fixed version ({', '.join(fixed)})."
            if fixed
            else ""
        ),
        "fix_version": event.measure_fix_version,
        "member_states": list(event.member_states),
        "malicious_actor": "",
        "sensitivity": "",
        "notes": f"Disclosure case {event.case.identifier}." if event.case_id else "",
    }


def nis2_draft(record: Nis2Record) -> dict[str, Any]:
    """Return the pre-filled draft of a report of ``record``: its entity, assessment and
    description."""
    return {
        "entity_name": record.organisation.name,
        "entity_type": record.entity_type,
        "sector": record.sector,
        "title": record.title,
        "description": record.description,
        "vulnerability_ids": [record.vulnerability_id] if record.vulnerability_id else [],
        "impact_confidentiality": record.impact_confidentiality,
        "impact_integrity": record.impact_integrity,
        "impact_availability": record.impact_availability,
        "exploitation": record.exploitation,
        "cross_border": record.cross_border,
        "societal_impact": record.societal_impact,
        "suspected_malicious": record.exploitation == "active",
        "member_states": list(record.member_states),
        "severity_and_impact": record.assessment_reason,
        "indicators_of_compromise": "",
        "root_cause": "",
        "mitigation": "",
        "notes": "",
    }


def _rating_key(finding: Finding) -> tuple[int, float]:
    return SEVERITY_RANK.get(finding.severity, 0), finding.cvss_score or -1.0


def _exploitation_text(event: CraEvent) -> str:
    parts = [str(event.get_trigger_display())]
    if event.evidence_source:
        parts.append(f"source: {event.evidence_source}")
    if event.evidence_reference:
        parts.append(f"reference: {event.evidence_reference}")
    text = "; ".join(parts)
    return f"{text}. {event.evidence_text}".strip() if event.evidence_text else text


def _records_of(group_key: str) -> tuple[list[str], list[str]]:
    """Return the CWE ids and descriptions the stored records of ``group_key`` state (read as
    their stored JSON; a record that does not parse says nothing)."""
    cwes: list[str] = []
    descriptions: list[str] = []
    rows = Advisory.objects.filter(group_key=group_key, withdrawn__isnull=True, rejected=False)
    for raw, summary in rows.values_list("raw", "summary")[:50]:
        if summary:
            descriptions.append(summary)
        try:
            obj = orjson.loads(raw)
        except orjson.JSONDecodeError:
            continue
        if not isinstance(obj, dict):
            continue
        specific = obj.get("database_specific")
        found = specific.get("cwe_ids") if isinstance(specific, dict) else None
        for value in itertools.chain(found or (), obj.get("cwes") or ()):
            if isinstance(value, str) and value.upper().startswith("CWE-"):
                cwes.append(value.upper())
        details = obj.get("details")
        if isinstance(details, str) and details.strip():
            descriptions.append(details.strip())
    return list(dict.fromkeys(cwes)), descriptions


def _kev_cwes(cves: list[str]) -> list[str]:
    found: list[str] = []
    for chunk in itertools.batched(cves, _IN):
        for values in KevEntry.objects.filter(cve_id__in=chunk).values_list("cwes", flat=True):
            found.extend(v for v in values or () if isinstance(v, str))
    return found
