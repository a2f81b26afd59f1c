"""A disclosure case that records attacks observed opens a CRA event for each product placed on
the EU market among the case's releases."""

from __future__ import annotations

import pytest

from server.disclosure.disclosure_world import CaseWorld, case_world, world
from vulndesk.server.compliance.models import CraEvent
from vulndesk.server.compliance.selectors import reports_of
from vulndesk.server.disclosure import embargo
from vulndesk.server.disclosure.models import CaseRelease
from vulndesk.server.inventory.models import Product
from vulndesk.server.inventory.services import product_create, release_create

pytestmark = pytest.mark.django_db
__all__ = ["case_world", "world"]


def test_attacks_observed_open_an_event_per_eu_market_product(case_world: CaseWorld) -> None:
    w = case_world
    shop = w.world.shop
    Product.objects.filter(pk=shop.pk).update(eu_market=True)
    shop.refresh_from_db()
    inside = product_create(name="inside", acting_user=w.world.cora, team=w.world.psirt)
    r1 = release_create(product=shop, version="1.0", acting_user=w.world.cora)
    r2 = release_create(product=shop, version="1.1", acting_user=w.world.cora)
    other = release_create(product=inside, version="3", acting_user=w.world.cora)  # not EU
    for release in (r1, r2, other):
        CaseRelease.objects.create(case=w.case, release=release)
    case = embargo.case_flag_set(actor=w.acme, flag="attacks_observed")
    event = CraEvent.objects.get()
    assert (event.product, event.trigger, event.case) == (shop, "case_attacks", w.case)
    assert event.aware_at == case.attacks_observed_at
    assert set(event.releases.all()) == {r1, r2}
    early = reports_of(event)[0]
    assert early.content["affected_versions"] == ["1.0", "1.1"]
    assert w.case.identifier in early.content["notes"]
    # set once: setting the flag again changes nothing
    embargo.case_flag_set(actor=w.coordinator, flag="attacks_observed")
    assert CraEvent.objects.count() == 1
