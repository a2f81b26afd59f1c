"""Inventory services and product permissions on a real database."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import Http404

from vulndesk.core.errors import InputError
from vulndesk.server.accounts.permissions import product_for, product_role, visible_products
from vulndesk.server.accounts.services import organisation_default, team_create
from vulndesk.server.audit.models import AuditEvent
from vulndesk.server.inventory.models import Role
from vulndesk.server.inventory.services import (
    product_create,
    product_grant,
    product_update,
    release_create,
)

pytestmark = pytest.mark.django_db


def user(name: str, **extra: Any) -> Any:
    return get_user_model().objects.create_user(name, password="x-long-password-1", **extra)


def test_roles_come_from_teams_and_outsiders_get_404() -> None:
    alice, bob, carol = user("alice"), user("bob"), user("carol")
    org = organisation_default()
    owners = team_create(organisation=org, name="owners", members=[alice])
    viewers = team_create(organisation=org, name="viewers", members=[bob])
    product = product_create(name="Gateway", acting_user=alice, team=owners)
    product_grant(product=product, team=viewers, role=Role.VIEWER, acting_user=alice)

    assert product_role(alice, product) == Role.OWNER
    assert product_role(bob, product) == Role.VIEWER
    assert product_role(carol, product) is None
    assert list(visible_products(carol)) == []
    assert list(visible_products(bob)) == [product]
    assert product_for(bob, product.pk) == product
    with pytest.raises(PermissionDenied):
        product_for(bob, product.pk, Role.EDITOR)
    with pytest.raises(Http404):
        product_for(carol, product.pk)
    with pytest.raises(Http404):
        product_for(carol, product.pk + 1000)  # missing and hidden look the same

    # the highest of several grants wins; taking a grant away hides the product again
    team_create(organisation=org, name="editors", members=[bob]).grants.create(
        product=product, role=Role.EDITOR
    )
    assert product_role(bob, product) == Role.EDITOR
    product_grant(product=product, team=viewers, role=None, acting_user=alice)
    assert product_role(bob, product) == Role.EDITOR


def test_superusers_and_inactive_users() -> None:
    root = get_user_model().objects.create_superuser("root", password="x-long-password-1")
    product = product_create(name="Gateway", acting_user=root)
    assert product_role(root, product) == Role.OWNER
    gone = user("gone", is_active=False)
    assert list(visible_products(gone)) == []


def test_product_changes_are_audited_and_context_carries_to_releases() -> None:
    root = get_user_model().objects.create_superuser("root", password="x-long-password-1")
    product = product_create(
        name="PLC firmware",
        acting_user=root,
        tags=["ics", "ot"],
        exposure="small",
        safety_impact="critical",
        eu_market=True,
    )
    release = release_create(product=product, version="4.2", acting_user=root)
    assert release.product.safety_impact == "critical"
    assert sorted(product.tags.values_list("name", flat=True)) == ["ics", "ot"]
    product_update(product=product, acting_user=root, exposure="open", tags=["ics"])
    product.refresh_from_db()
    assert product.exposure == "open"
    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["product.create", "release.create", "product.update"]
    with pytest.raises(InputError, match="already has a release"):
        release_create(product=product, version="4.2", acting_user=root)


def test_a_product_cannot_be_its_own_ancestor() -> None:
    root = get_user_model().objects.create_superuser("root", password="x-long-password-1")
    system = product_create(name="Plant", acting_user=root)
    part = product_create(name="Controller", acting_user=root, parent=system)
    with pytest.raises(InputError, match="cannot be its parent"):
        product_update(product=system, acting_user=root, parent=part)
    with pytest.raises(InputError):
        product_update(product=system, acting_user=root, parent=system)


def test_visible_product_ids_counts_distinct_products_across_teams() -> None:
    from vulndesk.server.accounts.permissions import visible_product_ids

    alice, bob, carol = user("alice"), user("bob"), user("carol")
    root = user("root", is_superuser=True)
    org = organisation_default()
    owners = team_create(organisation=org, name="owners", members=[alice])
    first = product_create(name="First", acting_user=alice, team=owners)
    second = product_create(name="Second", acting_user=alice, team=owners)
    third = product_create(name="Third", acting_user=alice, team=owners)
    # bob holds two grants on the same product through two teams: still one product of three
    for name in ("red", "blue"):
        team = team_create(organisation=org, name=name, members=[bob])
        product_grant(product=first, team=team, role=Role.VIEWER, acting_user=alice)

    assert visible_product_ids(alice) is None  # every product
    assert visible_product_ids(root) is None
    assert visible_product_ids(bob) == [first.pk]
    assert visible_product_ids(carol) == []
    blue = org.teams.get(name="blue")
    for product in (second, third):
        product_grant(product=product, team=blue, role=Role.VIEWER, acting_user=alice)
    assert visible_product_ids(bob) is None
    # a new product nobody granted him: bob no longer sees everything, and takes effect at once
    fourth = product_create(name="Fourth", acting_user=alice, team=owners)
    assert visible_product_ids(bob) == sorted([first.pk, second.pk, third.pk])
    assert fourth.pk not in visible_product_ids(bob)  # type: ignore[operator]
    bob.is_active = False
    assert visible_product_ids(bob) == []
