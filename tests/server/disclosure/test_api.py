"""The disclosure REST API end to end: a report sent through the API, triaged, accepted into a
case; vendors invited; messages, files, embargo, flags, vulnerabilities, statements and the
affected releases; and the answers for what is refused (400, 403, 409, 422)."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client

from server.disclosure.disclosure_world import World, release_with

pytestmark = pytest.mark.django_db

Clients = Callable[[Any], Client]
JSON = "application/json"


def post(client: Client, url: str, body: Any = None) -> Any:
    return client.post(url, body or {}, content_type=JSON)


def test_a_report_from_intake_to_a_coordinated_case(world: World, as_user: Clients) -> None:
    finder, cora, vera = as_user(world.oscar), as_user(world.cora), as_user(world.vera)

    # a finder with an account reports through the API
    sent = post(
        finder,
        "/api/v1/reports",
        {
            "title": "Token leak",
            "description": "The proxy header is forwarded on redirect.",
            "component_purl": "pkg:pypi/requests@2.28.1",
            "affected_range": "vers:pypi/>=2.3.0|<2.31.0",
            "language": "ja",
            "wants_credit": True,
            "credit_name": "Oscar",
        },
    )
    assert sent.status_code == 201, sent.content
    tracking, secret = sent.json()["tracking_id"], sent.json()["secret"]
    assert secret.startswith("vdr_")
    assert finder.get(f"/api/v1/reports/{tracking}").status_code == 404  # not a triager

    # the coordinator triages it
    listed = cora.get("/api/v1/reports").json()["items"]
    assert [r["tracking_id"] for r in listed] == [tracking]
    assert listed[0]["channel"] == "api" and listed[0]["allowed_next"] == ["invalid", "valid"]
    assert post(cora, f"/api/v1/reports/{tracking}/accept").status_code == 409
    assert post(cora, f"/api/v1/reports/{tracking}/state", {"state": "valid"}).status_code == 200
    written = post(cora, f"/api/v1/reports/{tracking}/messages", {"body": "Confirmed, thanks."})
    assert written.status_code == 201
    accepted = post(cora, f"/api/v1/reports/{tracking}/accept", {"title": "requests leak"})
    assert accepted.status_code == 201, accepted.content
    case = accepted.json()
    assert (case["my_role"], case["vfdpxa"], case["embargo_state"]) == (
        "coordinator",
        "vfdpxa",
        "none",
    )
    detail = cora.get(f"/api/v1/reports/{tracking}").json()
    assert detail["state"] == "accepted" and detail["case"] == case["identifier"]
    assert [m["body"] for m in detail["messages"]] == ["Confirmed, thanks."]
    url = f"/api/v1/cases/{case['id']}"

    # a vendor is invited and joins
    invited = post(
        cora,
        f"{url}/participants",
        {"email": "psirt@acme.example", "role": "vendor", "organisation_name": "Acme"},
    )
    assert invited.status_code == 201
    assert invited.json()["participant"]["pending"] is True
    assert vera.get(url).status_code == 404  # not yet
    joined = post(vera, "/api/v1/invitations/accept", {"secret": invited.json()["secret"]})
    assert joined.status_code == 200 and joined.json()["my_role"] == "vendor"
    assert joined.json()["vfdpxa"] == "Vfdpxa"
    reused = post(as_user(world.olga), "/api/v1/invitations/accept", {"secret": "vdi_x"})
    assert reused.status_code == 400

    # messages and files
    first = post(vera, f"{url}/messages", {"body": "Reproduced."}).json()
    post(cora, f"{url}/messages", {"body": "Thanks", "parent_id": first["id"]})
    file = io.BytesIO(b"curl -H 'Proxy-Authorization: x' http://example/")
    file.name = "poc.sh"
    uploaded = vera.post(f"{url}/attachments", {"file": file, "message_id": first["id"]})
    assert uploaded.status_code == 201, uploaded.content
    download = cora.get(f"{url}/attachments/{uploaded.json()['id']}")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["Content-Type"] == "text/plain"
    assert download.content.startswith(b"curl")
    html = io.BytesIO(b"<html><script>alert(1)</script></html>")
    html.name = "x.txt"
    assert vera.post(f"{url}/attachments", {"file": html}).status_code == 400
    messages = vera.get(f"{url}/messages").json()
    assert [(m["body"], m["unseen"]) for m in messages] == [
        ("Reproduced.", False),
        ("Thanks", True),
    ]
    assert messages[0]["attachments"][0]["file_name"] == "poc.sh"
    post(vera, f"{url}/seen")
    assert [m["unseen"] for m in vera.get(f"{url}/messages").json()] == [False, False]

    # the embargo: proposed by the vendor for a day (noon UTC), accepted by the coordinator
    day = date.today() + timedelta(days=10)
    proposed = post(vera, f"{url}/embargo", {"action": "propose", "end_date": day.isoformat()})
    assert proposed.json()["embargo_end_at"].startswith(f"{day.isoformat()}T12:00:00")
    assert post(vera, f"{url}/embargo", {"action": "accept"}).status_code == 403
    assert post(cora, f"{url}/embargo", {"action": "accept"}).json()["embargo_state"] == "active"
    assert post(cora, f"{url}/embargo", {"action": "accept"}).status_code == 409
    assert post(cora, f"{url}/embargo", {"action": "propose"}).status_code == 400

    # a vulnerability, the vendor's statement, the coordinator's approval
    vulnerability = post(
        cora,
        f"{url}/vulnerabilities",
        {
            "title": "Proxy-Authorization leak",
            "cve_id": "CVE-2023-32681",
            "component_purl": "pkg:pypi/requests",
            "affected_range": "vers:pypi/>=2.3.0|<2.31.0",
        },
    ).json()
    status = vera.put(
        f"{url}/statuses",
        {"vulnerability_id": vulnerability["id"], "status": "affected", "statement": "2.x"},
        content_type=JSON,
    ).json()
    assert status["approved_at"] is None
    approved = post(cora, f"{url}/statuses/{status['id']}/approve").json()
    assert approved["approved_at"] is not None

    # the organisation's own releases it affects, added in one call
    release_with(world, "1.0", {"requests": "2.28.1"})
    release_with(world, "2.0", {"requests": "2.31.0"})
    impact = cora.get(f"{url}/affected-releases?vulnerability_id={vulnerability['id']}").json()
    assert [(a["product"], a["version"]) for a in impact["affected"]] == [("shop", "1.0")]
    added = post(cora, f"{url}/releases", {"vulnerability_id": vulnerability["id"]}).json()
    assert [r["version"] for r in added] == ["1.0"]
    assert [r["version"] for r in vera.get(f"{url}/releases").json()] == ["1.0"]
    assert (
        vera.get(f"{url}/affected-releases?vulnerability_id={vulnerability['id']}").json()[
            "affected"
        ]
        == []
    )

    # flags: the fix is ready, then attacks are seen: the embargo ends
    post(vera, f"{url}/flags", {"flag": "fix_ready"})
    flagged = post(vera, f"{url}/flags", {"flag": "attacks_observed"}).json()
    assert flagged["vfdpxa"] == "VFdpxA" and flagged["embargo_state"] == "exited"
    assert post(vera, f"{url}/close").status_code == 403
    closed = post(cora, f"{url}/close").json()
    assert closed["closed_at"] is not None
    assert post(vera, f"{url}/messages", {"body": "late"}).status_code == 400
    assert [c["identifier"] for c in vera.get("/api/v1/cases").json()["items"]] == [
        case["identifier"]
    ]


def test_bad_input_is_a_422_or_a_400(world: World, as_user: Clients) -> None:
    cora = as_user(world.cora)
    assert post(cora, "/api/v1/reports", {"title": "", "description": "x"}).status_code == 422
    assert post(cora, "/api/v1/reports", {"title": "x"}).status_code == 422
    bad_range = {"title": "x", "description": "y", "affected_range": "1.0 to 2.0"}
    assert post(cora, "/api/v1/reports", bad_range).status_code == 400
    bad_mail = {"title": "x", "description": "y", "reporter_email": "nobody"}
    assert post(cora, "/api/v1/reports", bad_mail).status_code == 400
    nul = {"title": "x", "description": "a\x00b"}
    assert post(cora, "/api/v1/reports", nul).status_code == 422
    assert cora.get("/api/v1/reports/VDR-0000000000").status_code == 422  # not a tracking id
    assert cora.get("/api/v1/cases/0").status_code == 422


def test_only_triagers_open_cases(world: World, as_user: Clients) -> None:
    assert post(as_user(world.oscar), "/api/v1/cases", {"title": "x"}).status_code == 403
    assert post(as_user(world.paula), "/api/v1/cases", {"title": "x"}).status_code == 403
    made = post(as_user(world.cora), "/api/v1/cases", {"title": "Bolt RCE", "summary": "s"})
    assert made.status_code == 201 and made.json()["identifier"].startswith("VDC-")
