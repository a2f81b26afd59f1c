"""The account page: the user's interface language and their API tokens."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from vulndesk.core.errors import InputError
from vulndesk.server.accounts.models import UserProfile
from vulndesk.server.accounts.services import profile_language_set
from vulndesk.server.accounts.tokens import (
    api_token_create,
    api_token_get,
    api_token_list,
    api_token_revoke,
)
from vulndesk.server.web.forms.accounts import LanguageForm, TokenForm


def _account_page(
    request: HttpRequest,
    *,
    token_form: TokenForm | None = None,
    new_token: str = "",
    status: int = 200,
) -> HttpResponse:
    profile = UserProfile.objects.filter(user=request.user).first()
    context: dict[str, Any] = {
        "language_form": LanguageForm(initial={"language": profile.language if profile else ""}),
        "token_form": token_form or TokenForm(),
        "tokens": list(api_token_list(user=request.user)),
        "new_token": new_token,
        "now": datetime.now(UTC),
    }
    response = render(request, "web/account.html", context, status=status)
    if new_token:
        add_never_cache_headers(response)  # the token is shown once: no copy in any cache
    return response


@login_required
@require_GET
def account(request: HttpRequest) -> HttpResponse:
    """Show the account page."""
    return _account_page(request)


@login_required
@require_POST
def account_language(request: HttpRequest) -> HttpResponse:
    """Save the user's interface language, and use it from the next page on."""
    form = LanguageForm(request.POST)
    if not form.is_valid():
        return _account_page(request, status=400)
    language = form.cleaned_data["language"]
    try:
        profile_language_set(user=request.user, language=language, acting_user=request.user)
    except InputError:  # the form's choices are the settings' languages: only on a race
        return _account_page(request, status=400)
    response = redirect("web:account")
    # The cookie makes LocaleMiddleware use the language at once; the saved choice carries it to
    # the user's other browsers.
    if language:
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        )
    else:
        response.delete_cookie(settings.LANGUAGE_COOKIE_NAME)
    with translation.override(language or translation.get_language()):
        messages.success(request, _("Language saved."))
    return response


@login_required
@require_POST
def token_create(request: HttpRequest) -> HttpResponse:
    """Create an API token and show it, this once."""
    form = TokenForm(request.POST)
    if not form.is_valid():
        return _account_page(request, token_form=form, status=400)
    expires_on = form.cleaned_data["expires_on"]
    # valid through the whole of the day given (UTC)
    expires_at = (
        datetime.combine(expires_on + timedelta(days=1), time.min, tzinfo=UTC)
        if expires_on
        else None
    )
    try:
        _token, raw = api_token_create(
            user=request.user,
            name=form.cleaned_data["name"],
            expires_at=expires_at,
            acting_user=request.user,
        )
    except InputError:
        form.add_error("expires_on", _("The expiry date must be in the future."))
        return _account_page(request, token_form=form, status=400)
    return _account_page(request, new_token=raw)


@login_required
@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    """Revoke one of the user's API tokens."""
    token = api_token_get(user=request.user, token_id=token_id)
    if token is None:
        raise Http404("no such token")
    api_token_revoke(token=token, acting_user=request.user)
    messages.success(request, _("Token %(name)s revoked.") % {"name": token.name})
    return redirect("web:account")
