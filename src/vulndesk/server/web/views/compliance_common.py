"""What the compliance pages share: finding an event, a record or a report the user may see (404
otherwise) and may change (403), due times as words, the reader's PDF language."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from vulndesk.core.errors import InputError
from vulndesk.core.regulation.pdf import Language
from vulndesk.server.accounts.permissions import has_role
from vulndesk.server.compliance.models import CraEvent, Nis2Record, RegulatoryReport, ReportKind
from vulndesk.server.compliance.selectors import cra_event_get, nis2_record_get, report_of
from vulndesk.server.inventory.models import Role

#: the owner of a report in the URL -> how it is found
OWNERS = ("event", "nis2")


def event_for(request: HttpRequest, event_id: int, *, edit: bool = False) -> CraEvent:
    """Return the event if the user may see its product (else 404); ``edit``: and is an editor
    of it (else 403)."""
    event = cra_event_get(user=request.user, event_id=event_id)
    if event is None:
        raise Http404("no such event")
    if edit and not has_role(request.user, event.product, Role.EDITOR):
        raise PermissionDenied("changing a CRA event needs the editor role")
    return event


def record_for(request: HttpRequest, record_id: int, *, edit: bool = False) -> Nis2Record:
    """Return the NIS2 record if the user may see it (else 404); ``edit``: and may change it."""
    record = nis2_record_get(user=request.user, record_id=record_id)
    if record is None:
        raise Http404("no such NIS2 record")
    if edit and not can_change(request.user, record):
        raise PermissionDenied("changing a NIS2 record needs the editor role")
    return record


def can_change(user: Any, owner: CraEvent | Nis2Record) -> bool:
    """Return whether ``user`` may change ``owner`` (the editor role on its product; a record
    without a product: a superuser)."""
    if owner.product is None:
        return bool(user.is_superuser)
    return has_role(user, owner.product, Role.EDITOR)


def owner_for(
    request: HttpRequest, owner: str, owner_id: int, *, edit: bool = False
) -> CraEvent | Nis2Record:
    """Return the event (``owner`` "event") or the NIS2 record ("nis2") of a report URL."""
    if owner == "event":
        return event_for(request, owner_id, edit=edit)
    return record_for(request, owner_id, edit=edit)


def report_for(owner: CraEvent | Nis2Record, kind: str) -> RegulatoryReport:
    """Return the report of ``kind`` of ``owner`` (404 when it has none)."""
    report = report_of(owner, kind) if kind in ReportKind.values else None
    if report is None:
        raise Http404("no such report")
    return report


def error_message(request: HttpRequest, exc: InputError) -> None:
    """Show a service's refusal on the next page."""
    messages.error(request, _("Not saved: %(reason)s") % {"reason": exc.args[0]})


def duration(delta: timedelta) -> str:
    """Return ``delta`` in words: minutes under an hour, hours under two days, else days."""
    seconds = abs(delta.total_seconds())
    if seconds < 3600:
        minutes = max(1, int(seconds // 60))
        return ngettext("%(n)d min", "%(n)d min", minutes) % {"n": minutes}
    if seconds < 48 * 3600:
        hours = int(seconds // 3600)
        return ngettext("%(n)d h", "%(n)d h", hours) % {"n": hours}
    days = int(seconds // 86400)
    return ngettext("%(n)d day", "%(n)d days", days) % {"n": days}


def due_words(due: datetime | None, now: datetime, *, submitted: bool = False) -> str:
    """Return "in 5 h" or "overdue by 2 h" for a due time ("" when none or submitted)."""
    if due is None or submitted:
        return ""
    if due <= now:
        return _("overdue by %(time)s") % {"time": duration(now - due)}
    return _("in %(time)s") % {"time": duration(due - now)}


def pdf_language() -> Language:
    """Return the language of the PDFs: the page's (Japanese or English)."""
    return "ja" if (get_language() or "en").startswith("ja") else "en"
