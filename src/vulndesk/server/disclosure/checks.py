"""The rules every disclosure service applies: clean input, role checks, transition tables.

Input cleaners return the value as stored or raise InputError naming it; role checks raise
PermissionDenied (403: the caller sees the case) or CaseNotFound (404: an object of another case,
or a report the caller may not triage).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email

from vulndesk.core.advisories.csaf import version_range_entries
from vulndesk.core.errors import IdentifierError, InputError
from vulndesk.core.ids.purl import normalize_purl, purl_without_version
from vulndesk.server.disclosure.models import (
    Case,
    Participant,
    Report,
)
from vulndesk.server.disclosure.selectors import (
    CaseNotFound,
    can_triage,
)


class TransitionRefused(InputError):
    """A state change the transition table does not allow (the API answers 409)."""


def require_triage(report: Report, user: Any) -> None:
    if not can_triage(user, report.organisation):
        raise CaseNotFound("no such report")


def require_role(actor: Participant, roles: Sequence[str], what: str) -> None:
    if actor.role not in roles:
        names = " or ".join(str(r) for r in roles)
        raise PermissionDenied(f"{what} needs the {names} role in the case")


def same_case(actor: Participant, case_id: int) -> None:
    """Raise CaseNotFound when an object of another case is passed with ``actor``."""
    if case_id != actor.case_id:
        raise CaseNotFound("no such object in this case")


def open_case(actor: Participant) -> Case:
    case = actor.case
    if case.closed_at is not None:
        raise InputError(f"case {case.identifier} is closed")
    return case


def locked_case(actor: Participant) -> Case:
    """Return ``actor``'s case locked for the transaction (and refresh ``actor.case``)."""
    case = Case.objects.select_for_update().get(pk=actor.case_id)
    if case.closed_at is not None:
        raise InputError(f"case {case.identifier} is closed")
    actor.case = case
    return case


def check_transition(table: dict[str, frozenset[str]], current: str, new: str, what: str) -> None:
    if new not in table[current]:
        allowed = sorted(table[current])
        where = " or ".join(repr(s) for s in allowed) if allowed else "nothing (it is final)"
        raise TransitionRefused(
            f"{what} is {current!r} and cannot become {new!r}: from {current!r} it may become "
            + where
        )


def actor_label(actor: Participant) -> str:
    if actor.user_id is None:
        return f"{actor.role} (participant {actor.pk})"
    return ""


def user_or_none(user: Any) -> Any:
    return user if user is not None and getattr(user, "is_authenticated", False) else None


def clean_text(value: str | None, field: str, limit: int, *, required: bool = False) -> str:
    """Return ``value`` stripped, or raise InputError: empty when required, too long, or with
    a NUL character (no database stores it)."""
    text = (value or "").strip()
    if required and not text:
        raise InputError(f"the {field} is required")
    if len(text) > limit:
        raise InputError(f"the {field} is {len(text)} characters long, more than {limit}")
    if "\x00" in text:
        raise InputError(f"the {field} contains a NUL character")
    return text


def clean_email(value: str | None) -> str:
    email = clean_text(value, "e-mail address", 254)
    if email:
        try:
            validate_email(email)
        except ValidationError as exc:
            raise InputError(f"{email!r} is not an e-mail address") from exc
    return email


def clean_purl(value: str | None, *, keep_version: bool) -> str:
    text = clean_text(value, "package URL", 1000)
    if not text:
        return ""
    try:
        return normalize_purl(text) if keep_version else purl_without_version(text)
    except IdentifierError as exc:
        raise InputError(str(exc)) from exc


def clean_vers(value: str | None) -> str:
    """Return a ``vers:`` range as given, or raise InputError when it cannot be read."""
    text = clean_text(value, "affected range", 1000)
    if not text:
        return ""
    if not text.startswith("vers:"):
        raise InputError(f"the affected range {text!r} is not a vers: range (vers:pypi/<2.0)")
    if any(e.status == "unknown" for e in version_range_entries(text, "affected")):
        raise InputError(f"the affected range {text!r} cannot be read")
    return text


def clean_cvss(value: str | None) -> str:
    from cvss import CVSS3, CVSS4, CVSSError

    vector = clean_text(value, "CVSS vector", 300)
    if not vector:
        return ""
    try:
        if vector.startswith("CVSS:4.0/"):
            CVSS4(vector)
        elif vector.startswith(("CVSS:3.0/", "CVSS:3.1/")):
            CVSS3(vector)
        else:
            raise InputError(f"the CVSS vector {vector!r} is neither CVSS 3.x nor 4.0")
    except (CVSSError, ValueError, KeyError, IndexError) as exc:
        raise InputError(f"the CVSS vector {vector!r} is not valid: {exc}") from exc
    return vector
