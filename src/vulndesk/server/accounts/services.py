"""Writing accounts data: users, their preferences, organisations, teams and their members."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.text import slugify

from vulndesk.core.errors import InputError
from vulndesk.server.accounts.models import Organisation, Team, UserProfile
from vulndesk.server.audit.services import audit_record

DEFAULT_ORGANISATION = "Default"


def organisation_default() -> Organisation:
    """Return the organisation new products go to when none is named (created on first use)."""
    organisation, _ = Organisation.objects.get_or_create(
        slug=slugify(DEFAULT_ORGANISATION), defaults={"name": DEFAULT_ORGANISATION}
    )
    return organisation


@transaction.atomic
def team_create(
    *, organisation: Organisation, name: str, members: Sequence[Any] = (), acting_user: Any = None
) -> Team:
    """Create a team with ``members`` and return it."""
    team = Team.objects.create(organisation=organisation, name=name)
    if members:
        team.members.add(*members)
    audit_record(
        action="team.create",
        object_type="team",
        object_id=str(team.pk),
        data={"name": name, "members": [m.get_username() for m in members]},
        acting_user=acting_user,
    )
    return team


@transaction.atomic
def user_create(
    *, username: str, email: str, password: str, superuser: bool, actor_label: str = "cli"
) -> Any:
    """Create a user (a superuser when asked) with the audit row saying so; return the user."""
    user_model = get_user_model()
    if user_model.objects.filter(username=username).exists():
        raise InputError(f"a user named {username!r} exists already")
    if superuser:
        user = user_model.objects.create_superuser(username, email, password)
    else:
        user = user_model.objects.create_user(username, email, password)
    audit_record(
        action="user.create",
        object_type="user",
        object_id=str(user.pk),
        data={"username": username, "email": email, "superuser": superuser},
        actor_label=actor_label,
    )
    return user


@transaction.atomic
def user_password_reset(*, username: str, password: str, actor_label: str) -> Any:
    """Create the user ``username`` (never staff) or give it ``password`` back and activate it;
    return the user. For the demo login."""
    user, created = get_user_model().objects.get_or_create(username=username)
    user.set_password(password)
    user.is_active = True
    user.save()
    audit_record(
        action="user.password_reset",
        object_type="user",
        object_id=str(user.pk),
        data={"username": username, "created": created},
        actor_label=actor_label,
    )
    return user


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
