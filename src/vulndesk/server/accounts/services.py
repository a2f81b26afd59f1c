"""Writing accounts data: organisations, teams and their members."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils.text import slugify

from vulndesk.server.accounts.models import Organisation, Team
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
def team_member_add(*, team: Team, user: Any, acting_user: Any = None) -> None:
    """Add ``user`` to ``team``."""
    team.members.add(user)
    audit_record(
        action="team.member_add",
        object_type="team",
        object_id=str(team.pk),
        data={"user": user.get_username()},
        acting_user=acting_user,
    )
