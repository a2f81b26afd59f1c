"""API routes of the accounts app: a user's own API tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema, Status

from vulndesk.server.accounts import tokens
from vulndesk.server.accounts.models import ApiToken
from vulndesk.server.api_fields import DbId, Name, UtcDatetime
from vulndesk.server.api_pagination import Page, PageParams, paginate

router = Router(tags=["tokens"])


class TokenOut(Schema):
    """An API token as its owner sees it later: never the token itself, only its prefix."""

    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None


class TokenCreatedOut(TokenOut):
    """A new API token, with the token itself: shown this once, stored only as a digest."""

    token: str


class TokenIn(Schema):
    """What a new token is called and, optionally, when it stops working."""

    name: Annotated[Name, Field(max_length=100)]
    expires_at: UtcDatetime | None = Field(
        None, description="when the token stops working (with a time zone); none: never"
    )


@router.get("/tokens", response=Page[TokenOut])
def token_list(request: HttpRequest, page: Query[PageParams]) -> dict[str, Any]:
    """Return the caller's API tokens, newest first (revoked and expired ones too)."""
    return paginate(tokens.api_token_list(user=request.auth), page)


@router.post("/tokens", response={201: TokenCreatedOut})
def token_create(request: HttpRequest, body: TokenIn) -> Status[dict[str, Any]]:
    """Create an API token for the caller; return it with the token, which is never shown again."""
    token, raw = tokens.api_token_create(
        user=request.auth, name=body.name, expires_at=body.expires_at, acting_user=request.auth
    )
    return Status(201, {**_token_fields(token), "token": raw})


@router.delete("/tokens/{token_id}", response={204: None})
def token_revoke(request: HttpRequest, token_id: DbId) -> Status[None]:
    """Revoke one of the caller's API tokens (404 for anyone else's)."""
    token = tokens.api_token_get(user=request.auth, token_id=token_id)
    if token is None:
        raise Http404("no such token")
    tokens.api_token_revoke(token=token, acting_user=request.auth)
    return Status(204, None)


def _token_fields(token: ApiToken) -> dict[str, Any]:
    return TokenOut.model_validate(token).model_dump()
