"""Locking a user name after repeated failed logins, through the real login page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from vulndesk.server.accounts.lockout import (
    MAX_FAILURES,
    LoginLocked,
    login_failure_record,
    login_is_locked,
    login_unlock,
)
from vulndesk.server.accounts.models import LoginFailure
from vulndesk.server.audit.models import AuditEvent

PASSWORD = "the-right-password-1"
LOCKED = "Too many failed logins: this user name is locked"
WRONG = "Please enter a correct"


@pytest.fixture
def alice(db: None):
    return get_user_model().objects.create_user("alice", password=PASSWORD)


def _login(client: Client, username: str, password: str):
    return client.post(reverse("web:login"), {"username": username, "password": password})


def _fail(client: Client, username: str, times: int = MAX_FAILURES) -> None:
    for _ in range(times):
        response = _login(client, username, "wrong")
        assert response.status_code == 200 and WRONG in response.content.decode()


def test_the_right_password_logs_in(client: Client, alice) -> None:
    _fail(client, "alice", MAX_FAILURES - 1)
    response = _login(client, "alice", PASSWORD)
    assert response.status_code == 302
    # a success forgets the failures
    assert not LoginFailure.objects.filter(username="alice").exists()


def test_five_failures_lock_even_the_right_password(client: Client, alice) -> None:
    _fail(client, "alice")
    response = _login(client, "alice", PASSWORD)
    assert response.status_code == 200
    assert LOCKED in response.content.decode()
    assert "_auth_user_id" not in client.session
    event = AuditEvent.objects.get(action="login.lock")
    assert event.object_id == "alice" and event.data["failures"] == MAX_FAILURES


def test_an_unknown_user_name_is_locked_the_same_way(client: Client, alice) -> None:
    _fail(client, "mallory")
    _fail(client, "alice")
    unknown = _alert(_login(client, "mallory", "anything").content.decode())
    known = _alert(_login(client, "alice", "anything").content.decode())
    # the page says the same whether the user exists or not
    assert LOCKED in unknown
    assert unknown == known


def _alert(page: str) -> str:
    found = re.search(r'<div class="alert[^>]*>(.*?)</div>', page, re.S)
    assert found, page
    return found.group(1)


def test_the_lock_is_per_user_name(client: Client, alice) -> None:
    get_user_model().objects.create_user("bob", password=PASSWORD)
    _fail(client, "alice")
    assert _login(client, "bob", PASSWORD).status_code == 302


def test_the_lock_expires(client: Client, alice) -> None:
    _fail(client, "alice")
    assert login_is_locked("alice")
    LoginFailure.objects.filter(username="alice").update(
        locked_until=timezone.now() - timedelta(seconds=1)
    )
    assert not login_is_locked("alice")
    assert _login(client, "alice", PASSWORD).status_code == 302


def test_failures_far_apart_do_not_lock(db: None) -> None:
    now = timezone.now()
    for n in range(MAX_FAILURES * 2):
        assert not login_failure_record(username="alice", now=now + n * timedelta(minutes=16))
    assert not login_is_locked("alice", now=now + 2 * MAX_FAILURES * timedelta(minutes=16))


def test_failures_while_locked_do_not_extend_it(db: None) -> None:
    now = timezone.now()
    for _ in range(MAX_FAILURES - 1):
        assert not login_failure_record(username="alice", now=now)
    assert login_failure_record(username="alice", now=now)
    assert not login_failure_record(username="alice", now=now + timedelta(minutes=10))
    assert login_is_locked("alice", now=now + timedelta(minutes=14))
    assert not login_is_locked("alice", now=now + timedelta(minutes=16))
    # after the lock, counting starts again
    assert not login_failure_record(username="alice", now=now + timedelta(minutes=16))
    assert LoginFailure.objects.get(username="alice").failures == 1


def test_unlock_is_audited(alice) -> None:
    for _ in range(MAX_FAILURES):
        login_failure_record(username="alice")
    assert login_unlock(username="alice", acting_user=alice)
    assert not login_is_locked("alice")
    assert AuditEvent.objects.filter(action="login.unlock", object_id="alice").exists()


def test_authenticate_raises_for_a_locked_name(client: Client, alice) -> None:
    _fail(client, "alice")
    with pytest.raises(LoginLocked):
        client.login(username="alice", password=PASSWORD)
