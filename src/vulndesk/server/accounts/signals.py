"""Signal receivers of the accounts app (connected in ``AccountsConfig.ready``)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from vulndesk.server.accounts.lockout import login_failure_record


@receiver(user_login_failed, dispatch_uid="vulndesk.accounts.lockout")
def login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    """Count a failed login towards locking its user name (``accounts.lockout``)."""
    username = credentials.get("username")
    if isinstance(username, str) and username:
        login_failure_record(username=username, request=request)
