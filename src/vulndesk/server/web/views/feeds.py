"""The feeds page: every source's freshness, counts and last error, and "sync now" for staff."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from vulndesk.core.errors import InputError
from vulndesk.server.feeds import selectors, services


@login_required
@require_GET
def feed_list(request: HttpRequest) -> HttpResponse:
    """List the feed sources: enabled, last success, next run, records held and last error."""
    context = {"statuses": selectors.feed_statuses(), "now": timezone.now()}
    return render(request, "web/feeds/list.html", context)


@login_required
@require_POST
def feed_sync_now(request: HttpRequest, name: str) -> HttpResponse:
    """Queue a sync of source ``name`` (staff only), then go back to the feeds page."""
    if not request.user.is_staff:
        raise PermissionDenied("only staff may start a feed sync")
    try:
        job = services.feed_sync_enqueue(name=name, acting_user=request.user, actor_label="web")
    except InputError as e:
        messages.error(request, str(e))
        return redirect("web:feed-list")
    messages.success(
        request, _("Sync of %(source)s queued as job %(job)d.") % {"source": name, "job": job.pk}
    )
    return redirect("web:feed-list")
