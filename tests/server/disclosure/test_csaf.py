"""CSAF 2.0 advisories from a case: built from the vendors' approved statuses and the case's
releases, valid for both profiles, public only once no embargo holds; downloaded and published
through the organisation's CSAF provider by coordinators only."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import orjson
import pytest
from django.test import Client
from django.utils import timezone

from server.disclosure.disclosure_world import CaseWorld, release_with
from vulndesk.core.csafdoc import validate_document
from vulndesk.server.disclosure import csaf, cve, embargo, impact, services
from vulndesk.server.disclosure.models import CaseVulnerability

pytestmark = pytest.mark.django_db


def prepared(w: CaseWorld) -> CaseVulnerability:
    """Acme fixed, Bolt not affected (both approved), a release of the shop affected."""
    vulnerability = services.case_vulnerability_add(
        actor=w.coordinator,
        title="SQL injection in the search",
        description="The q parameter of the search reaches an SQL query unescaped.",
        cve_id="CVE-2026-12345",
        cwe="CWE-89",
        cvss_vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N",
        component_purl="pkg:pypi/requests",
        affected_range="vers:pypi/>=2.0.0|<2.31.0",
    )
    cve.case_vulnerability_references_set(
        actor=w.coordinator,
        vulnerability=vulnerability,
        references=["https://shop.example/security/2026-1"],
    )
    fixed = services.vendor_status_set(
        actor=w.acme, vulnerability=vulnerability, status="fixed", statement="Update to 2.31.0."
    )
    not_affected = services.vendor_status_set(
        actor=w.bolt, vulnerability=vulnerability, status="not_affected"
    )
    for row in (fixed, not_affected):
        services.vendor_status_approve(actor=w.coordinator, status=row)
    release = release_with(w.world, "1.0", {"requests": "2.28.1"})
    impact.case_release_add(actor=w.coordinator, release=release, vulnerability=vulnerability)
    return vulnerability


@pytest.mark.parametrize("profile", ["csaf_security_advisory", "csaf_vex"])
def test_the_advisory_is_valid_csaf(case_world: CaseWorld, profile: Any) -> None:
    w = case_world
    prepared(w)
    document = csaf.case_csaf_document(w.case, profile)
    result = validate_document(document)
    assert result.valid, result.failures
    head = document["document"]
    assert head["category"] == profile
    assert head["tracking"]["id"] == w.case.identifier
    assert head["tracking"]["status"] == "final"
    assert head["distribution"]["tlp"]["label"] == "WHITE"
    assert head["publisher"]["name"] == w.world.organisation.name
    (vulnerability,) = document["vulnerabilities"]
    assert vulnerability["cve"] == "CVE-2026-12345"
    assert (
        vulnerability["cwe"]["id"] == "CWE-89" and "SQL Injection" in vulnerability["cwe"]["name"]
    )
    status = vulnerability["product_status"]
    names = _product_names(document)
    assert [names[p] for p in status["fixed"]] == ["Acme requests vers:pypi/>=2.0.0|<2.31.0"]
    assert [names[p] for p in status["known_not_affected"]] == [
        "Bolt requests vers:pypi/>=2.0.0|<2.31.0"
    ]
    assert [names[p] for p in status["known_affected"]] == [f"{w.world.organisation.name} shop 1.0"]
    fixes = [r for r in vulnerability["remediations"] if r["category"] == "vendor_fix"]
    assert fixes == [
        {"category": "vendor_fix", "details": "Update to 2.31.0.", "product_ids": status["fixed"]}
    ]
    assert vulnerability["scores"][0]["cvss_v3"]["baseScore"] == 7.5
    assert vulnerability["references"][0]["url"] == "https://shop.example/security/2026-1"


def _product_names(document: dict[str, Any]) -> dict[str, str]:
    names: dict[str, str] = {}

    def walk(branches: list[dict[str, Any]], path: list[str]) -> None:
        for branch in branches:
            here = [*path, branch["name"]]
            if "product" in branch:
                names[branch["product"]["product_id"]] = " ".join(here)
            walk(branch.get("branches", []), here)

    walk(document["product_tree"]["branches"], [])
    return names


def test_no_public_advisory_under_embargo(
    case_world: CaseWorld, as_user: Callable[[Any], Client]
) -> None:
    w = case_world
    prepared(w)
    embargo.embargo_propose(actor=w.coordinator, end=timezone.now() + timedelta(days=5))
    embargo.embargo_accept(actor=w.coordinator)
    w.case.refresh_from_db()
    with pytest.raises(csaf.AdvisoryRefused):
        csaf.case_csaf_document(w.case)
    cora = as_user(w.world.cora)
    assert cora.get(f"/api/v1/cases/{w.case.pk}/csaf").status_code == 409
    assert cora.post(f"/api/v1/cases/{w.case.pk}/csaf/publish").status_code == 409
    embargo.embargo_exit(actor=w.coordinator, reason="fixed")
    assert cora.get(f"/api/v1/cases/{w.case.pk}/csaf").status_code == 200


def test_download_is_for_coordinators_of_the_case(
    case_world: CaseWorld, as_user: Callable[[Any], Client]
) -> None:
    w = case_world
    prepared(w)
    url = f"/api/v1/cases/{w.case.pk}/csaf?profile=csaf_vex"
    answer = as_user(w.world.cora).get(url)
    assert answer.status_code == 200
    assert (
        answer["Content-Disposition"] == f'attachment; filename="{w.case.identifier.lower()}.json"'
    )
    assert orjson.loads(answer.content)["document"]["category"] == "csaf_vex"
    assert as_user(w.world.vera).get(url).status_code == 403
    assert as_user(w.world.oscar).get(url).status_code == 404
    assert as_user(w.world.root).get(url).status_code == 404
    assert as_user(w.world.vera).post(f"/api/v1/cases/{w.case.pk}/csaf/publish").status_code == 403
    assert as_user(w.world.oscar).post(f"/api/v1/cases/{w.case.pk}/csaf/publish").status_code == 404


def test_a_case_without_products_has_no_advisory(case_world: CaseWorld) -> None:
    w = case_world
    from vulndesk.core.errors import InputError

    with pytest.raises(InputError, match="no vulnerability"):
        csaf.case_csaf_document(w.case)
    services.case_vulnerability_add(actor=w.coordinator, title="x")
    with pytest.raises(InputError, match="names no product"):
        csaf.case_csaf_document(w.case)


def test_publishing_through_the_provider_replaces_the_older_version(
    case_world: CaseWorld, as_user: Callable[[Any], Client]
) -> None:
    w = case_world
    prepared(w)
    cora = as_user(w.world.cora)
    first = cora.post(f"/api/v1/cases/{w.case.pk}/csaf/publish")
    assert first.status_code == 200, first.content
    assert first.json()["tracking_id"] == w.case.identifier
    assert first.json()["version"] == "1" and first.json()["replaced"] is False
    second = cora.post(f"/api/v1/cases/{w.case.pk}/csaf/publish")
    assert second.status_code == 200, second.content
    assert second.json()["version"] == "2" and second.json()["replaced"] is True
    document = csaf.case_csaf_document(w.case)
    history = document["document"]["tracking"]["revision_history"]
    assert [r["number"] for r in history] == ["1", "2", "3"]
