"""Staff pages of disclosure: the report queue and a report's page (triagers only), cases (their
participants only: 404 for everyone else, superusers included), the invitation page, and each
change a case page offers."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from server.disclosure import disclosure_world
from server.disclosure.disclosure_world import (
    CaseWorld,
    World,
    actor,
    make_user,
    release_with,
    submit,
)
from vulndesk.server.disclosure import services
from vulndesk.server.disclosure.attachments import Upload
from vulndesk.server.disclosure.models import (
    CaseMessage,
    CaseRelease,
    CaseVulnerability,
    Participant,
    Report,
    ReportMessage,
    VendorStatus,
)

pytestmark = pytest.mark.django_db

# the disclosure tests' fixtures (disclosure_world), used here by name
case_world = disclosure_world.case_world
world = disclosure_world.world

RANGE = "vers:pypi/>=2.3.0|<2.31.0"


def logged_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def case_urls(case_id: int, anchor: dict[str, int]) -> list[tuple[str, str]]:
    """Every case URL as (method, url)."""
    c = case_id
    return [
        ("get", reverse("web:case-detail", args=[c])),
        ("post", reverse("web:case-seen", args=[c])),
        ("post", reverse("web:case-message", args=[c])),
        ("get", reverse("web:case-file", args=[c, anchor["attachment"]])),
        ("post", reverse("web:case-invite", args=[c])),
        ("post", reverse("web:participant-flag", args=[c, anchor["participant"]])),
        ("post", reverse("web:case-flag", args=[c])),
        ("post", reverse("web:case-embargo", args=[c])),
        ("post", reverse("web:vulnerability-add", args=[c])),
        ("post", reverse("web:vendor-status", args=[c, anchor["vulnerability"]])),
        ("post", reverse("web:releases-add-affected", args=[c, anchor["vulnerability"]])),
        ("post", reverse("web:vendor-status-approve", args=[c, anchor["status"]])),
        ("post", reverse("web:case-close", args=[c])),
    ]


@pytest.fixture
def filled(case_world: CaseWorld) -> dict[str, int]:
    """A message with a file, a vulnerability and Acme's status in the case."""
    cw = case_world
    message = services.case_message_post(
        actor=cw.acme,
        body="Our patch is ready.",
        attachments=[Upload("patch.txt", b"--- a\n+++ b\n")],
    )
    vulnerability = services.case_vulnerability_add(
        actor=cw.coordinator,
        title="SQL injection",
        component_purl="pkg:pypi/requests",
        affected_range=RANGE,
    )
    status = services.vendor_status_set(
        actor=cw.acme, vulnerability=vulnerability, status="affected"
    )
    return {
        "attachment": message.attachments.get().pk,
        "participant": cw.acme.pk,
        "vulnerability": vulnerability.pk,
        "status": status.pk,
    }


# -- who sees what --------------------------------------------------------------------------------


