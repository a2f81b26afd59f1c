"""Writing what people decide about priorities: SSVC overrides and SLA policies.

Each service writes its audit row in the same transaction and recomputes the priorities it
affects (``prioritisation.priorities_refresh``) before returning, so a page reloaded after the
change shows its effect. Overrides are never edited: setting a point again supersedes the
override in force (``superseded_at``), and clearing supersedes it without a successor, so the
rows are the history.

Who may: overriding needs the editor role on the product (the callers check, as for every
product change). An SLA policy changes the due dates of every product of an organisation, and
vulndesk has no organisation administrator role yet, so it needs a superuser
(:func:`may_set_sla`), as organisations and webhooks do (Django admin).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from vulndesk.core.errors import InputError
from vulndesk.core.prioritization import POINT_NAMES, SsvcError, canonical_value
from vulndesk.server.accounts.models import Organisation
from vulndesk.server.audit.services import audit_record
from vulndesk.server.findings.models import Finding
from vulndesk.server.inventory.models import Product
from vulndesk.server.triage.models import Priority, SlaPolicy, SsvcOverride
from vulndesk.server.triage.prioritisation import priorities_refresh

__all__ = [
    "MAX_SLA_DAYS",
    "OVERRIDABLE_POINTS",
    "may_set_sla",
    "sla_policy_set",
    "ssvc_override_clear",
    "ssvc_override_set",
]

#: the points a person may override: the inputs of the deployer and supplier tables and of the
#: tables they are derived from (a coordinator's points do not set a finding's priority)
OVERRIDABLE_POINTS = (
    "exploitation", "automatable", "technical_impact", "system_exposure", "human_impact",
    "mission_impact", "safety_impact", "value_density", "utility", "public_safety_impact",
)  # fmt: skip

#: the longest SLA anyone sets (ten years): anything longer is a typo, not a policy
MAX_SLA_DAYS = 3650

_REASON_MAX = 2000


def _findings_of(product: Product, vulnerability_id: str) -> Any:
    return Finding.objects.filter(product=product, vulnerability_id=vulnerability_id)


@transaction.atomic
def ssvc_override_set(
    *,
    product: Product,
    vulnerability_id: str,
    point: str,
    value: str,
    reason: str,
    acting_user: Any,
    actor_label: str = "",
) -> SsvcOverride:
    """Set a person's value of one SSVC point for a vulnerability of a product; return it.

    Supersedes the override of that point in force, audits the change and recomputes the
    findings' priorities. Raise InputError for a point that cannot be overridden, a value the
    point does not have, an empty reason, or a vulnerability the product has no finding of.
    """
    if point not in OVERRIDABLE_POINTS:
        raise InputError(
            f"cannot override {point!r}: one of {', '.join(OVERRIDABLE_POINTS)}",
            location="point",
        )
    try:
        value = canonical_value(point, value)
    except SsvcError as e:
        raise InputError(str(e), location="value") from e
    reason = reason.strip()
    if not reason:
        raise InputError(f"overriding {POINT_NAMES[point]} needs a reason", location="reason")
    if len(reason) > _REASON_MAX:
        raise InputError(f"the reason is longer than {_REASON_MAX} characters", location="reason")
    if not _findings_of(product, vulnerability_id).exists():
        raise InputError(f"{product.name} has no finding of {vulnerability_id}")
    now = timezone.now()
    previous = SsvcOverride.objects.select_for_update().filter(
        product=product, vulnerability_id=vulnerability_id, point=point, superseded_at__isnull=True
    )
    superseded = [{"id": o.pk, "value": o.value} for o in previous]
    previous.update(superseded_at=now)
    author = actor_label or (acting_user.get_username() if acting_user is not None else "system")
    override = SsvcOverride.objects.create(
        product=product,
        vulnerability_id=vulnerability_id,
        point=point,
        value=value,
        reason=reason,
        author=acting_user if acting_user is not None and acting_user.is_authenticated else None,
        author_label=author,
        created_at=now,
    )
    changed = priorities_refresh(_findings_of(product, vulnerability_id))
    audit_record(
        action="ssvc_override.set",
        object_type="ssvc_override",
        object_id=str(override.pk),
        data={
            "product": product.pk,
            "vulnerability_id": vulnerability_id,
            "point": point,
            "value": value,
            "reason": reason,
            "superseded": superseded,
            "findings_changed": changed,
        },
        acting_user=acting_user,
        actor_label=actor_label,
    )
    return override


@transaction.atomic
def ssvc_override_clear(
    *,
    product: Product,
    vulnerability_id: str,
    point: str | None = None,
    acting_user: Any,
    actor_label: str = "",
) -> int:
    """End the override of ``point`` (every point when None) for a vulnerability of a product,
    so the automatic value applies again; return how many overrides ended (0: none was set).

    Audited when something ended; the findings' priorities are recomputed.
    """
    active = SsvcOverride.objects.select_for_update().filter(
        product=product, vulnerability_id=vulnerability_id, superseded_at__isnull=True
    )
    if point is not None:
        active = active.filter(point=point)
    ended = [{"id": o.pk, "point": o.point, "value": o.value} for o in active]
    if not ended:
        return 0
    active.update(superseded_at=timezone.now())
    changed = priorities_refresh(_findings_of(product, vulnerability_id))
    audit_record(
        action="ssvc_override.clear",
        object_type="ssvc_override",
        object_id=",".join(str(o["id"]) for o in ended),
        data={
            "product": product.pk,
            "vulnerability_id": vulnerability_id,
            "ended": ended,
            "findings_changed": changed,
        },
        acting_user=acting_user,
        actor_label=actor_label,
    )
    return len(ended)


def may_set_sla(user: Any) -> bool:
    """Return whether ``user`` may change SLA policies (see the module docstring)."""
    return bool(user.is_authenticated and user.is_active and user.is_superuser)


@transaction.atomic
def sla_policy_set(
    *,
    organisation: Organisation,
    priority: str,
    days: int | None,
    acting_user: Any,
    actor_label: str = "",
) -> SlaPolicy:
    """Set how many days ``organisation`` allows for findings of ``priority`` (None: no due
    date); return the policy. Audited; the due dates of the organisation's findings are
    recomputed. Raise InputError for an unknown priority or days outside 0..MAX_SLA_DAYS."""
    if priority not in Priority.values:
        raise InputError(
            f"unknown priority {priority!r}: one of {', '.join(Priority.values)}",
            location="priority",
        )
    if days is not None and not 0 <= days <= MAX_SLA_DAYS:
        raise InputError(f"days must be 0 to {MAX_SLA_DAYS}, not {days}", location="days")
    policy = (
        SlaPolicy.objects.select_for_update()
        .filter(organisation=organisation, priority=priority)
        .first()
    )
    before = policy.days if policy is not None else "default"
    if policy is None:
        policy = SlaPolicy.objects.create(organisation=organisation, priority=priority, days=days)
    elif policy.days != days:
        policy.days = days
        policy.save(update_fields=["days"])
    else:
        return policy
    changed = priorities_refresh(Finding.objects.filter(product__organisation=organisation))
    audit_record(
        action="sla_policy.set",
        object_type="sla_policy",
        object_id=str(policy.pk),
        data={
            "organisation": organisation.name,
            "priority": priority,
            "days": days,
            "before": before,
            "findings_changed": changed,
        },
        acting_user=acting_user,
        actor_label=actor_label,
    )
    return policy
