"""The account page: the interface language saved per user, and API tokens shown once."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client

from vulndesk.server.accounts.models import ApiToken, UserProfile
from vulndesk.server.accounts.tokens import api_token_create, api_token_user

pytestmark = pytest.mark.django_db


def test_the_language_is_saved_and_used(user_client: Client, analyst: Any) -> None:
    response = user_client.post("/account/language/", {"language": "ja"})
    assert response.status_code == 302
    assert UserProfile.objects.get(user=analyst).language == "ja"
    assert user_client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "ja"
    page = user_client.get("/account/").content.decode()
    assert "言語を保存しました。" in page and '<option value="ja" selected>' in page
    user_client.post("/account/language/", {"language": ""})
    assert UserProfile.objects.get(user=analyst).language == ""
    assert user_client.post("/account/language/", {"language": "xx"}).status_code == 400


def test_a_token_is_shown_once_and_can_be_revoked(user_client: Client, analyst: Any) -> None:
    response = user_client.post("/account/tokens/", {"name": "ci"})
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    raw = re.search(r'<code class="token">(vd_[^<]+)</code>', response.content.decode())
    assert raw is not None and api_token_user(raw.group(1)) == analyst
    again = user_client.get("/account/").content.decode()
    assert raw.group(1) not in again and ApiToken.objects.get().prefix in again
    token = ApiToken.objects.get()
    assert user_client.post(f"/account/tokens/{token.pk}/revoke/").status_code == 302
    assert api_token_user(raw.group(1)) is None
    assert "revoked" in user_client.get("/account/").content.decode()


def test_expiry_dates_are_checked(user_client: Client) -> None:
    past = user_client.post("/account/tokens/", {"name": "old", "expires_on": "2001-01-01"})
    assert past.status_code == 400 and not ApiToken.objects.exists()
    future = user_client.post("/account/tokens/", {"name": "new", "expires_on": "2099-12-31"})
    assert future.status_code == 200
    assert ApiToken.objects.get().expires_at.isoformat() == "2100-01-01T00:00:00+00:00"


def test_another_users_token_is_404(user_client: Client, db: None) -> None:
    other = get_user_model().objects.create_user("other")
    token, _ = api_token_create(user=other, name="theirs", acting_user=other)
    assert user_client.post(f"/account/tokens/{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    assert "theirs" not in user_client.get("/account/").content.decode()
