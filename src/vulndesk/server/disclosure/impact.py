"""SBOM-driven impact: which releases of an organisation's own products a case vulnerability
affects, and adding them to the case.

A case vulnerability names a package (``component_purl``, a purl without version) and the
affected versions (``affected_range``, a ``vers:`` range). :func:`affected_releases` reads the
active components of the organisation's releases filed under that package
(``ComponentIdentity.package``, the canonical purl without version, indexed) and decides each
component's version with ``core.vex.apply.range_covers``. A version the range cannot decide (an
unknown scheme, a version that does not parse in it) is listed as undecided with the reason,
never guessed either way; so is every component when the vulnerability has no range yet.

Releases are inventory, guarded by product grants: a user sees (and adds) only releases of
products they may see (``accounts.permissions``), whatever their role in the case; a release
they may not see is a 404.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404

from vulndesk.core.errors import InputError
from vulndesk.core.vex.apply import range_covers
from vulndesk.server.accounts.models import Organisation
from vulndesk.server.accounts.permissions import product_role, restrict_to_visible
from vulndesk.server.audit.services import audit_record
from vulndesk.server.disclosure.models import (
    CaseRelease,
    CaseVulnerability,
    Participant,
    ParticipantRole,
)
from vulndesk.server.disclosure.selectors import CaseNotFound
from vulndesk.server.inventory.models import Component, Release

__all__ = [
    "AffectedRelease",
    "Impact",
    "UndecidedComponent",
    "affected_releases",
    "case_release_add",
    "case_release_remove",
    "case_releases_add_affected",
]

#: the roles that may read the inventory's impact and add releases to a case
_INVENTORY_ROLES = (ParticipantRole.COORDINATOR, ParticipantRole.VENDOR)


@dataclass(frozen=True, slots=True)
class AffectedRelease:
    """A release with components of the package at versions inside the range."""

    release: Release
    components: tuple[Component, ...]


@dataclass(frozen=True, slots=True)
class UndecidedComponent:
    """A component of the package whose version the range cannot decide, and why."""

    release: Release
    component: Component
    reason: str


@dataclass(frozen=True, slots=True)
class Impact:
    """What :func:`affected_releases` found: releases affected, components undecided."""

    package: str
    affected_range: str
    affected: tuple[AffectedRelease, ...]
    undecided: tuple[UndecidedComponent, ...]


def affected_releases(
    vulnerability: CaseVulnerability, organisation: Organisation, *, user: Any = None
) -> Impact:
    """Return the releases of ``organisation``'s products whose active components include
    ``vulnerability``'s package at a version inside its affected range, and the components
    whose version the range cannot decide; only products ``user`` may see when a user is
    given (None: the command line or a job, every product). Releases come by product name and
    version; InputError when the vulnerability names no package."""
    package = vulnerability.component_purl
    if not package:
        raise InputError(
            f"vulnerability {vulnerability} names no package (component_purl): nothing to look up"
        )
    components = Component.objects.filter(
        identity__package=package,
        active=True,
        release__product__organisation=organisation,
    ).select_related("release", "release__product")
    if user is not None:
        components = restrict_to_visible(components, user, "release__product_id")
    affected: dict[int, list[Component]] = defaultdict(list)
    releases: dict[int, Release] = {}
    undecided: list[UndecidedComponent] = []
    text = vulnerability.affected_range
    for component in components.order_by("release__product__name", "release__version", "id"):
        releases[component.release_id] = component.release
        if not text:
            reason = "the vulnerability has no affected range yet"
            undecided.append(UndecidedComponent(component.release, component, reason))
            continue
        verdict = range_covers(text, component.version) if component.version else None
        if verdict is None:
            reason = (
                f"{text} cannot decide version {component.version!r}"
                if component.version
                else "the component has no version"
            )
            undecided.append(UndecidedComponent(component.release, component, reason))
        elif verdict:
            affected[component.release_id].append(component)
    return Impact(
        package=package,
        affected_range=text,
        affected=tuple(
            AffectedRelease(releases[release_id], tuple(found))
            for release_id, found in affected.items()
        ),
        undecided=tuple(undecided),
    )


@transaction.atomic
def case_release_add(
    *, actor: Participant, release: Release, vulnerability: CaseVulnerability | None = None
) -> CaseRelease:
    """Add ``release`` (of the case organisation's products, one ``actor``'s user may see,
    else 404) to ``actor``'s case and return the row; coordinators and vendors. Adding it
    again returns the existing row."""
    _require_inventory(actor)
    if vulnerability is not None and vulnerability.case_id != actor.case_id:
        raise CaseNotFound("no such vulnerability in this case")
    _check_release(actor, release)
    row, created = CaseRelease.objects.get_or_create(
        case_id=actor.case_id,
        release=release,
        defaults={"vulnerability": vulnerability, "added_by": actor},
    )
    if created:
        _audit(actor, "case.release_add", row)
    return row


@transaction.atomic
def case_releases_add_affected(
    *, actor: Participant, vulnerability: CaseVulnerability
) -> tuple[list[CaseRelease], Impact]:
    """Add every release :func:`affected_releases` finds for ``vulnerability`` (among those
    ``actor``'s user may see) to the case in one call; return the rows added now (releases
    already in the case are left as they are) and the impact, whose undecided components are
    for a person to judge."""
    _require_inventory(actor)
    if vulnerability.case_id != actor.case_id:
        raise CaseNotFound("no such vulnerability in this case")
    case = actor.case
    if case.closed_at is not None:
        raise InputError(f"case {case.identifier} is closed")
    impact = affected_releases(vulnerability, case.organisation, user=actor.user)
    present = set(
        CaseRelease.objects.filter(case_id=actor.case_id).values_list("release_id", flat=True)
    )
    added = []
    for found in impact.affected:
        if found.release.pk in present:
            continue
        row = CaseRelease.objects.create(
            case_id=actor.case_id,
            release=found.release,
            vulnerability=vulnerability,
            added_by=actor,
        )
        _audit(actor, "case.release_add", row)
        added.append(row)
    return added, impact


@transaction.atomic
def case_release_remove(*, actor: Participant, case_release: CaseRelease) -> None:
    """Take a release out of ``actor``'s case (coordinators and vendors who may see it)."""
    _require_inventory(actor)
    if case_release.case_id != actor.case_id:
        raise CaseNotFound("no such release in this case")
    _check_release(actor, case_release.release)
    _audit(actor, "case.release_remove", case_release)
    case_release.delete()


def _require_inventory(actor: Participant) -> None:
    if actor.role not in _INVENTORY_ROLES or actor.user is None:
        raise PermissionDenied("releases are added by the case's coordinators and vendors")


def _check_release(actor: Participant, release: Release) -> None:
    """Raise Http404 unless ``release`` is of the case organisation's products and visible to
    ``actor``'s user; InputError when the case is closed."""
    case = actor.case
    if case.closed_at is not None:
        raise InputError(f"case {case.identifier} is closed")
    product = release.product
    if product.organisation_id != case.organisation_id or product_role(actor.user, product) is None:
        raise Http404("no such release")


def _audit(actor: Participant, action: str, row: CaseRelease) -> None:
    audit_record(
        action=action,
        object_type="disclosure.case",
        object_id=str(row.case_id),
        data={
            "release_id": row.release_id,
            "vulnerability": row.vulnerability_id,
        },
        acting_user=actor.user,
    )
