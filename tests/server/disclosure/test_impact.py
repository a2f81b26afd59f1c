"""SBOM-driven impact: the organisation's releases whose analysed SBOMs contain the case
vulnerability's package at a version in its range; undecidable versions reported, not guessed;
other organisations' and invisible products left out."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from server.disclosure.disclosure_world import CaseWorld, release_with
from vulndesk.core.errors import InputError
from vulndesk.server.accounts.models import Organisation
from vulndesk.server.accounts.services import team_create
from vulndesk.server.audit.models import AuditEvent
from vulndesk.server.disclosure import services
from vulndesk.server.disclosure.impact import (
    affected_releases,
    case_release_add,
    case_release_remove,
    case_releases_add_affected,
)
from vulndesk.server.disclosure.models import CaseRelease
from vulndesk.server.inventory.services import product_create

pytestmark = pytest.mark.django_db

RANGE = "vers:pypi/>=2.3.0|<2.31.0"


@pytest.fixture
def releases(case_world: CaseWorld) -> dict[str, object]:
    w = case_world.world
    return {
        "1.0": release_with(w, "1.0", {"requests": "2.28.1", "pyyaml": "5.3.1"}),
        "2.0": release_with(w, "2.0", {"requests": "2.31.0"}),
        "3.0": release_with(w, "3.0", {"Requests": "2.30.0"}),  # the name normalised by purl
        "4.0": release_with(w, "4.0", {"requests": "not.a.version!"}),
        "5.0": release_with(w, "5.0", {"urllib3": "2.0.0"}),
    }


def vulnerability(case_world: CaseWorld, affected_range: str = RANGE) -> object:
    return services.case_vulnerability_add(
        actor=case_world.coordinator,
        title="Proxy-Authorization leak",
        cve_id="CVE-2023-32681",
        component_purl="pkg:pypi/requests@2.28.1",
        affected_range=affected_range,
    )


def test_releases_in_the_range_are_affected(case_world: CaseWorld, releases: dict) -> None:
    found = affected_releases(vulnerability(case_world), case_world.world.organisation)
    assert found.package == "pkg:pypi/requests"
    assert [(a.release.version, [c.version for c in a.components]) for a in found.affected] == [
        ("1.0", ["2.28.1"]),
        ("3.0", ["2.30.0"]),
    ]
    assert [(u.release.version, u.component.version) for u in found.undecided] == [
        ("4.0", "not.a.version!")
    ]
    assert "cannot decide" in found.undecided[0].reason


def test_without_a_range_every_release_with_the_package_is_undecided(
    case_world: CaseWorld, releases: dict
) -> None:
    found = affected_releases(vulnerability(case_world, ""), case_world.world.organisation)
    assert found.affected == ()
    assert sorted(u.release.version for u in found.undecided) == ["1.0", "2.0", "3.0", "4.0"]


def test_a_vulnerability_without_a_package_cannot_be_looked_up(case_world: CaseWorld) -> None:
    bare = services.case_vulnerability_add(actor=case_world.coordinator, title="x")
    with pytest.raises(InputError, match="names no package"):
        affected_releases(bare, case_world.world.organisation)


def test_other_organisations_and_invisible_products_are_left_out(
    case_world: CaseWorld, releases: dict
) -> None:
    w = case_world.world
    other = Organisation.objects.create(name="Other", slug="other")
    team = team_create(organisation=other, name="t", members=[w.oscar])
    product = product_create(name="other-shop", acting_user=w.oscar, team=team, organisation=other)
    release_with(w, "9.0", {"requests": "2.28.1"}, product=product)
    target = vulnerability(case_world)
    versions = [a.release.version for a in affected_releases(target, w.organisation).affected]
    assert versions == ["1.0", "3.0"]
    # vera (vendor) is in no team of the shop: she sees no release, whatever the case says
    assert affected_releases(target, w.organisation, user=w.vera).affected == ()


def test_adding_every_affected_release_in_one_call(case_world: CaseWorld, releases: dict) -> None:
    target = vulnerability(case_world)
    before = AuditEvent.objects.filter(action="case.release_add").count()
    added, found = case_releases_add_affected(actor=case_world.coordinator, vulnerability=target)
    assert sorted(r.release.version for r in added) == ["1.0", "3.0"]
    assert len(found.undecided) == 1
    assert AuditEvent.objects.filter(action="case.release_add").count() == before + 2
    again, _ = case_releases_add_affected(actor=case_world.coordinator, vulnerability=target)
    assert again == []  # already there
    assert CaseRelease.objects.filter(case=case_world.case).count() == 2


def test_adding_and_removing_a_release_by_hand(case_world: CaseWorld, releases: dict) -> None:
    w = case_world
    row = case_release_add(actor=w.coordinator, release=releases["5.0"])
    assert row.vulnerability is None
    case_release_remove(actor=w.coordinator, case_release=row)
    assert not CaseRelease.objects.exists()
    assert AuditEvent.objects.filter(action="case.release_remove").exists()
    # a vendor who may not see the product gets 404 for its release; observers may not add
    with pytest.raises(Http404):
        case_release_add(actor=w.acme, release=releases["1.0"])
    with pytest.raises(PermissionDenied):
        case_release_add(actor=w.observer, release=releases["1.0"])
