"""Writing a user's own preferences (``accounts.UserProfile``) from the account page.

A service in the styleguide's sense (keyword-only, one transaction, an audit row). It lives here
because the web interface is its only caller so far; it belongs with accounts.services once
another caller needs it.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction

from vulndesk.core.errors import InputError
from vulndesk.server.accounts.models import UserProfile
from vulndesk.server.audit.services import audit_record


@transaction.atomic
def profile_language_set(*, user: Any, language: str, acting_user: Any) -> UserProfile:
    """Save ``user``'s interface language ("" for the browser's) and return their profile."""
    if language and language not in dict(settings.LANGUAGES):
        raise InputError(f"unknown interface language {language!r}")
    profile, _ = UserProfile.objects.select_for_update().get_or_create(user=user)
    if profile.language != language:
        before = profile.language
        profile.language = language
        profile.save(update_fields=["language"])
        audit_record(
            action="profile.language",
            object_type="user",
            object_id=str(user.pk),
            data={"language": language, "before": before},
            acting_user=acting_user,
        )
    return profile
