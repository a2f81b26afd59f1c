"""The REST API under ``/api/v1``: authentication, error answers, and one router per app.

Every route, the OpenAPI schema (``/api/v1/openapi.json``) and its docs (``/api/v1/docs``)
included, needs a user: an API token (``Authorization: Bearer vd_...``, accounts.tokens) or the
browser's session, whose unsafe requests must carry the CSRF token as the web interface's do.

Errors are JSON ``{"detail": ...}``: 400 for input we cannot use (with the file and location
when it was a document), 401 without a user, 403 for a missing role, 404 for anything the user
may not see (never 403: a product outside the user's teams does not exist for them), 409 for a
name already taken, 413 for an SBOM past the size limit, 422 for a request that does not fit
the schema.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

import orjson
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError
from ninja.renderers import BaseRenderer
from ninja.security import HttpBearer
from ninja.security.session import SessionAuth

from vulndesk.core.errors import IdentifierError, InputError
from vulndesk.server.accounts.api import router as accounts_router
from vulndesk.server.accounts.tokens import api_token_user
from vulndesk.server.advisories.api import router as advisories_router
from vulndesk.server.compliance.api import router as compliance_router
from vulndesk.server.disclosure.api import router as disclosure_router
from vulndesk.server.feeds.api import router as feeds_router
from vulndesk.server.findings.api import router as findings_router
from vulndesk.server.inventory.api import router as inventory_router
from vulndesk.server.inventory.services import AlreadyExists, SbomTooLarge
from vulndesk.server.jobs.api import router as jobs_router
from vulndesk.server.provider.api import router as provider_router
from vulndesk.server.triage.api_prioritisation import router as prioritisation_router
from vulndesk.server.triage.api_remediation import router as remediation_router
from vulndesk.server.triage.api_vex import router as vex_router

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="vulndesk"'}


class ApiTokenAuth(HttpBearer):
    """``Authorization: Bearer <token>``: the user of an API token (accounts.tokens).

    A request that presents a token is decided by it: a wrong, revoked or expired token is a
    401 even when a session cookie comes along, so a client never silently acts as someone else.
    """

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        """Return the token's user; raise AuthenticationError (401) for a token that is not."""
        user = api_token_user(token.strip())
        if user is None:
            raise AuthenticationError()
        request.user = user
        return user


class LoggedInSession(SessionAuth):
    """Django's session login, as Ninja's ``django_auth``; the CSRF check comes with it.

    A request without a logged-in session is passed over before the CSRF check, so that an
    anonymous POST is answered 401 (no user) rather than 403 (no CSRF token).
    """

    def __call__(self, request: HttpRequest) -> Any:
        """Return the session's user, or None when the session has none."""
        if not request.user.is_authenticated:
            return None
        return super().__call__(request)


class OrjsonRenderer(BaseRenderer):
    """JSON with orjson: several times faster than ``json`` on a page of 500 rows."""

    media_type = "application/json"

    def render(self, request: HttpRequest, data: Any, *, response_status: int) -> bytes:
        """Return ``data`` as JSON bytes."""
        return orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS)


def _docs_need_a_user(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Let only an authenticated user (token or session) read the schema and the docs."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        bearer = scheme.lower() == "bearer"
        if bearer:
            user = api_token_user(token.strip())
        else:
            user = request.user if request.user.is_authenticated else None
        if user is None:
            if not bearer and "text/html" in request.headers.get("Accept", ""):
                return redirect_to_login(request.get_full_path())
            return JsonResponse({"detail": "Unauthorized"}, status=401, headers=_CHALLENGE)
        return view(request, *args, **kwargs)

    return wrapper


#: the error answers the routes give, documented on each operation they apply to
_ERROR_SCHEMA = {
    "title": "Error",
    "type": "object",
    "properties": {
        "detail": {
            "description": "what went wrong: text, or for 422 the list of fields at fault",
            "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "object"}}],
        },
        "source": {"type": ["string", "null"], "description": "400: the document at fault"},
        "location": {"type": ["string", "null"], "description": "400: where in it"},
    },
    "required": ["detail"],
}
_ERRORS = {
    400: "input that cannot be used (the message says what and where)",
    401: "no valid API token and no logged-in session",
    403: "the caller may see the product but lacks the role this needs, or no CSRF token",
    404: "no such object, or one the caller may not see",
    413: "the SBOM is larger than the upload limit",
    415: "the body is of a media type this route does not take",
    422: "the request does not fit this schema",
}


class VulndeskApi(NinjaAPI):
    """Ninja's API, with the error answers documented on every operation of the schema."""

    def get_openapi_schema(self, **kwargs: Any) -> Any:
        """Return the OpenAPI schema, each operation listing the errors it may answer with."""
        schema = super().get_openapi_schema(**kwargs)
        schema["components"].setdefault("schemas", {})["Error"] = _ERROR_SCHEMA
        for operations in schema["paths"].values():
            for method, operation in operations.items():
                responses = operation.setdefault("responses", {})
                for status in _errors_of(method, operation):
                    responses.setdefault(
                        status,
                        {
                            "description": _ERRORS[status],
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Error"}
                                }
                            },
                        },
                    )
        return schema


