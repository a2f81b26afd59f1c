"""Denials: a case and everything in it does not exist for anyone who is not its participant
(superusers included) — 404 on every route and from every selector and service, the answer a
missing case gets; a vendor never sees another vendor's unapproved statement; no route answers
without a user; a wrong report secret shows nothing; reports stay with their organisation's
triagers."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import Client

from server.disclosure.disclosure_world import CaseWorld, actor, release_with, submit
from vulndesk.core.errors import InputError
from vulndesk.server.audit.models import AuditEvent
from vulndesk.server.disclosure import services
from vulndesk.server.disclosure.attachments import Upload
from vulndesk.server.disclosure.models import Case
from vulndesk.server.disclosure.selectors import (
    CaseNotFound,
    case_get,
    case_messages,
    cases_visible,
    participant_for,
    participant_for_reporter,
    report_for_reporter,
    report_get,
    reports_visible,
    vendor_status_get,
    vendor_statuses,
)

pytestmark = pytest.mark.django_db

Clients = Callable[[Any], Client]
NOT_FOUND = 404


@dataclass
class Ids:
    case: int
    message: int
    attachment: int
    vulnerability: int
    status: int
    participant: int
    release: int
    tracking_id: str


@pytest.fixture
def full(case_world: CaseWorld) -> Ids:
    """The case with a message and attachment, a vulnerability, a status and a release."""
    w = case_world
    message = services.case_message_post(
        actor=w.acme, body="details", attachments=[Upload("poc.txt", b"curl http://x")]
    )
    vulnerability = services.case_vulnerability_add(
        actor=w.coordinator, title="SQLi", component_purl="pkg:pypi/requests",
        affected_range="vers:pypi/<3",
    )  # fmt: skip
    status = services.vendor_status_set(
        actor=w.acme, vulnerability=vulnerability, status="affected"
    )
    release = release_with(w.world, "1.0", {"requests": "2.28.1"})
    from vulndesk.server.disclosure.impact import case_release_add

    case_release_add(actor=w.coordinator, release=release)
    return Ids(
        w.case.pk, message.pk, message.attachments.get().pk, vulnerability.pk, status.pk,
        w.acme.pk, release.pk, w.report.tracking_id,
    )  # fmt: skip


def case_routes(ids: Ids) -> list[tuple[str, str, Any]]:
    """Every route that names the case or something in it: (method, url, JSON body)."""
    c = f"/api/v1/cases/{ids.case}"
    return [
        ("get", c, None),
        ("post", f"{c}/close", {}),
        ("post", f"{c}/seen", {}),
        ("get", f"{c}/participants", None),
        ("post", f"{c}/participants", {"email": "a@b.org", "role": "vendor"}),
        ("patch", f"{c}/participants/{ids.participant}", {"rm_state": "valid"}),
        ("get", f"{c}/messages", None),
        ("post", f"{c}/messages", {"body": "hi"}),
        ("get", f"{c}/attachments", None),
        ("post", f"{c}/attachments", "multipart"),
        ("get", f"{c}/attachments/{ids.attachment}", None),
        ("post", f"{c}/embargo", {"action": "propose", "end_date": "2099-01-01"}),
        ("post", f"{c}/flags", {"flag": "attacks_observed"}),
        ("get", f"{c}/vulnerabilities", None),
        ("post", f"{c}/vulnerabilities", {"title": "x"}),
        ("get", f"{c}/statuses", None),
        (
            "put",
            f"{c}/statuses",
            {
                "vulnerability_id": ids.vulnerability,
                "status": "fixed",
                "vendor_id": ids.participant,
            },
        ),
        ("post", f"{c}/statuses/{ids.status}/approve", {}),
        ("get", f"{c}/affected-releases?vulnerability_id={ids.vulnerability}", None),
        ("get", f"{c}/releases", None),
        ("post", f"{c}/releases", {"release_ids": [ids.release]}),
        ("delete", f"{c}/releases/{ids.release}", None),
        ("delete", f"{c}/participants/{ids.participant}", None),
    ]


def call(client: Client, method: str, url: str, body: Any) -> Any:
    if body == "multipart":
        file = io.BytesIO(b"hello")
        file.name = "a.txt"
        return client.post(url, {"file": file})
    if body is None:
        return getattr(client, method)(url)
    return getattr(client, method)(url, body, content_type="application/json")


@pytest.mark.parametrize("who", ["oscar", "root", "paula"])
def test_a_non_participant_gets_404_on_every_case_route(
    case_world: CaseWorld, full: Ids, as_user: Clients, who: str
) -> None:
    client = as_user(getattr(case_world.world, who))
    audited = AuditEvent.objects.count()
    for method, url, body in case_routes(full):
        response = call(client, method, url, body)
        assert response.status_code == NOT_FOUND, (method, url, response.content)
    assert AuditEvent.objects.count() == audited  # nothing changed
    assert client.get("/api/v1/cases").json()["items"] == []


def test_a_missing_case_answers_the_same(
    case_world: CaseWorld, full: Ids, as_user: Clients
) -> None:
    client = as_user(case_world.world.oscar)
    missing = Ids(full.case + 1000, 1, 1, 1, 1, 1, 1, "VDR-AAAAAAAAAA")
    for (method, url, body), (_, hidden_url, _) in zip(
        case_routes(missing), case_routes(full), strict=True
    ):
        missing_answer = call(client, method, url, body)
        hidden_answer = call(client, method, hidden_url, body)
        assert missing_answer.status_code == hidden_answer.status_code == NOT_FOUND
        assert missing_answer.json() == hidden_answer.json()


def test_a_participant_reaches_every_case_route(
    case_world: CaseWorld, full: Ids, as_user: Clients
) -> None:
    """The routes above are real: the coordinator gets no 404 from any of them."""
    client = as_user(case_world.world.cora)
    for method, url, body in case_routes(full):
        if url.endswith("/close"):
            continue
        response = call(client, method, url, body)
        assert response.status_code in (200, 201, 204), (method, url, response.content)


def test_no_route_answers_without_a_user(case_world: CaseWorld, full: Ids) -> None:
    anonymous = Client()
    routes = [
        *case_routes(full),
        ("get", "/api/v1/cases", None),
        ("post", "/api/v1/cases", {"title": "x"}),
        ("get", "/api/v1/reports", None),
        ("post", "/api/v1/reports", {"title": "x", "description": "y"}),
        ("get", f"/api/v1/reports/{full.tracking_id}", None),
        ("post", f"/api/v1/reports/{full.tracking_id}/state", {"state": "closed"}),
        ("post", f"/api/v1/reports/{full.tracking_id}/messages", {"body": "x"}),
        ("post", f"/api/v1/reports/{full.tracking_id}/accept", {}),
        ("post", "/api/v1/invitations/accept", {"secret": "x"}),
    ]
    for method, url, body in routes:
        assert call(anonymous, method, url, body).status_code == 401, (method, url)


def test_selectors_and_services_deny_non_participants(case_world: CaseWorld, full: Ids) -> None:
    w = case_world
    for user in (w.world.oscar, w.world.root, w.world.paula, None):
        with pytest.raises(CaseNotFound):
            participant_for(case_id=w.case.pk, user=user)
        assert case_get(user=user, case_id=w.case.pk) is None
        assert list(cases_visible(user)) == []
    # a participant of another case cannot reach this case's objects with their own row
    other = services.case_create(
        organisation=w.world.organisation, title="other", acting_user=w.world.cora
    )
    stranger = actor(other, w.world.cora)
    vulnerability = w.case.vulnerabilities.get()
    message = w.case.messages.get()
    denied = [
        lambda: services.vendor_status_set(
            actor=stranger, vulnerability=vulnerability, status="fixed"
        ),
        lambda: services.case_message_post(actor=stranger, body="x", parent=message),
        lambda: services.participant_update(actor=stranger, participant=w.acme, rm_state="valid"),
        lambda: services.participant_flag_set(actor=stranger, participant=w.acme, flag="fix_ready"),
        lambda: services.vendor_status_approve(actor=stranger, status=vulnerability.statuses.get()),
        lambda: vendor_status_get(stranger, full.status),
    ]
    for attempt in denied:
        with pytest.raises(Http404):
            attempt()


def test_a_vendor_never_sees_another_vendors_unapproved_statement(
    case_world: CaseWorld, full: Ids, as_user: Clients
) -> None:
    w = case_world
    bolt = as_user(w.world.vince)
    assert bolt.get(f"/api/v1/cases/{full.case}/statuses").json() == []
    with pytest.raises(CaseNotFound):
        vendor_status_get(w.bolt, full.status)
    assert list(vendor_statuses(w.observer)) == []
    # the coordinator approves: now everyone reads it
    cora = as_user(w.world.cora)
    assert cora.post(f"/api/v1/cases/{full.case}/statuses/{full.status}/approve").status_code == 200
    statuses = bolt.get(f"/api/v1/cases/{full.case}/statuses").json()
    assert [s["id"] for s in statuses] == [full.status]
    # an observer reads but may not approve or post
    olga = as_user(w.world.olga)
    assert olga.post(f"/api/v1/cases/{full.case}/statuses/{full.status}/approve").status_code == 403
    body = {"body": "x"}
    response = olga.post(
        f"/api/v1/cases/{full.case}/messages", body, content_type="application/json"
    )
    assert response.status_code == 403


def test_contact_addresses_are_for_coordinators(
    case_world: CaseWorld, full: Ids, as_user: Clients
) -> None:
    url = f"/api/v1/cases/{full.case}/participants"
    by_vendor = as_user(case_world.world.vince).get(url).json()
    assert {p["email"] for p in by_vendor if p["label"] != "vince (Bolt)"} == {None}
    by_coordinator = as_user(case_world.world.cora).get(url).json()
    assert "vera@example.org" in {p["email"] for p in by_coordinator}


def test_a_wrong_report_secret_shows_nothing(case_world: CaseWorld) -> None:
    w = case_world
    tracking = w.report.tracking_id
    assert report_for_reporter(tracking_id=tracking, secret=w.secret) == w.report
    for secret in ("", "vdr_wrong", w.secret[:-1], w.secret.upper()):
        assert report_for_reporter(tracking_id=tracking, secret=secret) is None
        with pytest.raises(CaseNotFound):
            participant_for_reporter(tracking_id=tracking, secret=secret)
    assert participant_for_reporter(tracking_id=tracking, secret=w.secret) == w.reporter
    # another report's secret opens nothing of this one
    _, other_secret = submit(w.world)
    assert report_for_reporter(tracking_id=tracking, secret=other_secret) is None


def test_reports_stay_with_their_organisations_triagers(
    case_world: CaseWorld, as_user: Clients
) -> None:
    w = case_world
    tracking = w.report.tracking_id
    assert report_get(user=w.world.cora, tracking_id=tracking) == w.report
    assert report_get(user=w.world.root, tracking_id=tracking) == w.report
    for user in (w.world.oscar, w.world.vera, w.world.paula):  # paula: another organisation
        assert report_get(user=user, tracking_id=tracking) is None
        assert list(reports_visible(user)) == []
        client = as_user(user)
        assert client.get(f"/api/v1/reports/{tracking}").status_code == NOT_FOUND
        assert client.get("/api/v1/reports").json()["items"] == []
        accept = client.post(f"/api/v1/reports/{tracking}/accept", {}, "application/json")
        assert accept.status_code == NOT_FOUND
    assert Case.objects.count() == 1


def test_a_removed_participant_loses_the_case(
    case_world: CaseWorld, full: Ids, as_user: Clients
) -> None:
    w = case_world
    vera = as_user(w.world.vera)
    assert vera.get(f"/api/v1/cases/{full.case}").status_code == 200
    removed = as_user(w.world.cora).delete(f"/api/v1/cases/{full.case}/participants/{w.acme.pk}")
    assert removed.status_code == 200 and removed.json()["removed_at"] is not None
    for method, url, body in case_routes(full):
        assert call(vera, method, url, body).status_code == NOT_FOUND, (method, url)
    assert vera.get("/api/v1/cases").json()["items"] == []
    assert Case.objects.get(pk=full.case).vfdpxa == "Vfdpxa"  # Bolt alone now
    # what Acme wrote keeps its author
    messages = as_user(w.world.vince).get(f"/api/v1/cases/{full.case}/messages").json()
    assert messages[0]["author"] == "vera (Acme)"


def test_a_removed_invitation_cannot_be_accepted(case_world: CaseWorld) -> None:
    w = case_world
    pending, secret = services.participant_invite(
        actor=w.coordinator, email="x@example.org", role="vendor"
    )
    services.participant_remove(actor=w.coordinator, participant=pending)
    with pytest.raises(InputError, match="not valid"):
        services.invitation_accept(secret=secret, user=w.world.oscar)
    with pytest.raises(InputError, match="needs a coordinator"):
        services.participant_remove(actor=w.coordinator, participant=w.coordinator)
    with pytest.raises(PermissionDenied):
        services.participant_remove(actor=w.acme, participant=w.bolt)


def test_the_reporter_takes_part_through_the_secret_link(case_world: CaseWorld, full: Ids) -> None:
    w = case_world
    reporter = participant_for_reporter(tracking_id=w.report.tracking_id, secret=w.secret)
    message = services.case_message_post(actor=reporter, body="Any timeline?")
    event = AuditEvent.objects.filter(action="case.message").order_by("-id").first()
    assert event is not None and event.actor is None
    assert event.actor_label == f"reporter (participant {reporter.pk})"
    assert message.author.label == "reporter"
    assert [v.message.pk for v in case_messages(reporter)][-1] == message.pk
    assert list(vendor_statuses(reporter)) == []  # Acme's statement is not approved
    with pytest.raises(PermissionDenied):
        services.vendor_status_approve(
            actor=reporter, status=w.case.vulnerabilities.get().statuses.get()
        )
    services.participant_remove(actor=w.coordinator, participant=w.reporter)
    with pytest.raises(CaseNotFound):
        participant_for_reporter(tracking_id=w.report.tracking_id, secret=w.secret)
