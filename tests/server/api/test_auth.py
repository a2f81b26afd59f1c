"""Authentication: API tokens (valid, wrong, revoked, expired, hashed at rest), the browser
session with its CSRF check, and the token routes a user manages their own tokens with."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from vulndesk.server.accounts.models import ApiToken
from vulndesk.server.accounts.tokens import (
    api_token_create,
    api_token_revoke,
    api_token_user,
)
from vulndesk.server.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

URL = "/api/v1/products"


def bearer(raw: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {raw}"}


def test_a_valid_token_authenticates(client: Client, world: Any) -> None:
    token, raw = api_token_create(user=world.alice, name="ci", acting_user=world.alice)
    assert raw.startswith("vd_") and len(raw) == 46
    assert token.prefix == raw[:11]
    response = client.get(URL, headers=bearer(raw))
    assert response.status_code == 200
    assert [p["name"] for p in response.json()["items"]] == ["shop"]


@pytest.mark.parametrize(
    "header",
    [
        "Bearer vd_" + "A" * 43,  # well formed, unknown
        "Bearer not-a-token",
        "Bearer ",
        "Token vd_whatever",  # another scheme: no user at all
    ],
)
def test_a_wrong_token_is_401(client: Client, world: Any, header: str) -> None:
    response = client.get(URL, headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json() == {"detail": "Unauthorized"}
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_wrong_token_is_not_rescued_by_a_session(client: Client, world: Any) -> None:
    client.force_login(world.alice)
    assert client.get(URL).status_code == 200
    assert client.get(URL, headers=bearer("vd_" + "B" * 43)).status_code == 401


def test_a_revoked_token_is_401(client: Client, world: Any) -> None:
    token, raw = api_token_create(user=world.alice, name="ci")
    assert client.get(URL, headers=bearer(raw)).status_code == 200
    api_token_revoke(token=token, acting_user=world.alice)
    assert client.get(URL, headers=bearer(raw)).status_code == 401
    assert api_token_user(raw) is None


def test_an_expired_token_is_401(client: Client, world: Any) -> None:
    token, raw = api_token_create(
        user=world.alice, name="ci", expires_at=timezone.now() + timedelta(hours=1)
    )
    assert client.get(URL, headers=bearer(raw)).status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get(URL, headers=bearer(raw)).status_code == 401


def test_the_token_of_a_deactivated_user_is_401(client: Client, world: Any) -> None:
    _, raw = api_token_create(user=world.alice, name="ci")
    world.alice.is_active = False
    world.alice.save()
    assert client.get(URL, headers=bearer(raw)).status_code == 401


def test_tokens_are_hashed_at_rest(world: Any) -> None:
    token, raw = api_token_create(user=world.alice, name="ci", acting_user=world.alice)
    secret = raw.removeprefix("vd_")
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_apitoken")
        stored = repr(cursor.fetchall())
        cursor.execute("SELECT * FROM audit_auditevent")
        audited = repr(cursor.fetchall())
    assert token.digest in stored
    assert secret[8:] not in stored and secret[8:] not in audited
    assert raw not in stored and raw not in audited
    # the prefix alone (shown in lists) does not authenticate
    assert api_token_user(token.prefix) is None


def test_last_use_is_written_at_most_once_a_minute(client: Client, world: Any) -> None:
    token, raw = api_token_create(user=world.alice, name="ci")
    assert token.last_used_at is None
    client.get(URL, headers=bearer(raw))
    first = ApiToken.objects.get(pk=token.pk).last_used_at
    assert first is not None
    client.get(URL, headers=bearer(raw))
    assert ApiToken.objects.get(pk=token.pk).last_used_at == first
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - timedelta(minutes=2))
    client.get(URL, headers=bearer(raw))
    assert ApiToken.objects.get(pk=token.pk).last_used_at > first


def test_creating_a_token_refuses_a_past_expiry(world: Any) -> None:
    from vulndesk.core.errors import InputError

    with pytest.raises(InputError, match="not in the future"):
        api_token_create(user=world.alice, name="ci", expires_at=timezone.now())
    with pytest.raises(InputError, match="needs a name"):
        api_token_create(user=world.alice, name="  ")


# -- anonymous requests and the session ----------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/api/v1/products"),
        ("post", "/api/v1/products"),
        ("get", "/api/v1/findings"),
        ("get", "/api/v1/tokens"),
        ("post", "/api/v1/tokens"),
        ("get", "/api/v1/advisories/PYSEC-2023-74"),
        ("get", "/api/v1/openapi.json"),
    ],
)
def test_anonymous_requests_are_401(world: Any, method: str, url: str) -> None:
    client = Client(enforce_csrf_checks=True)
    response = getattr(client, method)(url, {}, content_type="application/json")
    assert response.status_code == 401
    assert response.json() == {"detail": "Unauthorized"}


def test_the_docs_send_a_browser_to_the_login_page(world: Any) -> None:
    response = Client().get("/api/v1/docs", headers={"Accept": "text/html"})
    assert response.status_code == 302
    assert "next=/api/v1/docs" in response["Location"]


def test_the_session_works_and_unsafe_methods_need_its_csrf_token(world: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.alice)
    assert client.get(URL).status_code == 200
    body = {"name": "from the browser", "team_id": world.owners.pk}
    refused = client.post(URL, body, content_type="application/json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    # the CSRF cookie the web pages set, sent back in the header as the pages' scripts do
    client.get("/api/v1/docs")
    token = client.cookies["csrftoken"].value
    accepted = client.post(
        URL, body, content_type="application/json", headers={"X-CSRFToken": token}
    )
    assert accepted.status_code == 201, accepted.content


def test_a_token_needs_no_csrf_token(world: Any) -> None:
    _, raw = api_token_create(user=world.alice, name="ci")
    client = Client(enforce_csrf_checks=True, headers=bearer(raw))
    response = client.post(
        URL, {"name": "from ci", "team_id": world.owners.pk}, content_type="application/json"
    )
    assert response.status_code == 201


def test_the_schema_and_docs_are_served_to_a_user(
    as_user: Callable[[Any], Client], world: Any
) -> None:
    client = as_user(world.victor)
    schema = client.get("/api/v1/openapi.json").json()
    assert schema["info"]["title"] == "vulndesk"
    assert "/api/v1/findings" in schema["paths"]
    assert "/api/v1/advisories/{advisory_id}" in schema["paths"]
    assert set(schema["components"]["securitySchemes"]) >= {"ApiTokenAuth", "LoggedInSession"}
    assert client.get("/api/v1/docs").status_code == 200


# -- the token routes ------------------------------------------------------------------------------


def test_a_user_creates_lists_and_revokes_their_tokens(
    as_user: Callable[[Any], Client], world: Any
) -> None:
    client = as_user(world.alice)  # holds the token "tests"
    expires = (timezone.now() + timedelta(days=30)).isoformat()
    created = client.post(
        "/api/v1/tokens", {"name": "deploy", "expires_at": expires}, content_type="application/json"
    )
    assert created.status_code == 201
    body = created.json()
    raw = body["token"]
    assert raw.startswith(body["prefix"]) and body["name"] == "deploy"
    assert body["expires_at"] is not None and body["revoked_at"] is None
    assert Client().get(URL, headers=bearer(raw)).status_code == 200

    listed = client.get("/api/v1/tokens").json()
    assert [t["name"] for t in listed["items"]] == ["deploy", "tests"]
    assert all("token" not in t for t in listed["items"])
    assert listed["next_offset"] is None

    assert client.delete(f"/api/v1/tokens/{body['id']}").status_code == 204
    assert Client().get(URL, headers=bearer(raw)).status_code == 401
    revoked = client.get("/api/v1/tokens").json()["items"][0]
    assert revoked["revoked_at"] is not None
    actions = list(
        AuditEvent.objects.filter(object_type="api_token").values_list("action", "actor")
    )
    assert ("api_token.create", world.alice.pk) in actions
    assert ("api_token.revoke", world.alice.pk) in actions


def test_another_users_token_is_404(as_user: Callable[[Any], Client], world: Any) -> None:
    token, raw = api_token_create(user=world.victor, name="victor's")
    client = as_user(world.alice)
    assert client.delete(f"/api/v1/tokens/{token.pk}").status_code == 404
    assert Client().get(URL, headers=bearer(raw)).status_code == 200
    assert [t["name"] for t in client.get("/api/v1/tokens").json()["items"]] == ["tests"]


@pytest.mark.parametrize(
    "body",
    [
        {"name": ""},
        {"name": "x" * 101},
        {"name": "ci", "expires_at": "2030-01-01T00:00:00"},  # no time zone
        {"name": "nul\x00"},
    ],
)
def test_a_bad_token_request_is_422(
    as_user: Callable[[Any], Client], world: Any, body: dict[str, Any]
) -> None:
    response = as_user(world.alice).post("/api/v1/tokens", body, content_type="application/json")
    assert response.status_code == 422


def test_an_expiry_in_the_past_is_400(as_user: Callable[[Any], Client], world: Any) -> None:
    response = as_user(world.alice).post(
        "/api/v1/tokens",
        {"name": "ci", "expires_at": "2001-01-01T00:00:00Z"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "not in the future" in response.json()["detail"]
