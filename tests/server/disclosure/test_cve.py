"""CVE from a case, end to end through the API against the loopback fake CVE Services
(tests/cve_services_fake.py): reserve, publish, update, reject; refused under embargo and with
lint errors; need-to-know (404) and coordinator-only (403)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from cvelib.cve_api import CveRecord
from django.test import Client
from django.utils import timezone

from cve_services_fake import API_KEY, ORG, ORG_UUID, USER, CveServicesFake
from server.disclosure.disclosure_world import CaseWorld, release_with
from vulndesk.core.cve.record import cve_record
from vulndesk.core.errors import InputError
from vulndesk.server.audit.models import AuditEvent
from vulndesk.server.disclosure import cve, embargo, impact, services
from vulndesk.server.disclosure.models import CaseVulnerability, CveState

pytestmark = pytest.mark.django_db

DESCRIPTION = (
    "The search endpoint of Shop before 2.31.0 passes the q parameter unescaped into an SQL "
    "query, which lets a remote attacker read the database."
)


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[CveServicesFake]:
    with CveServicesFake(quota=5) as server:
        monkeypatch.setenv("VULNDESK_CVE_API_URL", server.url)
        monkeypatch.setenv("VULNDESK_CVE_ORG", ORG)
        monkeypatch.setenv("VULNDESK_CVE_USER", USER)
        monkeypatch.setenv("VULNDESK_CVE_API_KEY", API_KEY)
        monkeypatch.setenv("VULNDESK_CVE_ORG_ID", ORG_UUID)
        yield server


def good_vulnerability(w: CaseWorld) -> CaseVulnerability:
    """A vulnerability whose record lints clean: Acme affected (approved), Bolt not affected
    (approved), with a reference."""
    vulnerability = services.case_vulnerability_add(
        actor=w.coordinator,
        title="SQL injection in the search",
        description=DESCRIPTION,
        cwe="CWE-89",
        cvss_vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N",
        component_purl="pkg:pypi/requests",
        affected_range="vers:pypi/>=2.0.0|<2.31.0",
    )
    for vendor, status in ((w.acme, "affected"), (w.bolt, "not_affected")):
        row = services.vendor_status_set(actor=vendor, vulnerability=vulnerability, status=status)
        services.vendor_status_approve(actor=w.coordinator, status=row)
    return cve.case_vulnerability_references_set(
        actor=w.coordinator,
        vulnerability=vulnerability,
        references=["https://shop.example/security/2026-1"],
    )


def url(w: CaseWorld, vulnerability: CaseVulnerability, action: str = "") -> str:
    base = f"/api/v1/cases/{w.case.pk}/vulnerabilities/{vulnerability.pk}/cve"
    return f"{base}/{action}" if action else base


def test_reserve_publish_update_reject(
    case_world: CaseWorld, fake: CveServicesFake, as_user: Callable[[Any], Client]
) -> None:
    w = case_world
    vulnerability = good_vulnerability(w)
    cora = as_user(w.world.cora)

    reserved = cora.post(url(w, vulnerability, "reserve"))
    assert reserved.status_code == 200, reserved.content
    cve_id = reserved.json()["cve_id"]
    assert cve_id == f"CVE-{timezone.now().year}-0001"
    assert reserved.json()["cve_state"] == "reserved"
    assert fake.ids[cve_id].state == "RESERVED"
    again = cora.post(url(w, vulnerability, "reserve"))
    assert again.status_code == 400 and cve_id in again.json()["detail"]

    preview = cora.get(url(w, vulnerability)).json()
    assert preview["publishable"] is True
    assert [f for f in preview["findings"] if f["severity"] == "error"] == []

    published = cora.post(url(w, vulnerability, "publish"))
    assert published.status_code == 200, published.content
    assert published.json()["cve_state"] == "published"
    record = fake.ids[cve_id].record
    assert record is not None and record["cveMetadata"]["state"] == "PUBLISHED"
    cna = record["containers"]["cna"]
    assert cna["descriptions"] == [{"lang": "en", "value": DESCRIPTION}]
    assert cna["problemTypes"][0]["descriptions"][0]["cweId"] == "CWE-89"
    assert cna["references"] == [{"url": "https://shop.example/security/2026-1"}]
    affected = {(a["vendor"], a["product"]): a for a in cna["affected"]}
    acme = affected[("Acme", "requests")]
    assert acme["defaultStatus"] == "unaffected"
    assert acme["versions"] == [
        {"version": "2.0.0", "status": "affected", "versionType": "python", "lessThan": "2.31.0"}
    ]
    assert affected[("Bolt", "requests")]["defaultStatus"] == "unaffected"
    assert cna["metrics"][0]["cvssV3_1"]["baseScore"] == 7.5

    vulnerability.refresh_from_db()
    services.case_vulnerability_update(
        actor=w.coordinator, vulnerability=vulnerability, description=DESCRIPTION + " Fixed."
    )
    with pytest.raises(InputError, match="at CVE Services"):
        services.case_vulnerability_update(
            actor=w.coordinator, vulnerability=vulnerability, cve_id="CVE-2020-1234"
        )
    updated = cora.post(url(w, vulnerability, "publish"))
    assert updated.status_code == 200, updated.content
    assert fake.count("PUT", f"/api/cve/{cve_id}/cna") == 1
    record = fake.ids[cve_id].record
    assert record is not None and record["cveMetadata"]["serial"] == 2
    assert record["containers"]["cna"]["descriptions"][0]["value"].endswith("Fixed.")

    rejected = cora.post(url(w, vulnerability, "reject"), {"reason": ""}, "application/json")
    assert rejected.status_code == 200, rejected.content
    assert rejected.json()["cve_state"] == "rejected"
    assert fake.ids[cve_id].state == "REJECTED"
    assert fake.count("PUT", f"/api/cve/{cve_id}/reject") == 1

    actions = list(
        AuditEvent.objects.filter(action__startswith="case.cve_")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["case.cve_reserve", "case.cve_publish", "case.cve_update", "case.cve_reject"]


def test_an_unused_reservation_is_rejected(
    case_world: CaseWorld, fake: CveServicesFake, as_user: Callable[[Any], Client]
) -> None:
    w = case_world
    vulnerability = services.case_vulnerability_add(actor=w.coordinator, title="not a bug")
    cve.case_cve_reserve(actor=w.coordinator, vulnerability=vulnerability)
    vulnerability.refresh_from_db()
    body = {"reason": "Not a vulnerability: the behaviour is documented and intended."}
    answer = as_user(w.world.cora).post(url(w, vulnerability, "reject"), body, "application/json")
    assert answer.status_code == 200, answer.content
    assert fake.ids[vulnerability.cve_id].state == "REJECTED"
    assert fake.count("POST", f"/api/cve/{vulnerability.cve_id}/reject") == 1
    assert fake.ids[vulnerability.cve_id].record["containers"]["cna"]["rejectedReasons"] == [
        {"lang": "en", "value": body["reason"]}
    ]


def test_publishing_is_refused_under_embargo(
    case_world: CaseWorld, fake: CveServicesFake, as_user: Callable[[Any], Client]
) -> None:
    w = case_world
    vulnerability = good_vulnerability(w)
    cve.case_cve_reserve(actor=w.coordinator, vulnerability=vulnerability)
    vulnerability.refresh_from_db()
    embargo.embargo_propose(actor=w.coordinator, end=timezone.now() + timedelta(days=10))
    embargo.embargo_accept(actor=w.coordinator)

    answer = as_user(w.world.cora).post(url(w, vulnerability, "publish"))
    assert answer.status_code == 409
    assert "embargo" in answer.json()["detail"]
    assert as_user(w.world.cora).get(url(w, vulnerability)).json()["publishable"] is False
    assert fake.count("POST", f"/api/cve/{vulnerability.cve_id}/cna") == 0
    vulnerability.refresh_from_db()
    assert vulnerability.cve_state == CveState.RESERVED

    embargo.embargo_exit(actor=w.coordinator, reason="fix released")
    assert as_user(w.world.cora).post(url(w, vulnerability, "publish")).status_code == 200


def test_publishing_is_refused_with_lint_errors(
    case_world: CaseWorld, fake: CveServicesFake, as_user: Callable[[Any], Client]
) -> None:
    w = case_world
    vulnerability = services.case_vulnerability_add(
        actor=w.coordinator, title="SQL injection", description="Thanks to Finder: SQLi."
    )
    cve.case_cve_reserve(actor=w.coordinator, vulnerability=vulnerability)
    vulnerability.refresh_from_db()

    answer = as_user(w.world.cora).post(url(w, vulnerability, "publish"))
    assert answer.status_code == 400
    detail = answer.json()["detail"]
    for rule in ("affected-status", "problem-type", "reference-public", "description-credit"):
        assert f"[{rule}]" in detail
    assert fake.count("POST", f"/api/cve/{vulnerability.cve_id}/cna") == 0
    rules = {f["rule"] for f in as_user(w.world.cora).get(url(w, vulnerability)).json()["findings"]}
    assert {"affected-status", "reference-public"} <= rules


def test_need_to_know_and_coordinator_only(
    case_world: CaseWorld, fake: CveServicesFake, as_user: Callable[[Any], Client]
) -> None:
    w = case_world
    vulnerability = good_vulnerability(w)
    for user, expected in ((w.world.oscar, 404), (w.world.root, 404), (w.world.vera, 403)):
        client = as_user(user)
        assert client.get(url(w, vulnerability)).status_code == expected
        for action in ("reserve", "publish", "reject"):
            assert client.post(
                url(w, vulnerability, action), {}, "application/json"
            ).status_code == (expected)
        references = f"/api/v1/cases/{w.case.pk}/vulnerabilities/{vulnerability.pk}/references"
        answer = client.put(references, {"references": ["https://x.example/"]}, "application/json")
        assert answer.status_code == expected
    assert not fake.requests


def test_a_vulnerability_of_another_case_is_404(
    case_world: CaseWorld, fake: CveServicesFake, as_user: Callable[[Any], Client]
) -> None:
    w = case_world
    other = services.case_create(
        organisation=w.world.organisation, title="other", acting_user=w.world.cora
    )
    vulnerability = good_vulnerability(w)
    answer = as_user(w.world.cora).post(
        f"/api/v1/cases/{other.pk}/vulnerabilities/{vulnerability.pk}/cve/reserve"
    )
    assert answer.status_code == 404


def test_not_configured_names_the_missing_settings(
    case_world: CaseWorld, monkeypatch: pytest.MonkeyPatch, as_user: Callable[[Any], Client]
) -> None:
    for name in ("VULNDESK_CVE_ORG", "VULNDESK_CVE_USER", "VULNDESK_CVE_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    w = case_world
    vulnerability = good_vulnerability(w)
    answer = as_user(w.world.cora).post(url(w, vulnerability, "reserve"))
    assert answer.status_code == 400
    assert "VULNDESK_CVE_API_KEY" in answer.json()["detail"]
    # building and linting need no credentials
    assert as_user(w.world.cora).get(url(w, vulnerability)).status_code == 200


def test_the_api_key_is_never_shown(
    case_world: CaseWorld,
    fake: CveServicesFake,
    as_user: Callable[[Any], Client],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    w = case_world
    vulnerability = good_vulnerability(w)
    settings = cve.cve_settings()
    assert settings is not None and API_KEY not in repr(settings)
    cora = as_user(w.world.cora)
    cora.post(url(w, vulnerability, "reserve"))
    # CVE Services refuses with a message echoing the key: the client masks it
    fake.orgs[ORG].users[USER] = "rotated"
    answer = cora.post(url(w, vulnerability, "publish"))
    assert answer.status_code == 502
    assert API_KEY not in answer.content.decode()
    assert API_KEY not in caplog.text
    for event in AuditEvent.objects.all():
        assert API_KEY not in str(event.data)


def test_the_record_takes_credits_releases_and_statuses(case_world: CaseWorld) -> None:
    w = case_world
    w.report.wants_credit = True
    w.report.credit_name = "Ada Finder"
    w.report.save()
    vulnerability = good_vulnerability(w)
    unknown = services.vendor_status_set(
        actor=w.bolt, vulnerability=vulnerability, status="unknown"
    )
    services.vendor_status_approve(actor=w.coordinator, status=unknown)
    release = release_with(w.world, "1.0", {"requests": "2.28.1"})
    impact.case_release_add(actor=w.coordinator, release=release, vulnerability=vulnerability)
    record = cve.case_cve_record(vulnerability)
    assert [(c.value, c.type) for c in record.credits] == [("Ada Finder", "finder")]
    assert record.discovery == "EXTERNAL"
    by_vendor = {(p.vendor, p.product): p for p in record.affected}
    assert by_vendor[("Bolt", "requests")].default_status == "unknown"
    shop = by_vendor[(w.world.organisation.name, "shop")]
    assert [(v.version, v.status) for v in shop.versions] == [("1.0", "affected")]
    # an unapproved statement does not go public
    services.vendor_status_set(actor=w.acme, vulnerability=vulnerability, status="fixed")
    assert ("Acme", "requests") not in {
        (p.vendor, p.product) for p in cve.case_cve_record(vulnerability).affected
    }


def test_the_container_built_from_a_case_passes_the_official_schema(
    case_world: CaseWorld,
) -> None:
    """The CNA container CVE Services receives, and the whole record, against the CVE 5.1
    schemas cvelib bundles (the official ones)."""
    w = case_world
    vulnerability = good_vulnerability(w)
    fixed = services.vendor_status_set(actor=w.acme, vulnerability=vulnerability, status="fixed")
    services.vendor_status_approve(actor=w.coordinator, status=fixed)
    release = release_with(w.world, "1.0", {"requests": "2.28.1"})
    impact.case_release_add(actor=w.coordinator, release=release, vulnerability=vulnerability)
    container = cve.case_cve_container(vulnerability)
    CveRecord.validate(container, schema_path=CveRecord.Schemas.CNA_PUBLISHED)
    # the whole record, as CVE Services will show it once the id is reserved and published
    CaseVulnerability.objects.filter(pk=vulnerability.pk).update(cve_id="CVE-1900-0001")
    vulnerability.refresh_from_db()
    record = cve_record(cve.case_cve_record(vulnerability), provider=cve._provider())
    CveRecord.validate(record, schema_path=CveRecord.Schemas.V5_SCHEMA)
    assert [f for f in cve.case_cve_lint(vulnerability) if f.severity == "error"] == []


def test_references_must_be_web_urls(case_world: CaseWorld) -> None:
    w = case_world
    vulnerability = services.case_vulnerability_add(actor=w.coordinator, title="x")
    with pytest.raises(InputError, match="not an http"):
        cve.case_vulnerability_references_set(
            actor=w.coordinator, vulnerability=vulnerability, references=["javascript:alert(1)"]
        )
    done = cve.case_vulnerability_references_set(
        actor=w.coordinator,
        vulnerability=vulnerability,
        references=["https://a.example/1", "https://a.example/1", "http://b.example/"],
    )
    assert done.references == ["https://a.example/1", "http://b.example/"]
