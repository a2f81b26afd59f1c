"""The interface speaks the logged-in user's chosen language, else the browser's."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from vulndesk.server.accounts.models import UserProfile


@pytest.fixture
def alice(db: None):
    return get_user_model().objects.create_user("alice", password="pw")


def _language(client: Client, **headers: str) -> str:
    response = client.get(reverse("web:dashboard"), headers=headers)
    assert response.status_code == 200
    return response.headers["Content-Language"]


def test_the_users_choice_wins_over_the_browser(client: Client, alice) -> None:
    UserProfile.objects.create(user=alice, language="ja")
    client.force_login(alice)
    assert _language(client, accept_language="en") == "ja"


def test_without_a_choice_the_browser_decides(client: Client, alice) -> None:
    UserProfile.objects.create(user=alice, language="")
    client.force_login(alice)
    assert _language(client, accept_language="ja") == "ja"
    assert _language(client, accept_language="en") == "en"


def test_without_a_profile_the_browser_decides(client: Client, alice) -> None:
    client.force_login(alice)
    assert _language(client, accept_language="ja") == "ja"


def test_logged_out_pages_follow_the_browser(client: Client, db: None) -> None:
    response = client.get(reverse("web:login"), headers={"accept_language": "ja"})
    assert response.headers["Content-Language"] == "ja"