def test_staff_pages_send_anonymous_users_to_the_login(
    client: Client, case_world: CaseWorld
) -> None:
    urls = [
        reverse("web:report-list"),
        reverse("web:report-detail", args=[case_world.report.tracking_id]),
        reverse("web:case-list"),
        reverse("web:case-detail", args=[case_world.case.pk]),
        reverse("web:invitation-accept", args=["vdi_x"]),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"], url


def test_reports_are_for_the_organisations_triagers(case_world: CaseWorld) -> None:
    w = case_world.world
    report, _ = submit(w, title="Second report")
    detail = reverse("web:report-detail", args=[report.tracking_id])
    cora = logged_in(w.cora)
    listing = cora.get(reverse("web:report-list")).content.decode()
    assert report.tracking_id in listing and case_world.report.tracking_id in listing
    assert cora.get(detail).status_code == 200
    assert logged_in(w.root).get(detail).status_code == 200
    for user in (w.oscar, w.paula, w.vera):  # paula: the permission, but not of this organisation
        client = logged_in(user)
        assert report.tracking_id not in client.get(reverse("web:report-list")).content.decode()
        assert client.get(detail).status_code == 404
        assert (
            client.post(
                reverse("web:report-state", args=[report.tracking_id]), {"state": "valid"}
            ).status_code
            == 404
        )
        assert (
            client.post(reverse("web:report-accept", args=[report.tracking_id])).status_code == 404
        )
    report.refresh_from_db()
    assert report.state == "received"


def test_the_nav_shows_reports_to_triagers_only(case_world: CaseWorld) -> None:
    w = case_world.world
    assert 'href="/reports/"' in logged_in(w.cora).get(reverse("web:case-list")).content.decode()
    page = logged_in(w.vera).get(reverse("web:case-list")).content.decode()
    assert 'href="/cases/"' in page and 'href="/reports/"' not in page


def test_a_case_is_404_on_every_url_for_non_participants(
    case_world: CaseWorld, filled: dict[str, int]
) -> None:
    w = case_world.world
    stranger_urls = case_urls(case_world.case.pk, filled)
    for user in (w.oscar, w.root, w.paula):
        client = logged_in(user)
        for method, url in stranger_urls:
            assert getattr(client, method)(url).status_code == 404, (user, url)
    services.participant_remove(actor=case_world.coordinator, participant=case_world.bolt)
    client = logged_in(w.vince)
    for method, url in stranger_urls:
        assert getattr(client, method)(url).status_code == 404, ("removed", url)
    assert case_world.case.identifier not in client.get(reverse("web:case-list")).content.decode()
    assert CaseVulnerability.objects.count() == 1 and CaseMessage.objects.count() == 1


def test_each_participant_sees_the_case(case_world: CaseWorld, filled: dict[str, int]) -> None:
    w = case_world.world
    for user in (w.cora, w.vera, w.vince, w.olga):
        response = logged_in(user).get(reverse("web:case-detail", args=[case_world.case.pk]))
        assert response.status_code == 200, user
        assert "Our patch is ready." in response.content.decode()


def test_objects_of_another_case_are_404(case_world: CaseWorld, filled: dict[str, int]) -> None:
    cw = case_world
    other = services.case_create(
        organisation=cw.world.organisation, title="Other", acting_user=cw.world.cora
    )
    cora = logged_in(cw.world.cora)
    assert (
        cora.get(reverse("web:case-file", args=[other.pk, filled["attachment"]])).status_code == 404
    )
    url = reverse("web:vendor-status-approve", args=[other.pk, filled["status"]])
    assert cora.post(url).status_code == 404
    assert (
        cora.post(
            reverse("web:case-message", args=[other.pk]),
            {"body": "x", "parent": CaseMessage.objects.get().pk},
        ).status_code
        == 404
    )


# -- reports --------------------------------------------------------------------------------------


def test_a_triager_validates_answers_and_accepts_a_report(world: World) -> None:
    report, _ = submit(world)
    client = logged_in(world.cora)
    detail = reverse("web:report-detail", args=[report.tracking_id])
    page = client.get(detail).content.decode()
    # from received: valid or invalid, nothing else
    assert re.findall(r'name="state" value="(\w+)"', page) == ["invalid", "valid"]
    assert 'id="accept"' not in page
    client.post(reverse("web:report-state", args=[report.tracking_id]), {"state": "valid"})
    report.refresh_from_db()
    assert report.state == "valid"
    # a refused transition is explained, not applied
    response = client.post(
        reverse("web:report-state", args=[report.tracking_id]), {"state": "received"}, follow=True
    )
    assert "cannot become" in response.content.decode()
    file = SimpleUploadedFile("fix.txt", b"apply this", "text/plain")
    response = client.post(
        reverse("web:report-message", args=[report.tracking_id]),
        {"body": "Confirmed.", "attachments": [file]},
    )
    assert response.status_code == 302
    assert ReportMessage.objects.get().author == world.cora
    response = client.post(reverse("web:report-message", args=[report.tracking_id]), {"body": ""})
    assert response.status_code == 400
    response = client.post(
        reverse("web:report-accept", args=[report.tracking_id]), {"title": "", "summary": ""}
    )
    report.refresh_from_db()
    assert report.state == "accepted" and report.case is not None
    assert response["Location"] == reverse("web:case-detail", args=[report.case_id])
    assert actor(report.case, world.cora).role == "coordinator"
    attachment = ReportMessage.objects.get().attachments.get()
    download = client.get(reverse("web:report-file", args=[report.tracking_id, attachment.pk]))
    assert download.status_code == 200 and download["X-Content-Type-Options"] == "nosniff"


# -- cases ----------------------------------------------------------------------------------------


def test_the_case_list_counts_unseen_messages(case_world: CaseWorld) -> None:
    cw = case_world
    services.case_mark_seen(actor=cw.acme)
    services.case_message_post(actor=cw.coordinator, body="one")
    services.case_message_post(actor=cw.coordinator, body="two")
    services.case_message_post(actor=cw.acme, body="mine")
    vera = logged_in(cw.world.vera)
    response = vera.get(reverse("web:case-list"))
    row = response.context["rows"][0]
    assert row["case"] == cw.case and row["unseen"] == 2
    assert "Vfdpxa" in response.content.decode() or "vfdpxa" in response.content.decode()
    # opening the page (GET) changes nothing; the page's POST marks the case seen
    vera.get(reverse("web:case-detail", args=[cw.case.pk]))
    assert vera.get(reverse("web:case-list")).context["rows"][0]["unseen"] == 2
    assert vera.post(reverse("web:case-seen", args=[cw.case.pk])).status_code == 204
    assert vera.get(reverse("web:case-list")).context["rows"][0]["unseen"] == 0


def test_an_invitation_link_is_shown_once_and_binds_the_user(case_world: CaseWorld) -> None:
    cw = case_world
    cora = logged_in(cw.world.cora)
    url = reverse("web:case-invite", args=[cw.case.pk])
    response = cora.post(
        url, {"email": "psirt@carbon.example", "role": "vendor", "organisation_name": "Carbon"}
    )
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    link = re.search(r'id="invitation-link">(http[^<]+)<', response.content.decode())
    assert link is not None
    path = link[1].split("testserver", 1)[1]
    assert "vdi_" in path
    # the link holds the secret: not stored in clear
    assert (
        path.split("/")[-2]
        not in Participant.objects.get(email="psirt@carbon.example").invitation_digest
    )
    # a vendor may not invite
    assert (
        logged_in(cw.world.vera).post(url, {"email": "x@example.org", "role": "vendor"}).status_code
        == 403
    )
    # bad input stays on the page
    response = cora.post(url, {"email": "not an address", "role": "vendor"})
    assert response.status_code == 400 and "email" in response.context["invite_form"].errors
    carla = make_user("carla")
    client = logged_in(carla)
    page = client.get(path)
    assert page.status_code == 200 and page["Referrer-Policy"] == "strict-origin"
    assert cw.case.title not in page.content.decode()
    assert Participant.objects.get(email="psirt@carbon.example").user is None  # GET changes nothing
    response = client.post(path)
    assert response["Location"] == reverse("web:case-detail", args=[cw.case.pk])
    joined = Participant.objects.get(email="psirt@carbon.example")
    assert joined.user == carla and joined.vendor_aware_at is not None
    assert client.get(reverse("web:case-detail", args=[cw.case.pk])).status_code == 200
    # used once
    response = logged_in(cw.world.oscar).post(path)
    assert response.status_code == 400 and "not valid" in response.content.decode()


def test_the_embargo_is_proposed_at_noon_utc_and_accepted(case_world: CaseWorld) -> None:
    cw = case_world
    url = reverse("web:case-embargo", args=[cw.case.pk])
    day = date.today() + timedelta(days=45)
    vera = logged_in(cw.world.vera)
    vera.post(url, {"action": "propose", "end_date": day.isoformat(), "end_time": ""})
    cw.case.refresh_from_db()
    assert cw.case.embargo_state == "proposed"
    assert cw.case.embargo_end_at == datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
    assert vera.post(url, {"action": "accept"}).status_code == 403  # coordinators decide
    cora = logged_in(cw.world.cora)
    page = cora.get(reverse("web:case-detail", args=[cw.case.pk])).content.decode()
    assert 'value="accept"' in page
    cora.post(url, {"action": "accept"})
    cw.case.refresh_from_db()
    assert cw.case.embargo_state == "active"
    # a date in the past is refused with the rule's message
    response = cora.post(
        url, {"action": "propose", "end_date": "2001-01-01", "end_time": "09:00"}, follow=True
    )
    assert "is not in the future" in response.content.decode()
    # P during the embargo ends it
    response = cora.post(
        reverse("web:case-flag", args=[cw.case.pk]), {"flag": "public_aware"}, follow=True
    )
    cw.case.refresh_from_db()
    assert cw.case.embargo_state == "exited" and cw.case.public_aware_at is not None
    assert "the embargo has ended" in response.content.decode()


def test_vendors_record_statuses_and_see_only_approved_ones(case_world: CaseWorld) -> None:
    cw = case_world
    cora, vera, vince = (logged_in(u) for u in (cw.world.cora, cw.world.vera, cw.world.vince))
    response = cora.post(
        reverse("web:vulnerability-add", args=[cw.case.pk]),
        {"title": "SQL injection", "cve_id": "CVE-2026-12345", "cwe": "CWE-89"},
    )
    vulnerability = CaseVulnerability.objects.get()
    assert response["Location"].endswith(f"#v{vulnerability.pk}")
    bad = cora.post(
        reverse("web:vulnerability-add", args=[cw.case.pk]), {"title": "x", "cve_id": "CVE-1"}
    )
    assert bad.status_code == 400 and "is not a CVE id" in bad.content.decode()
    assert (
        vera.post(reverse("web:vulnerability-add", args=[cw.case.pk]), {"title": "x"}).status_code
        == 403
    )
    status_url = reverse("web:vendor-status", args=[cw.case.pk, vulnerability.pk])
    prefix = f"v{vulnerability.pk}"
    vera.post(
        status_url, {f"{prefix}-status": "affected", f"{prefix}-statement": "Acme 2.x is affected"}
    )
    vince.post(
        status_url,
        {f"{prefix}-status": "not_affected", f"{prefix}-statement": "Bolt never used it"},
    )
    acme = VendorStatus.objects.get(vendor=cw.acme)
    detail = reverse("web:case-detail", args=[cw.case.pk])
    assert "Bolt never used it" not in vera.get(detail).content.decode()
    assert "Acme 2.x is affected" in vera.get(detail).content.decode()  # its own
    coordinator_page = cora.get(detail).content.decode()
    assert "Bolt never used it" in coordinator_page and "Acme 2.x is affected" in coordinator_page
    assert (
        vince.post(reverse("web:vendor-status-approve", args=[cw.case.pk, acme.pk])).status_code
        == 404
    )
    cora.post(reverse("web:vendor-status-approve", args=[cw.case.pk, acme.pk]))
    acme.refresh_from_db()
    assert acme.approved_at is not None
    assert "Acme 2.x is affected" in vince.get(detail).content.decode()
    assert "Bolt never used it" not in vera.get(detail).content.decode()


def test_vendor_flags_messages_threads_and_closing(case_world: CaseWorld) -> None:
    cw = case_world
    cora, vera = logged_in(cw.world.cora), logged_in(cw.world.vera)
    flag = reverse("web:participant-flag", args=[cw.case.pk, cw.acme.pk])
    vera.post(flag, {"flag": "fix_ready"})
    assert logged_in(cw.world.vince).post(flag, {"flag": "fix_deployed"}).status_code == 403
    cw.acme.refresh_from_db()
    assert cw.acme.vfd == "VFd"
    post = reverse("web:case-message", args=[cw.case.pk])
    file = SimpleUploadedFile("log.txt", b"trace", "text/plain")
    vera.post(post, {"body": "Patch attached.", "attachments": [file]})
    first = CaseMessage.objects.get()
    cora.post(post, {"body": "Thanks, testing.", "parent": first.pk})
    reply = CaseMessage.objects.get(parent=first)
    page = cora.get(reverse("web:case-detail", args=[cw.case.pk]))
    entries = page.context["thread"]
    assert [(e.view.message, e.depth) for e in entries] == [(first, 0), (reply, 1)]
    attachment = first.attachments.get()
    download = cora.get(reverse("web:case-file", args=[cw.case.pk, attachment.pk]))
    assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment")
    refused = SimpleUploadedFile("run.exe", b"MZ\x90\x00", "application/octet-stream")
    response = vera.post(post, {"body": "binary", "attachments": [refused]})
    assert response.status_code == 400 and "not accepted" in response.content.decode()
    assert logged_in(cw.world.olga).post(post, {"body": "observer"}).status_code == 403
    assert vera.post(reverse("web:case-close", args=[cw.case.pk])).status_code == 403
    cora.post(reverse("web:case-close", args=[cw.case.pk]))
    cw.case.refresh_from_db()
    assert cw.case.closed_at is not None
    response = vera.post(post, {"body": "late"}, follow=True)
    assert "is closed" in response.content.decode()


def test_the_impact_of_a_vulnerability_and_adding_its_releases(case_world: CaseWorld) -> None:
    cw = case_world
    w = cw.world
    release_with(w, "1.0", {"requests": "2.28.1"})
    release_with(w, "2.0", {"requests": "2.31.0"})
    release_with(w, "3.0", {"requests": "not.a.version!"})
    vulnerability = services.case_vulnerability_add(
        actor=cw.coordinator,
        title="Proxy leak",
        component_purl="pkg:pypi/requests",
        affected_range=RANGE,
    )
    cora = logged_in(w.cora)
    page = cora.get(reverse("web:case-detail", args=[cw.case.pk]))
    impact = page.context["vulnerabilities"][0]["impact"]
    assert [a.release.version for a in impact.affected] == ["1.0"]
    assert [u.release.version for u in impact.undecided] == ["3.0"]
    text = page.content.decode()
    assert "Affected releases of our products" in text and "Add all to the case" in text
    cora.post(reverse("web:releases-add-affected", args=[cw.case.pk, vulnerability.pk]))
    assert [r.release.version for r in CaseRelease.objects.all()] == ["1.0"]
    # vera (vendor) may not see the shop's products: no impact for her, no releases listed
    vera_page = logged_in(w.vera).get(reverse("web:case-detail", args=[cw.case.pk]))
    assert vera_page.context["vulnerabilities"][0]["impact"].affected == ()
    assert list(vera_page.context["releases"]) == []


def test_a_report_with_a_case_links_to_it(case_world: CaseWorld) -> None:
    page = logged_in(case_world.world.cora).get(
        reverse("web:report-detail", args=[case_world.report.tracking_id])
    )
    assert case_world.case.identifier in page.content.decode()
    assert Report.objects.get().case == case_world.case
