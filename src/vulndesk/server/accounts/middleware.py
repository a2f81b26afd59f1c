"""Middleware of the accounts app."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

from vulndesk.server.accounts.models import UserProfile


class UserLanguageMiddleware:
    """Speak the logged-in user's chosen language (``UserProfile.language``).

    Goes after AuthenticationMiddleware. Without a choice (or when logged out), what Django's
    LocaleMiddleware found stays: the language cookie, else the browser's Accept-Language.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.languages = {code for code, _ in settings.LANGUAGES}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            language = (
                UserProfile.objects.filter(user_id=user.pk)
                .values_list("language", flat=True)
                .first()
            )
            if language and language in self.languages:
                translation.activate(language)
                request.LANGUAGE_CODE = language
        return self.get_response(request)
