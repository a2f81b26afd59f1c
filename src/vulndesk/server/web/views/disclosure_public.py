"""The disclosure pages without login: the public report form and the reporter's status page.

Anyone may send a report (``/report/``), anonymously if they like; the organisation receiving it
is the site's default one. A report costs its sender nothing, so the form keeps simple abuse
limits: ``REPORTS_PER_HOUR`` per client address (Django's cache) and a honeypot field that
people do not see and bots fill.

The reporter follows the report at ``/report/<tracking id>/?key=<secret>``. The secret is shown
once, when the report is sent, and stored only as its digest (``disclosure.reports``). It sits in
the query string, not the path, so that Django's request log (which writes the path of a 404)
never holds it; the page sends no ``Referer`` and is kept in no cache. A wrong or missing secret
answers the 404 of an unknown tracking id. Once the report became a case, the page also shows the
reporter's view of it as a participant (``participant_for_reporter``).
"""

from __future__ import annotations

import hashlib
from contextlib import nullcontext
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from vulndesk.core.errors import InputError
from vulndesk.server.accounts.services import organisation_default
from vulndesk.server.disclosure.attachments import attachment_response
from vulndesk.server.disclosure.models import Participant, Report
from vulndesk.server.disclosure.reports import report_message_post, report_submit
from vulndesk.server.disclosure.selectors import (
    CaseNotFound,
    case_attachment_get,
    case_messages,
    participant_for_reporter,
    report_attachment_get,
    report_attachments,
    report_for_reporter,
    report_messages,
    vendor_statuses,
)
from vulndesk.server.disclosure.services import case_message_post
from vulndesk.server.web.forms.disclosure import (
    EMBARGO_LABELS,
    RM_LABELS,
    STATUS_LABELS,
    MessageForm,
    ReportForm,
)
from vulndesk.server.web.views.disclosure_common import no_referrer, no_store, uploads_of
from vulndesk.server.web.views.disclosure_threads import threaded

#: reports one client address may send in ``RATE_WINDOW_SECONDS``
REPORTS_PER_HOUR = 5
RATE_WINDOW_SECONDS = 3600


def _rate_key(request: HttpRequest) -> str:
    # the address hashed: the cache is no place to keep who reported (a shared cache is read
    # by other processes)
    address = request.META.get("REMOTE_ADDR", "") or "unknown"
    return "vulndesk:disclosure:reports:" + hashlib.sha256(address.encode()).hexdigest()


def _rate_exceeded(request: HttpRequest) -> bool:
    return int(cache.get(_rate_key(request), 0)) >= REPORTS_PER_HOUR


def _rate_count(request: HttpRequest) -> None:
    key = _rate_key(request)
    # add() starts the window once; incr() keeps its expiry
    cache.add(key, 0, RATE_WINDOW_SECONDS)
    try:
        cache.incr(key)
    except ValueError:  # expired between the two calls
        cache.set(key, 1, RATE_WINDOW_SECONDS)


def _language() -> str:
    language = (get_language() or "en")[:2]
    return language if language in ("ja", "en") else "en"


@require_http_methods(["GET", "HEAD", "POST"])
def report_submit_page(request: HttpRequest) -> HttpResponse:
    """Show the public report form; on POST store the report and show its tracking id and
    status link, once."""
    if request.method != "POST":
        form = ReportForm(initial={"language": _language()})
        return no_store(render(request, "web/disclosure/report_form.html", {"form": form}))
    form = ReportForm(request.POST, request.FILES)
    status = 400
    if _rate_exceeded(request):
        form.is_valid()
        form.add_error(
            None,
            _(
                "Too many reports were sent from your address in the last hour. Please try "
                "again later, or write to the contact address of our security policy."
            ),
        )
        status = 429
    elif form.is_valid():
        data = form.cleaned_data
        if data["website"]:
            # a bot filled the field people do not see: store nothing, say little
            form.add_error(None, _("The report could not be sent."))
        else:
            try:
                report, secret = report_submit(
                    organisation=organisation_default(),
                    title=data["title"],
                    description=data["description"],
                    affected_product=data["affected_product"],
                    affected_versions=data["affected_versions"],
                    component_purl=data["component_purl"],
                    affected_range=data["affected_range"],
                    reporter_name=data["reporter_name"],
                    reporter_email=data["reporter_email"],
                    encryption_contact=data["encryption_contact"],
                    wants_credit=data["wants_credit"],
                    credit_name=data["credit_name"],
                    language=data["language"],
                    attachments=uploads_of(data["attachments"]),
                )
            except InputError as e:
                form.add_error(None, str(e))
            else:
                _rate_count(request)
                link = request.build_absolute_uri(_status_url(report.tracking_id, secret))
                context = {"report": report, "link": link}
                return no_store(render(request, "web/disclosure/report_submitted.html", context))
    response = render(request, "web/disclosure/report_form.html", {"form": form}, status=status)
    return no_store(response)


