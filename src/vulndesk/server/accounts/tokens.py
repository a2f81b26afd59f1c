"""API tokens: creating and revoking them, and finding the user a presented token belongs to.

A token is ``vd_`` and 32 random bytes in URL-safe base64 (256 bits). Only its SHA-256 digest is
stored, with its first characters (``prefix``) so that a user can tell tokens apart; the token
itself is returned once, by :func:`api_token_create`. A fast digest is enough for a secret of
that entropy (``accounts.models.ApiToken``), and costs a request microseconds, not the tens of
milliseconds a password hash would.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from vulndesk.core.errors import InputError
from vulndesk.server.accounts.models import ApiToken
from vulndesk.server.audit.services import audit_record

TOKEN_SCHEME = "vd_"  # noqa: S105 - what every token starts with, not a secret
#: characters of a token kept in clear to tell it apart: the scheme and 8 of its 43 random ones
PREFIX_LENGTH = len(TOKEN_SCHEME) + 8
_RANDOM_BYTES = 32
_TOKEN_LENGTH = len(TOKEN_SCHEME) + 43  # base64 of 32 bytes, unpadded
#: ``last_used_at`` is written at most this often per token, not on every request
LAST_USED_RESOLUTION = timedelta(minutes=1)


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def api_token_create(
    *,
    user: AbstractBaseUser,
    name: str,
    expires_at: datetime | None = None,
    acting_user: AbstractBaseUser | None = None,
) -> tuple[ApiToken, str]:
    """Create an API token for ``user``; return it and the raw token (shown only this once).

    Raises InputError when ``name`` is empty or ``expires_at`` is not in the future.
    """
    name = name.strip()
    if not name:
        raise InputError("a token needs a name")
    if expires_at is not None:
        if timezone.is_naive(expires_at):
            raise InputError(f"expires_at {expires_at.isoformat()} needs a time zone")
        if expires_at <= timezone.now():
            raise InputError(f"expires_at {expires_at.isoformat()} is not in the future")
    raw = TOKEN_SCHEME + secrets.token_urlsafe(_RANDOM_BYTES)
    token = ApiToken.objects.create(
        user=user,
        name=name[:100],
        prefix=raw[:PREFIX_LENGTH],
        digest=_digest(raw),
        expires_at=expires_at,
    )
    audit_record(
        action="api_token.create",
        object_type="api_token",
        object_id=str(token.pk),
        data={
            "user": user.get_username(),
            "name": token.name,
            "prefix": token.prefix,
            "expires_at": expires_at.isoformat() if expires_at else None,
        },
        acting_user=acting_user,
    )
    return token, raw


@transaction.atomic
def api_token_revoke(*, token: ApiToken, acting_user: AbstractBaseUser | None) -> ApiToken:
    """Revoke ``token`` (it is kept, with when it was revoked) and return it.

    Revoking a revoked token changes nothing and writes no audit row.
    """
    if token.revoked_at is not None:
        return token
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_record(
        action="api_token.revoke",
        object_type="api_token",
        object_id=str(token.pk),
        data={"user": token.user.get_username(), "name": token.name, "prefix": token.prefix},
        acting_user=acting_user,
    )
    return token


def api_token_user(raw: str) -> Any | None:
    """Return the active user a raw token belongs to; None when it is unknown, revoked, expired,
    or its user is deactivated.

    The token is looked up by its digest, so the time the index lookup takes depends on the
    digest, which says nothing about the token (and an attacker cannot choose digests); the
    stored digest is then compared in constant time all the same. ``last_used_at`` moves on at
    most once per :data:`LAST_USED_RESOLUTION`, in one conditional UPDATE, so a busy client
    does not cost a write per request and concurrent requests never wait on each other.
    """
    if len(raw) != _TOKEN_LENGTH or not raw.startswith(TOKEN_SCHEME):
        return None
    digest = _digest(raw)
    token = ApiToken.objects.select_related("user").filter(digest=digest).first()
    if token is None or not hmac.compare_digest(token.digest, digest):
        return None
    now = timezone.now()
    if token.revoked_at is not None or (token.expires_at is not None and token.expires_at <= now):
        return None
    if not token.user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - LAST_USED_RESOLUTION)
        ).update(last_used_at=now)
    return token.user


def api_token_list(*, user: AbstractBaseUser) -> QuerySet[ApiToken]:
    """Return ``user``'s API tokens, newest first (revoked and expired ones included)."""
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-id")


def api_token_get(*, user: AbstractBaseUser, token_id: int) -> ApiToken | None:
    """Return ``user``'s token with this id, or None (another user's token is None too)."""
    return api_token_list(user=user).filter(id=token_id).select_related("user").first()