def _errors_of(method: str, operation: dict[str, Any]) -> list[int]:
    """Return the error statuses an operation may answer with, from its method and inputs."""
    parameters = {(p["in"], p["name"]) for p in operation.get("parameters", [])}
    names_a_product = any(where == "path" for where, _ in parameters) or bool(
        parameters & {("query", "product_id"), ("query", "release_id")}
    )
    body = operation.get("requestBody", {}).get("content", {})
    statuses = [401]
    if method != "get" or operation.get("operationId", "").endswith("grant_list"):
        statuses.append(403)
    if names_a_product:
        statuses.append(404)
    if method in {"post", "put", "patch"}:
        statuses.append(400)
    if "multipart/form-data" in body:
        statuses += [413, 415]
    if parameters or body:
        statuses.append(422)
    return sorted(statuses)


api = VulndeskApi(
    title="vulndesk",
    version="1",
    auth=[ApiTokenAuth(), LoggedInSession()],
    renderer=OrjsonRenderer(),
    urls_namespace="api-v1",
    docs_decorator=_docs_need_a_user,
    description=(
        "Vulnerability handling from SBOM to fix. Authenticate with an API token "
        "(`Authorization: Bearer vd_...`, created at `POST /api/v1/tokens`) or the web "
        "interface's session. Lists take `limit` (at most 500) and `offset` and answer "
        "`{items, limit, offset, next_offset}`; `count=true` adds the exact total. Errors are "
        '`{"detail": ...}`; a product outside the caller\'s teams is a 404 on every route, and a '
        "name or version already taken a 409."
    ),
)


@api.exception_handler(AuthenticationError)
def _unauthorized(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = api.create_response(request, {"detail": "Unauthorized"}, status=401)
    for header, value in _CHALLENGE.items():
        response[header] = value
    return response


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc) or "Forbidden"}, status=403)


@api.exception_handler(InputError)
def _bad_input(request: HttpRequest, exc: InputError) -> HttpResponse:
    status = (
        413 if isinstance(exc, SbomTooLarge) else 409 if isinstance(exc, AlreadyExists) else 400
    )
    body = {"detail": str(exc), "source": exc.source, "location": exc.location}
    return api.create_response(request, body, status=status)


@api.exception_handler(IdentifierError)
def _bad_identifier(request: HttpRequest, exc: IdentifierError) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc)}, status=400)


@api.exception_handler(IntegrityError)
def _conflict(request: HttpRequest, exc: IntegrityError) -> HttpResponse:
    # The services check what they can; a unique constraint still decides races and names.
    detail = "this conflicts with an existing record (a name or version already taken)"
    return api.create_response(request, {"detail": detail}, status=409)


api.add_router("", accounts_router)
api.add_router("", inventory_router)
api.add_router("", findings_router)
api.add_router("", jobs_router)
api.add_router("", advisories_router)
api.add_router("", feeds_router)
api.add_router("", prioritisation_router)
api.add_router("", vex_router)
api.add_router("", remediation_router)
api.add_router("", disclosure_router)
api.add_router("", provider_router)
api.add_router("", compliance_router)