LANGUAGE_COOKIE = settings.LANGUAGE_COOKIE_NAME


def _status_url(tracking_id: str, secret: str) -> str:
    return reverse("web:report-status", args=[tracking_id]) + "?" + urlencode({"key": secret})


def _reporter_report(request: HttpRequest, tracking_id: str) -> tuple[Report, str]:
    secret = (request.POST if request.method == "POST" else request.GET).get("key", "")
    report = report_for_reporter(tracking_id=tracking_id, secret=secret)
    if report is None:
        raise Http404("no such report")
    return report, secret


def _reporter_case(report: Report, secret: str) -> Participant | None:
    if report.case_id is None:
        return None
    try:
        return participant_for_reporter(tracking_id=report.tracking_id, secret=secret)
    except CaseNotFound:  # removed from the case by a coordinator: the report stays theirs
        return None


# The reply is authenticated by the secret in the form, not by a cookie: a forged request would
# need the secret, which is all a reporter has. The page sends no Referer (its address holds the
# secret), so browsers post its forms with "Origin: null", which the CSRF check would refuse.
@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def report_status_page(request: HttpRequest, tracking_id: str) -> HttpResponse:
    """Show the reporter their report: state, thread and reply form, and the case it became;
    on POST add their message to the report's thread or the case's."""
    if request.method == "GET" and "key" not in request.GET:
        # the address in a notice e-mail, which never carries the secret: ask for it, the same
        # page for any tracking id, so that it tells nobody whether a report exists
        response = render(request, "web/disclosure/report_key.html", {"tracking_id": tracking_id})
        return no_referrer(response)
    report, secret = _reporter_report(request, tracking_id)
    viewer = _reporter_case(report, secret)
    report_form = MessageForm(prefix="report")
    case_form = MessageForm(prefix="case")
    status = 200
    if request.method == "POST":
        to_case = request.POST.get("thread") == "case" and viewer is not None
        form = case_form = MessageForm(request.POST, request.FILES, prefix="case")
        if not to_case:
            form = report_form = MessageForm(request.POST, request.FILES, prefix="report")
        if form.is_valid():
            try:
                files = uploads_of(form.cleaned_data["attachments"])
                if to_case and viewer is not None:
                    case_message_post(
                        actor=viewer, body=form.cleaned_data["body"], attachments=files
                    )
                else:
                    report_message_post(
                        report=report,
                        body=form.cleaned_data["body"],
                        reporter_secret=secret,
                        attachments=files,
                    )
            except InputError as e:
                form.add_error(None, str(e))
            else:
                anchor = "#case-messages" if to_case else "#messages"
                return no_referrer(redirect(_status_url(report.tracking_id, secret) + anchor))
        status = 400
    context: dict[str, Any] = {
        "report": report,
        "secret": secret,
        "state_label": RM_LABELS[report.state],
        "messages_": report_messages(report),
        "attachments": [a for a in report_attachments(report) if a.message_id is None],
        "report_form": report_form,
        "case_form": case_form,
        "viewer": viewer,
    }
    if viewer is not None:
        case = viewer.case
        context.update(
            case=case,
            thread=threaded(case_messages(viewer)),
            embargo_label=EMBARGO_LABELS[case.embargo_state],
            statuses=[(s, STATUS_LABELS[s.status]) for s in vendor_statuses(viewer)],
        )
    # the page's own language links (?lang=), else the language the report was written in,
    # unless the reader chose one before (the language cookie, a logged-in user's preference)
    language = request.GET.get("lang")
    if language not in ("ja", "en"):
        chosen = LANGUAGE_COOKIE in request.COOKIES or request.user.is_authenticated
        language = None if chosen else report.language
    with translation.override(language) if language else nullcontext():
        response = render(request, "web/disclosure/report_status.html", context, status=status)
    return no_referrer(response)


@require_GET
def report_file_reporter(
    request: HttpRequest, tracking_id: str, attachment_id: int
) -> HttpResponse:
    """Return a file of the reporter's report thread as a download."""
    report, _secret = _reporter_report(request, tracking_id)
    return no_referrer(attachment_response(report_attachment_get(report, attachment_id)))


@require_GET
def case_file_reporter(request: HttpRequest, tracking_id: str, attachment_id: int) -> HttpResponse:
    """Return a file of the case the reporter's report became, as a download."""
    if request.method == "GET" and "key" not in request.GET:
        # the address in a notice e-mail, which never carries the secret: ask for it, the same
        # page for any tracking id, so that it tells nobody whether a report exists
        response = render(request, "web/disclosure/report_key.html", {"tracking_id": tracking_id})
        return no_referrer(response)
    report, secret = _reporter_report(request, tracking_id)
    viewer = _reporter_case(report, secret)
    if viewer is None:
        raise Http404("no such attachment")
    return no_referrer(attachment_response(case_attachment_get(viewer, attachment_id)))
