"""Reading priorities: why a finding has its priority, on one screen, and the SLA policies.

:func:`finding_explanation` is what the finding page, ``GET /api/v1/findings/{id}/explanation``
and ``vulndesk priority explain`` show: the SSVC assessment (every input with its source and
detail, the row of every table that fired), the evidence behind it (every CVSS vector with its
rater, every exploitation statement, KEV, EPSS with a recent jump as news), the overrides in
force and before, the product's context, and the SLA that set the due date.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from vulndesk.core.advisories.model import ExploitEvidence
from vulndesk.core.prioritization import SsvcError, assess
from vulndesk.server.accounts.models import Organisation
from vulndesk.server.advisories.models import EpssHistory
from vulndesk.server.advisories.scores import EPSS_JUMP
from vulndesk.server.findings.models import Finding, FindingStatus
from vulndesk.server.triage.evidence import asset_context, group_facts
from vulndesk.server.triage.models import DEFAULT_SLA_DAYS, Priority, SsvcOverride
from vulndesk.server.triage.prioritisation import VEX_SETTLED, active_overrides, sla_days

__all__ = ["EPSS_NEWS_DAYS", "finding_explanation", "sla_policies"]

#: how long after it happened an EPSS jump is shown as news
EPSS_NEWS_DAYS = 30
_HISTORY = 20  # superseded overrides shown


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def finding_explanation(finding: Finding) -> dict[str, Any]:
    """Return why ``finding`` has its priority, as one JSON-ready object (see the module
    docstring). The caller has checked that the user may see the finding."""
    product = finding.product
    key = finding.vulnerability_id
    facts = group_facts([key], with_epss=True)[key]
    evidence = facts.evidence()
    asset = asset_context(product)
    overrides = active_overrides(product.pk, key)
    problem = None
    try:
        assessment = assess(evidence, asset, overrides=overrides)
    except SsvcError as e:  # an override a later rule refuses: shown, and not applied
        problem = f"overrides not applied: {e}"
        assessment = assess(evidence, asset)
    settled = finding.analysis_state in VEX_SETTLED
    days = sla_days([product.organisation_id])[product.organisation_id]
    computed = "" if settled else assessment.outcome
    now = timezone.now()
    return {
        "finding_id": finding.pk,
        "vulnerability_id": key,
        "aliases": list(finding.aliases),
        "product": {"id": product.pk, "name": product.name},
        "priority": finding.priority,
        "priority_computed": computed,
        "due_at": _iso(finding.due_at),
        "overdue": bool(
            finding.due_at is not None
            and finding.due_at < now
            and finding.status == FindingStatus.ACTIVE
        ),
        "analysis_state": finding.analysis_state,
        "vex_settled": settled,
        "problem": problem,
        "assessment": assessment.as_json(),
        "asset": {
            "perspective": asset.perspective,
            "system_exposure": asset.system_exposure,
            "mission_impact": asset.mission_impact,
            "safety_impact": asset.safety_impact,
            "value_density": asset.value_density,
        },
        "evidence": {
            "records": facts.records,
            "cves": sorted(facts.cves),
            "cvss": [{"source": s, "vector": v} for s, v in evidence.cvss_vectors],
            "displayed_cvss": {"score": finding.cvss_score, "vector": finding.cvss_vector},
            "exploitation": [_exploit_json(e) for e in evidence.exploitation],
            "kev": [
                {
                    "cve_id": e.cve_id,
                    "name": e.name,
                    "date_added": _iso(e.date_added),
                    "due_date": _iso(e.due_date),
                    "ransomware_known": e.ransomware_known,
                    "required_action": e.required_action,
                }
                for e in facts.kev
            ],
            "epss": [
                {
                    "cve_id": s.cve_id,
                    "epss": s.epss,
                    "percentile": s.percentile,
                    "score_date": _iso(s.score_date),
                }
                for s in sorted(facts.epss, key=lambda s: (-s.epss, s.cve_id))
            ],
            "epss_jump": _epss_jump(sorted(facts.cves)),
            "vulnrichment": (
                {"source": facts.vulnrichment_source, "options": facts.vulnrichment}
                if facts.vulnrichment
                else None
            ),
        },
        "overrides": [
            {"point": point, **override.as_json()} for point, override in overrides.items()
        ],
        "override_history": _override_history(product.pk, key),
        "sla": {
            "organisation": product.organisation.name,
            "days": days.get(computed) if computed else None,
            "policy": days,
            "first_seen": _iso(finding.first_seen),
            "due_at": _iso(finding.due_at),
        },
    }


def _exploit_json(item: ExploitEvidence) -> dict[str, Any]:
    return {
        "kind": item.kind,
        "source": item.source,
        "date": _iso(item.date),
        "detail": item.detail,
        "due_date": _iso(item.due_date),
        "ransomware": item.ransomware,
    }


def _epss_jump(cves: list[str]) -> dict[str, Any] | None:
    """Return the largest recent EPSS rise of ``cves`` (EPSS_JUMP or more between two recorded
    scores, the later within EPSS_NEWS_DAYS of the latest score), else None."""
    if not cves:
        return None
    rows = EpssHistory.objects.filter(cve_id__in=cves).order_by("cve_id", "-score_date")
    latest: dict[str, list[EpssHistory]] = {}
    for row in rows:
        kept = latest.setdefault(row.cve_id, [])
        if len(kept) < 2:
            kept.append(row)
    newest = max((rows[0].score_date for rows in latest.values()), default=None)
    best = None
    for cve, (after, *rest) in latest.items():
        if not rest or newest is None:
            continue
        before = rest[0]
        rise = after.epss - before.epss
        recent = after.score_date >= newest - timedelta(days=EPSS_NEWS_DAYS)
        if rise >= EPSS_JUMP - 1e-12 and recent and (best is None or rise > best["rise"]):
            best = {
                "cve_id": cve,
                "from": before.epss,
                "from_date": _iso(before.score_date),
                "to": after.epss,
                "to_date": _iso(after.score_date),
                "percentile": after.percentile,
                "rise": rise,
            }
    return best


def _override_history(product_id: int, key: str) -> list[dict[str, Any]]:
    rows = SsvcOverride.objects.filter(
        product_id=product_id, vulnerability_id=key, superseded_at__isnull=False
    ).order_by("-superseded_at", "-id")[:_HISTORY]
    return [
        {
            "point": o.point,
            "value": o.value,
            "reason": o.reason,
            "author": o.author_label,
            "at": _iso(o.created_at),
            "superseded_at": _iso(o.superseded_at),
        }
        for o in rows
    ]


def sla_policies(organisations: QuerySet[Organisation]) -> list[dict[str, Any]]:
    """Return each organisation's days per priority, most urgent first, saying which are the
    defaults (no policy set)."""
    out = []
    for organisation in organisations.order_by("name"):
        days = sla_days([organisation.pk])[organisation.pk]
        explicit = set(organisation.sla_policies.values_list("priority", flat=True))
        out.append(
            {
                "organisation_id": organisation.pk,
                "organisation": organisation.name,
                "policies": [
                    {
                        "priority": p.value,
                        "days": days[p.value],
                        "default": p.value not in explicit,
                        "default_days": DEFAULT_SLA_DAYS[p.value],
                    }
                    for p in Priority
                ],
            }
        )
    return out
