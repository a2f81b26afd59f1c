"""Where CRA events come from: exploitation evidence on findings, a disclosure case's attacks,
a person's assertion, and the fixes that start the final report's clock.

- :func:`cra_events_detect` runs at the end of every ``triage.prioritisation.priorities_refresh``
  (the one place a finding's ``exploitation`` changes: KEV, EUVD, CSAF and Vulnrichment
  evidence, overrides) for the refreshed findings. One SELECT finds the active findings whose
  exploitation is ``active`` in products placed on the EU market and whose (product,
  vulnerability) has no event yet; nothing else is read unless it finds some, so a refresh of a
  million findings pays one query. A proof of concept is ``public poc``, not ``active``: it
  opens nothing (reference/disclosure.md: "a proof of concept alone does not").
- :func:`cra_events_from_case` runs when a case records attacks observed
  (``disclosure.embargo.case_flag_set``): an event per EU-market product of the case's releases.
- :func:`exploitation_assert`: a person states, with evidence, that a finding's vulnerability is
  exploited; the SSVC exploitation point follows (an override with the evidence as reason).
- :func:`cra_measures_from_remediation` runs when a remediation item becomes ``fixed``
  (``triage.remediation.remediation_transition``): the events of its findings' vulnerabilities
  get the fix as corrective measure unless they have one, which starts the final clock.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from vulndesk.core.errors import InputError
from vulndesk.core.prioritization import exploitation_of
from vulndesk.server.compliance.models import CraEvent, EventState, Regime, Trigger
from vulndesk.server.compliance.services import cra_event_measure_set, cra_event_open
from vulndesk.server.findings.models import Finding, FindingStatus
from vulndesk.server.inventory.models import Product, Release, Role

__all__ = [
    "cra_events_detect",
    "cra_events_from_case",
    "cra_measures_from_remediation",
    "exploitation_assert",
]

#: VEX states under which the release is not affected: nothing to report for it
_NOT_AFFECTED = ("not_affected", "fixed")

#: prioritisation's source of an active Exploitation point -> the event's trigger
_TRIGGERS = {
    "kev": Trigger.KEV,
    "euvd": Trigger.EUVD,
    "csaf": Trigger.CSAF_THREAT,
    "person": Trigger.ASSERTION,
}


def cra_events_detect(
    findings: QuerySet[Finding] | None = None, now: datetime | None = None
) -> list[CraEvent]:
    """Open a CRA event for each (product, vulnerability) among ``findings`` (default: all)
    that is actively exploited in a product placed on the EU market and has no event yet;
    return the events opened, ``aware_at`` = ``now`` (default: the current time).

    One query when there is nothing to open (module docstring)."""
    scope = findings if findings is not None else Finding.objects.all()
    if scope.query.is_sliced:
        scope = Finding.objects.filter(id__in=scope.values("id"))
    known = CraEvent.objects.filter(
        product_id=OuterRef("product_id"),
        vulnerability_id=OuterRef("vulnerability_id"),
        regime=Regime.CRA_VULNERABILITY,
    )
    rows = (
        scope.filter(exploitation="active", status=FindingStatus.ACTIVE, product__eu_market=True)
        .exclude(analysis_state__in=_NOT_AFFECTED)
        .filter(~Exists(known))
        .order_by()
        .values_list("product_id", "vulnerability_id", "release_id")
        .distinct()
    )
    pairs: dict[tuple[int, str], set[int]] = defaultdict(set)
    for product_id, vulnerability_id, release_id in rows:
        pairs[(product_id, vulnerability_id)].add(release_id)
    if not pairs:
        return []
    return _open_detected(pairs, now or timezone.now())


def _open_detected(pairs: dict[tuple[int, str], set[int]], now: datetime) -> list[CraEvent]:
    from vulndesk.server.triage.evidence import group_facts
    from vulndesk.server.triage.prioritisation import active_overrides

    facts = group_facts({key for _, key in pairs})
    products = Product.objects.in_bulk({product_id for product_id, _ in pairs})
    releases = Release.objects.in_bulk({r for ids in pairs.values() for r in ids})
    opened = []
    for (product_id, key), release_ids in sorted(pairs.items()):
        point = exploitation_of(facts[key].evidence())
        if point.value == "active":
            trigger = _TRIGGERS.get(point.source, Trigger.OTHER_EVIDENCE)
            source, text = _source_label(point.source, facts[key]), point.detail
            reference = _reference(point.source, facts[key])
        elif override := active_overrides(product_id, key).get("exploitation"):
            trigger = Trigger.ASSERTION  # a person's override made it active
            source, text, reference = f"SSVC override by {override.author}", override.reason, ""
        else:  # the finding says active, the stored evidence no longer does
            trigger, source, reference = Trigger.OTHER_EVIDENCE, "finding exploitation", ""
            text = point.detail
        try:
            with transaction.atomic():
                event = cra_event_open(
                    product=products[product_id],
                    vulnerability_id=key,
                    trigger=trigger,
                    evidence_source=source,
                    evidence_reference=reference,
                    evidence_text=text or "exploitation evidence",
                    aware_at=now,
                    releases=[releases[r] for r in sorted(release_ids) if r in releases],
                    actor_label="vulndesk",
                )
        except (IntegrityError, InputError):
            continue  # another process opened it meanwhile
        opened.append(event)
    return opened


def _source_label(source: str, facts: Any) -> str:
    if source == "kev":
        return "CISA KEV"
    return {"euvd": "ENISA EUVD", "csaf": "CSAF advisory", "vulnrichment": "CISA Vulnrichment"}.get(
        source, source
    )


def _reference(source: str, facts: Any) -> str:
    if source == "kev" and facts.kev:
        entry = facts.kev[0]
        return f"{entry.cve_id} (added {entry.date_added.isoformat()})"
    return ", ".join(facts.records[:5])


@transaction.atomic
def cra_events_from_case(case: Any, *, now: datetime | None = None) -> list[CraEvent]:
    """Open a CRA event (trigger: attacks observed in the case) for each EU-market product
    among the releases of ``case`` and each vulnerability of the case, unless one exists (the
    case's releases are then added to it); return the events opened. ``aware_at`` is when the
    case recorded the attacks."""
    from vulndesk.server.disclosure.models import CaseRelease

    aware_at = case.attacks_observed_at or now or timezone.now()
    rows = CaseRelease.objects.filter(case=case, release__product__eu_market=True).select_related(
        "release__product", "vulnerability"
    )
    every = [v.cve_id or case.identifier for v in case.vulnerabilities.all()] or [case.identifier]
    wanted: dict[tuple[int, str], list[Release]] = defaultdict(list)
    products: dict[int, Product] = {}
    for row in rows:
        names = (
            [row.vulnerability.cve_id or case.identifier]
            if row.vulnerability is not None
            else every
        )
        products[row.release.product_id] = row.release.product
        for name in dict.fromkeys(names):
            wanted[(row.release.product_id, name)].append(row.release)
    opened = []
    for (product_id, name), releases in sorted(wanted.items(), key=lambda item: item[0]):
        existing = CraEvent.objects.filter(
            product_id=product_id, vulnerability_id=name, regime=Regime.CRA_VULNERABILITY
        ).first()
        if existing is not None:
            existing.releases.add(*releases)
            if existing.case_id is None:
                CraEvent.objects.filter(pk=existing.pk).update(case=case)
            continue
        opened.append(
            cra_event_open(
                product=products[product_id],
                vulnerability_id=name,
                trigger=Trigger.CASE_ATTACKS,
                evidence_source=f"disclosure case {case.identifier}",
                evidence_reference=case.identifier,
                evidence_text="attacks observed, recorded in the disclosure case",
                aware_at=aware_at,
                releases=releases,
                case=case,
                actor_label="vulndesk",
            )
        )
    return opened


@transaction.atomic
def exploitation_assert(
    *,
    finding: Finding,
    evidence: str,
    reference: str = "",
    acting_user: Any,
    actor_label: str = "",
    now: datetime | None = None,
) -> CraEvent | None:
    """Record a person's assertion, with ``evidence``, that ``finding``'s vulnerability is
    actively exploited; return the CRA event it opens (None when the product is not placed on
    the EU market, or the event existed: the evidence is then only the SSVC override).

    Needs the editor role; the SSVC exploitation point of the (product, vulnerability) becomes
    ``active`` with the evidence as the override's reason (``triage.overrides``)."""
    from vulndesk.server.accounts.permissions import has_role
    from vulndesk.server.triage.overrides import ssvc_override_set

    product = finding.product
    if acting_user is not None and not has_role(acting_user, product, Role.EDITOR):
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied(f"asserting exploitation needs the editor role on {product.name}")
    evidence = evidence.strip()
    if not evidence:
        raise InputError("asserting exploitation needs the evidence", location="evidence")
    event = None
    exists = CraEvent.objects.filter(
        product=product, vulnerability_id=finding.vulnerability_id, regime=Regime.CRA_VULNERABILITY
    ).exists()
    if product.eu_market and not exists:
        who = acting_user.get_username() if acting_user is not None else actor_label or "system"
        event = cra_event_open(
            product=product,
            vulnerability_id=finding.vulnerability_id,
            trigger=Trigger.ASSERTION,
            evidence_source=f"assertion by {who}",
            evidence_reference=reference.strip()[:1000],
            evidence_text=evidence,
            aware_at=now or timezone.now(),
            releases=[finding.release],
            acting_user=acting_user,
            actor_label=actor_label,
        )
    ssvc_override_set(
        product=product,
        vulnerability_id=finding.vulnerability_id,
        point="exploitation",
        value="active",
        reason=evidence[:2000],
        acting_user=acting_user,
        actor_label=actor_label,
    )
    return event


def cra_measures_from_remediation(
    *, item: Any, acting_user: Any = None, actor_label: str = "", now: datetime | None = None
) -> list[CraEvent]:
    """Record the fix of a remediation item that became ``fixed`` as the corrective measure of
    the CRA events of its findings' vulnerabilities that have none yet (not dismissed); return
    those events. Their final report's clock starts at ``now``."""
    release = item.release
    keys = set(
        Finding.objects.filter(release=release, component_id=item.component_id).values_list(
            "vulnerability_id", flat=True
        )
    )
    if not keys:
        return []
    events = CraEvent.objects.filter(
        product_id=release.product_id,
        vulnerability_id__in=sorted(keys),
        regime=Regime.CRA_VULNERABILITY,
        measure_available_at__isnull=True,
    ).exclude(state=EventState.DISMISSED)
    component = item.component
    target = item.target_version or ""
    changed = []
    for event in events:
        changed.append(
            cra_event_measure_set(
                event=event,
                fix_version=f"{component.name} {target}".strip() if target else component.name,
                description=(
                    f"{component.name} {component.version} in {release.product.name} "
                    f"{release.version} fixed"
                    + (f" (upgrade to {target})" if target else "")
                    + (f": {item.note}" if item.note else "")
                ),
                available_at=now or item.updated_at or timezone.now(),
                acting_user=None,
                actor_label=actor_label or _label(acting_user),
            )
        )
    return changed


def _label(acting_user: Any) -> str:
    if acting_user is not None and getattr(acting_user, "is_authenticated", False):
        return f"remediation by {acting_user.get_username()}"
    return "remediation"
