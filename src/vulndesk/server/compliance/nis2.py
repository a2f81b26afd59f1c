"""NIS2 records: incidents and significant vulnerabilities of essential and important entities.

"Significant" is a risk judgement (reference/disclosure.md: impact on confidentiality,
integrity, availability of the service; exploitation; cross-border and societal impact), made
here by :func:`significance` and stored with the reason it gives:

- a high impact on confidentiality, integrity or availability, or a high societal impact, is
  significant on its own;
- so is active exploitation with any impact, or a cross-border impact with any impact;
- otherwise it is not (a person changes the assessment to change the outcome).

A significant **incident** has the three NIS2 reports (early warning 24 h, notification 72 h,
final report one month after the notification: ``core.regulation.clocks``), created when it
first becomes significant and kept if a later assessment says otherwise (then no reminder goes
out). A vulnerability record carries the assessment without clocks: NIS2 sets none for it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from vulndesk.core.errors import InputError
from vulndesk.server.accounts.models import Organisation
from vulndesk.server.accounts.permissions import has_role
from vulndesk.server.audit.services import audit_record
from vulndesk.server.compliance.drafts import member_states_checked
from vulndesk.server.compliance.models import (
    EntityType,
    Exploitation,
    Impact,
    Nis2Kind,
    Nis2Record,
)
from vulndesk.server.compliance.services import moment_checked, reports_sync
from vulndesk.server.inventory.models import Product, Role

__all__ = ["ASSESSMENT_FIELDS", "nis2_record_assess", "nis2_record_create", "significance"]

#: the fields of the risk assessment, and their choices (None: yes/no)
ASSESSMENT_FIELDS: Final[dict[str, tuple[str, ...] | None]] = {
    "impact_confidentiality": tuple(Impact.values),
    "impact_integrity": tuple(Impact.values),
    "impact_availability": tuple(Impact.values),
    "exploitation": tuple(Exploitation.values),
    "cross_border": None,
    "societal_impact": tuple(Impact.values),
}


def significance(
    *,
    impact_confidentiality: str,
    impact_integrity: str,
    impact_availability: str,
    exploitation: str,
    cross_border: bool,
    societal_impact: str,
) -> tuple[bool, str]:
    """Return whether an assessment is significant, and why (module docstring)."""
    impacts = {
        "confidentiality": impact_confidentiality,
        "integrity": impact_integrity,
        "availability": impact_availability,
    }
    high = [name for name, level in impacts.items() if level == Impact.HIGH]
    if high:
        return True, f"high impact on {', '.join(high)}"
    if societal_impact == Impact.HIGH:
        return True, "high societal impact"
    some = [name for name, level in impacts.items() if level != Impact.NONE]
    if some and exploitation == Exploitation.ACTIVE:
        return True, f"actively exploited, with impact on {', '.join(some)}"
    if some and cross_border:
        return True, f"cross-border, with impact on {', '.join(some)}"
    return False, "no high impact, no active exploitation or cross-border effect with impact"


def _check(user: Any, product: Product | None, organisation: Organisation) -> None:
    if user is None:
        return
    if product is not None:
        if not has_role(user, product, Role.EDITOR):
            raise PermissionDenied(f"NIS2 records of {product.name} need the editor role")
    elif not user.is_superuser:
        raise PermissionDenied("a NIS2 record without a product needs an administrator")


def _assessment(values: dict[str, Any]) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    for name, choices in ASSESSMENT_FIELDS.items():
        if name not in values or values[name] is None:
            continue
        value = values[name]
        if choices is None:
            if not isinstance(value, bool):
                raise InputError(f"{name} must be true or false", location=name)
        elif str(value) not in choices:
            raise InputError(f"{name} must be one of {', '.join(choices)}", location=name)
        cleaned[name] = value if choices is None else str(value)
    return cleaned


@transaction.atomic
def nis2_record_create(
    *,
    organisation: Organisation,
    kind: str = Nis2Kind.INCIDENT,
    entity_type: str,
    sector: str,
    title: str,
    description: str = "",
    product: Product | None = None,
    vulnerability_id: str = "",
    aware_at: datetime | None = None,
    member_states: list[str] | None = None,
    assessment: dict[str, Any] | None = None,
    acting_user: Any,
    actor_label: str = "",
) -> Nis2Record:
    """Record a NIS2 incident or significant vulnerability of ``organisation`` (aware at
    ``aware_at``, default now) with its risk assessment and return it; a significant incident
    gets its three reports. Needs the editor role on ``product`` (no product: a superuser)."""
    _check(acting_user, product, organisation)
    if product is not None and product.organisation_id != organisation.pk:
        raise InputError(f"{product.name} is not a product of {organisation.name}")
    if str(kind) not in Nis2Kind.values:
        raise InputError(f"kind must be one of {', '.join(Nis2Kind.values)}", location="kind")
    if str(entity_type) not in EntityType.values:
        raise InputError(
            f"entity_type must be one of {', '.join(EntityType.values)}", location="entity_type"
        )
    if not title.strip() or not sector.strip():
        raise InputError("a NIS2 record needs a title and a sector")
    moment = moment_checked(aware_at, "aware_at")
    record = Nis2Record(
        organisation=organisation,
        product=product,
        kind=str(kind),
        entity_type=str(entity_type),
        sector=sector.strip()[:200],
        title=title.strip()[:300],
        description=description.strip(),
        vulnerability_id=vulnerability_id.strip()[:255],
        aware_at=moment,
        member_states=member_states_checked(member_states or []),
        created_by=acting_user if getattr(acting_user, "is_authenticated", False) else None,
    )
    for name, value in _assessment(assessment or {}).items():
        setattr(record, name, value)
    record.significant, record.assessment_reason = _significance_of(record)
    record.save()
    if record.significant and record.kind == Nis2Kind.INCIDENT:
        reports_sync(record)
    audit_record(
        action="compliance.nis2.create",
        object_type="compliance.nis2",
        object_id=str(record.pk),
        data={"kind": record.kind, "significant": record.significant, **_values(record)},
        acting_user=acting_user,
        actor_label=actor_label,
    )
    return record


@transaction.atomic
def nis2_record_assess(
    *,
    record: Nis2Record,
    assessment: dict[str, Any],
    description: str | None = None,
    member_states: list[str] | None = None,
    acting_user: Any,
    actor_label: str = "",
) -> Nis2Record:
    """Change the risk assessment (some of ``ASSESSMENT_FIELDS``), description or member
    states of ``record`` and return it; the significance is decided again (a first
    significant incident gets its reports). Audited with the values before and after."""
    _check(acting_user, record.product, record.organisation)
    record = Nis2Record.objects.select_for_update().get(pk=record.pk)
    before = {**_values(record), "significant": record.significant}
    for name, value in _assessment(assessment).items():
        setattr(record, name, value)
    if description is not None:
        record.description = description.strip()
    if member_states is not None:
        record.member_states = member_states_checked(member_states)
    record.significant, record.assessment_reason = _significance_of(record)
    record.updated_at = timezone.now()
    record.save()
    if record.significant and record.kind == Nis2Kind.INCIDENT:
        reports_sync(record)
    audit_record(
        action="compliance.nis2.assess",
        object_type="compliance.nis2",
        object_id=str(record.pk),
        data={"before": before, "after": {**_values(record), "significant": record.significant}},
        acting_user=acting_user,
        actor_label=actor_label,
    )
    return record


def _significance_of(record: Nis2Record) -> tuple[bool, str]:
    return significance(**{name: getattr(record, name) for name in ASSESSMENT_FIELDS})


def _values(record: Nis2Record) -> dict[str, Any]:
    return {name: getattr(record, name) for name in ASSESSMENT_FIELDS}
