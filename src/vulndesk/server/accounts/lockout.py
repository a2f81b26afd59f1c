"""Locking a user name after repeated failed logins.

``MAX_FAILURES`` failed logins, each within ``WINDOW`` of the one before, lock the user name for
``LOCK_FOR``: while locked, even the right password is refused. The lock is per user name as
typed, whether or not such a user exists, so the login page's message ("this user name is
locked") tells an attacker nothing about which accounts exist, and locking is just as quick
for a name that does not exist (no password is checked either way).

Two parts (settings.AUTHENTICATION_BACKENDS, ``accounts.signals``):

- :class:`LockoutBackend`, Django's ModelBackend behind a lock check. A locked user name raises
  :class:`LoginLocked`, a ValidationError, so the login form (and the admin's) shows why;
  code that calls ``authenticate()`` outside a form must catch it. A successful login forgets
  the user name's failures.
- Django's ``user_login_failed`` signal counts each failure (:func:`login_failure_record`),
  one ``LoginFailure`` row per user name.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vulndesk.server.accounts.models import LoginFailure
from vulndesk.server.audit.services import audit_record

MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)
LOCK_FOR = timedelta(minutes=15)
_USERNAME_MAX = LoginFailure._meta.get_field("username").max_length or 150


class LoginLocked(ValidationError):
    """A login refused because its user name is locked (shown as the form's error)."""

    def __init__(self) -> None:
        super().__init__(
            _(
                "Too many failed logins: this user name is locked for %(minutes)d minutes. "
                "Try again later."
            ),
            code="locked",
            params={"minutes": int(LOCK_FOR.total_seconds() // 60)},
        )


def login_is_locked(username: str, *, now: datetime | None = None) -> bool:
    """Return whether logging in as ``username`` is locked now."""
    now = now or timezone.now()
    return LoginFailure.objects.filter(
        username=username[:_USERNAME_MAX], locked_until__gt=now
    ).exists()


@transaction.atomic
def login_failure_record(
    *, username: str, now: datetime | None = None, request: HttpRequest | None = None
) -> bool:
    """Count a failed login as ``username``; return whether it locked the user name.

    A failure more than WINDOW after the previous one, or after a lock ran out, starts the
    count again; failures while locked are not counted (the lock is not extended). The lock
    is audited.
    """
    now = now or timezone.now()
    username = username[:_USERNAME_MAX]
    row, _ = LoginFailure.objects.select_for_update().get_or_create(
        username=username, defaults={"failures": 0, "last_failure_at": now}
    )
    if row.locked_until is not None and row.locked_until > now:
        return False
    if row.locked_until is not None or now - row.last_failure_at > WINDOW:
        row.failures = 0
        row.locked_until = None
    row.failures += 1
    row.last_failure_at = now
    locked = row.failures >= MAX_FAILURES
    if locked:
        row.locked_until = now + LOCK_FOR
        audit_record(
            action="login.lock",
            object_type="username",
            object_id=username,
            data={
                "failures": row.failures,
                "locked_until": row.locked_until.isoformat(),
                "address": request.META.get("REMOTE_ADDR", "") if request is not None else "",
            },
            actor_label="lockout",
        )
    row.save()
    return locked


def login_failures_clear(*, username: str) -> None:
    """Forget the failed logins of ``username`` (it just logged in)."""
    LoginFailure.objects.filter(username=username[:_USERNAME_MAX]).delete()


@transaction.atomic
def login_unlock(*, username: str, acting_user: Any) -> bool:
    """Lift the lock on ``username`` and forget its failures; return whether it was locked."""
    was_locked = login_is_locked(username)
    deleted, _ = LoginFailure.objects.filter(username=username[:_USERNAME_MAX]).delete()
    if deleted:
        audit_record(
            action="login.unlock",
            object_type="username",
            object_id=username,
            data={"was_locked": was_locked},
            acting_user=acting_user,
        )
    return was_locked


class LockoutBackend(ModelBackend):
    """Django's ModelBackend, refusing locked user names (see the module)."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        """Return the user whose credentials these are, None when they are wrong; raise
        LoginLocked when the user name is locked."""
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if username is None or password is None:
            return None
        if login_is_locked(username):
            raise LoginLocked
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is not None:
            login_failures_clear(username=username)
        return user
