"""Staff pages of cases: the list of the cases a user takes part in, a case's page (participants,
thread, embargo, flags, vulnerabilities with vendor statements and SBOM-driven impact, releases)
with one POST view per change, and the invitation page.

Cases are need-to-know (``disclosure.selectors``): every case URL resolves the user's
participant row with ``participant_for``, which answers 404 to anyone else, superusers
included. What a participant may change is the services' to decide by role (403 otherwise);
the page offers only what the role allows. Opening the page marks the case seen with a POST the
page sends when it has loaded (htmx): GET changes nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, time
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, F, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from vulndesk.core.errors import InputError
from vulndesk.server.accounts.permissions import restrict_to_visible
from vulndesk.server.disclosure import embargo, impact, services
from vulndesk.server.disclosure.attachments import attachment_response
from vulndesk.server.disclosure.models import (
    CaseMessage,
    EmbargoState,
    Participant,
    ParticipantRole,
)
from vulndesk.server.disclosure.selectors import (
    case_attachment_get,
    case_messages,
    case_participants,
    case_releases,
    case_vulnerabilities,
    case_vulnerability_get,
    cases_visible,
    participant_for,
    vendor_status_get,
    vendor_statuses,
)
from vulndesk.server.web.forms.disclosure import (
    EMBARGO_LABELS,
    RM_LABELS,
    ROLE_LABELS,
    STATUS_LABELS,
    EmbargoExitForm,
    EmbargoProposeForm,
    FlagForm,
    InviteForm,
    MessageForm,
    VendorStatusForm,
    VulnerabilityForm,
)
from vulndesk.server.web.views.disclosure_common import no_store, origin_only_referrer, uploads_of
from vulndesk.server.web.views.disclosure_threads import threaded

COORDINATOR = ParticipantRole.COORDINATOR
VENDOR = ParticipantRole.VENDOR
#: the case-wide flags, as the page names them
CASE_FLAG_NAMES = (
    ("public_aware", "P", "public_aware_at"),
    ("exploit_public", "X", "exploit_public_at"),
    ("attacks_observed", "A", "attacks_observed_at"),
)
VENDOR_FLAG_NAMES = (
    ("vendor_aware", "V", "vendor_aware_at"),
    ("fix_ready", "F", "fix_ready_at"),
    ("fix_deployed", "D", "fix_deployed_at"),
)


def _actor(request: HttpRequest, case_id: int) -> Participant:
    return participant_for(case_id=case_id, user=request.user)


def _case_url(case_id: int, anchor: str = "") -> str:
    return reverse("web:case-detail", args=[case_id]) + anchor


def _act(
    request: HttpRequest, case_id: int, anchor: str, change: Callable[[Participant], str]
) -> HttpResponse:
    """Run ``change`` for the user's participant row of the case and go back to the case page
    at ``anchor``, with what ``change`` returns as the success message or the service's
    refusal as the error."""
    actor = _actor(request, case_id)
    try:
        done = change(actor)
    except InputError as e:
        messages.error(request, str(e))
    else:
        messages.success(request, done)
    return redirect(_case_url(case_id, anchor))


def _form_errors(form: Any) -> str:
    return " ".join(str(e) for errors in form.errors.values() for e in errors)


# -- list ------------------------------------------------------------------------------------------


@login_required
@require_GET
def case_list(request: HttpRequest) -> HttpResponse:
    """List the cases the user takes part in: state, embargo and unseen messages."""
    cases = list(cases_visible(request.user))
    mine = (
        Participant.objects.filter(
            user=request.user, removed_at__isnull=True, case_id__in=[c.pk for c in cases]
        )
        .annotate(
            unseen=Count(
                "case__messages",
                filter=(Q(seen_at__isnull=True) | Q(case__messages__created_at__gt=F("seen_at")))
                & ~Q(case__messages__author_id=F("id")),
            )
        )
        .values_list("case_id", "role", "unseen")
    )
    by_case = {case_id: (role, unseen) for case_id, role, unseen in mine}
    rows = [
        {
            "case": case,
            "role": ROLE_LABELS[by_case[case.pk][0]] if case.pk in by_case else "",
            "unseen": by_case.get(case.pk, ("", 0))[1],
            "embargo": EMBARGO_LABELS[case.embargo_state],
        }
        for case in cases
    ]
    return render(request, "web/disclosure/case_list.html", {"rows": rows})


# -- the case page -----------------------------------------------------------------------------


def _impact(actor: Participant, vulnerabilities: list[Any]) -> dict[int, Any]:
    """Return {vulnerability id: Impact or the reason there is none} for coordinators and
    vendors (the inventory is read with the user's product grants)."""
    if actor.role not in (COORDINATOR, VENDOR) or actor.user is None:
        return {}
    found: dict[int, Any] = {}
    for vulnerability in vulnerabilities:
        if not vulnerability.component_purl:
            continue
        found[vulnerability.pk] = impact.affected_releases(
            vulnerability, actor.case.organisation, user=actor.user
        )
    return found


def _case_page(
    request: HttpRequest, actor: Participant, *, status: int = 200, **extra: Any
) -> HttpResponse:
    case = actor.case
    is_coordinator = actor.role == COORDINATOR
    participants = list(case_participants(actor))
    vulnerabilities = list(case_vulnerabilities(actor))
    statuses: dict[int, list[Any]] = defaultdict(list)
    own: dict[int, Any] = {}
    for status_row in vendor_statuses(actor):
        statuses[status_row.vulnerability_id].append((status_row, STATUS_LABELS[status_row.status]))
        if status_row.vendor_id == actor.pk:
            own[status_row.vulnerability_id] = status_row
    impacts = _impact(actor, vulnerabilities)
    releases = case_releases(actor)
    if actor.user is not None:  # releases are inventory: the user's product grants apply
        releases = restrict_to_visible(releases, actor.user, "release__product_id")
    open_ = case.closed_at is None
    can_flag = open_ and actor.role in (COORDINATOR, VENDOR, ParticipantRole.REPORTER)
    context: dict[str, Any] = {
        "case": case,
        "actor": actor,
        "is_coordinator": is_coordinator,
        "is_vendor": actor.role == VENDOR,
        "open": open_,
        "role_label": ROLE_LABELS[actor.role],
        "participants": [
            {
                "p": p,
                "role": ROLE_LABELS[p.role],
                "rm": RM_LABELS[p.rm_state],
                # flags come in order: offer the first one not set yet
                "next_flag": next(
                    (
                        (n, letter)
                        for n, letter, field in VENDOR_FLAG_NAMES
                        if not getattr(p, field)
                    ),
                    None,
                ),
                "may_flag": open_
                and p.role == VENDOR
                and p.removed_at is None
                and (is_coordinator or p.pk == actor.pk),
            }
            for p in participants
        ],
        "thread": threaded(case_messages(actor)),
        "message_form": MessageForm(),
        "invite_form": InviteForm(),
        "embargo_label": EMBARGO_LABELS[case.embargo_state],
        "may_propose": open_
        and actor.role in (COORDINATOR, VENDOR)
        and case.embargo_state != EmbargoState.EXITED
        and not (case.public_aware_at or case.exploit_public_at or case.attacks_observed_at),
        "may_decide": open_
        and is_coordinator
        and case.embargo_state in (EmbargoState.PROPOSED, EmbargoState.REVISED),
        "may_exit": open_
        and is_coordinator
        and case.embargo_state in (EmbargoState.ACTIVE, EmbargoState.REVISED),
        "propose_form": EmbargoProposeForm(initial={"end_time": time(12)}),
        "exit_form": EmbargoExitForm(),
        "case_flags": [
            (name, letter, getattr(case, field)) for name, letter, field in CASE_FLAG_NAMES
        ],
        "can_flag": can_flag,
        "vulnerabilities": [
            {
                "v": v,
                "statuses": statuses.get(v.pk, []),
                "impact": impacts.get(v.pk),
                "status_form": VendorStatusForm(
                    initial={"status": own[v.pk].status, "statement": own[v.pk].statement}
                    if v.pk in own
                    else {"status": "unknown"},
                    prefix=f"v{v.pk}",
                ),
            }
            for v in vulnerabilities
        ],
        "vulnerability_form": VulnerabilityForm(),
        "releases": releases,
        "may_add_releases": open_
        and actor.role in (COORDINATOR, VENDOR)
        and actor.user is not None,
        **extra,
    }
    return render(request, "web/disclosure/case_detail.html", context, status=status)


@login_required
@require_GET
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    """Show a case to one of its participants."""
    return _case_page(request, _actor(request, case_id))


@login_required
@require_POST
def case_seen(request: HttpRequest, case_id: int) -> HttpResponse:
    """Record that the user opened the case now (sent by the case page once it has loaded)."""
    services.case_mark_seen(actor=_actor(request, case_id))
    return HttpResponse(status=204)


@login_required
@require_POST
def case_message(request: HttpRequest, case_id: int) -> HttpResponse:
    """Post a message (a reply when ``parent`` is given) with attachments to the case."""
    actor = _actor(request, case_id)
    form = MessageForm(request.POST, request.FILES)
    if form.is_valid():
        parent = None
        if form.cleaned_data["parent"]:
            parent = CaseMessage.objects.filter(
                id=form.cleaned_data["parent"], case_id=actor.case_id
            ).first()
            if parent is None:
                raise Http404("no such message in this case")
        try:
            message = services.case_message_post(
                actor=actor,
                body=form.cleaned_data["body"],
                parent=parent,
                attachments=uploads_of(form.cleaned_data["attachments"]),
            )
        except InputError as e:
            if actor.case.closed_at is not None:  # the page has no message form any more
                messages.error(request, str(e))
                return redirect(_case_url(case_id, "#messages"))
            form.add_error(None, str(e))
        else:
            messages.success(request, _("Message posted."))
            return redirect(_case_url(case_id, f"#m{message.pk}"))
    return _case_page(request, actor, status=400, message_form=form)


@login_required
@require_GET
def case_file(request: HttpRequest, case_id: int, attachment_id: int) -> HttpResponse:
    """Return a file of the case as a download."""
    return attachment_response(case_attachment_get(_actor(request, case_id), attachment_id))


@login_required
@require_POST
def case_invite(request: HttpRequest, case_id: int) -> HttpResponse:
    """Invite a contact (coordinators) and show the one-time invitation link to pass on."""
    actor = _actor(request, case_id)
    form = InviteForm(request.POST)
    if form.is_valid():
        try:
            participant, secret = services.participant_invite(
                actor=actor,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                organisation_name=form.cleaned_data["organisation_name"],
            )
        except InputError as e:
            form.add_error(None, str(e))
        else:
            link = request.build_absolute_uri(reverse("web:invitation-accept", args=[secret]))
            # shown once, in this answer: only the secret's digest is stored
            response = _case_page(
                request, actor, invitation={"participant": participant, "link": link}
            )
            return no_store(response)
    return _case_page(request, actor, status=400, invite_form=form)


@login_required
@require_POST
def participant_flag(request: HttpRequest, case_id: int, participant_id: int) -> HttpResponse:
    """Set a vendor's V, F or D flag (the vendor itself or a coordinator)."""
    flag = request.POST.get("flag", "")

    def change(actor: Participant) -> str:
        vendor = Participant.objects.filter(id=participant_id, case_id=actor.case_id).first()
        if vendor is None:
            raise Http404("no such participant")
        services.participant_flag_set(actor=actor, participant=vendor, flag=flag)
        return _("Recorded.")

    return _act(request, case_id, "#participants", change)


@login_required
@require_POST
def case_flag(request: HttpRequest, case_id: int) -> HttpResponse:
    """Set a case-wide flag: public aware, exploit public, attacks observed."""
    form = FlagForm(request.POST)
    flag = form.cleaned_data["flag"] if form.is_valid() else ""

    def change(actor: Participant) -> str:
        case = embargo.case_flag_set(actor=actor, flag=flag)
        if case.embargo_state == EmbargoState.EXITED:
            return _("Recorded; the embargo has ended.")
        return _("Recorded.")

    return _act(request, case_id, "#flags", change)


@login_required
@require_POST
def case_embargo(request: HttpRequest, case_id: int) -> HttpResponse:
    """Propose, accept, reject or end the case's embargo (``action``)."""
    action = request.POST.get("action", "")

    def change(actor: Participant) -> str:
        if action == "propose":
            form = EmbargoProposeForm(request.POST)
            if not form.is_valid():
                raise InputError(_form_errors(form))
            day, at = form.cleaned_data["end_date"], form.cleaned_data["end_time"]
            end = day if at is None else datetime.combine(day, at, tzinfo=UTC)
            embargo.embargo_propose(actor=actor, end=end)
            return _("Embargo proposed.")
        if action == "accept":
            embargo.embargo_accept(actor=actor)
            return _("Embargo accepted: it is in force.")
        if action == "reject":
            embargo.embargo_reject(actor=actor)
            return _("Proposal rejected.")
        if action == "exit":
            exit_form = EmbargoExitForm(request.POST)
            reason = exit_form.cleaned_data["reason"] if exit_form.is_valid() else ""
            embargo.embargo_exit(actor=actor, reason=reason)
            return _("Embargo ended.")
        raise InputError(_("Unknown embargo action."))

    return _act(request, case_id, "#embargo", change)


@login_required
@require_POST
def vulnerability_add(request: HttpRequest, case_id: int) -> HttpResponse:
    """Add a vulnerability to the case (coordinators)."""
    actor = _actor(request, case_id)
    form = VulnerabilityForm(request.POST)
    if form.is_valid():
        try:
            vulnerability = services.case_vulnerability_add(actor=actor, **form.cleaned_data)
        except InputError as e:
            form.add_error(None, str(e))
        else:
            messages.success(request, _("Vulnerability added."))
            return redirect(_case_url(case_id, f"#v{vulnerability.pk}"))
    return _case_page(request, actor, status=400, vulnerability_form=form)


@login_required
@require_POST
def vendor_status(request: HttpRequest, case_id: int, vulnerability_id: int) -> HttpResponse:
    """Record the user's own status on a vulnerability (vendors)."""

    def change(actor: Participant) -> str:
        vulnerability = case_vulnerability_get(actor, vulnerability_id)
        form = VendorStatusForm(request.POST, prefix=f"v{vulnerability.pk}")
        if not form.is_valid():
            raise InputError(_form_errors(form))
        services.vendor_status_set(
            actor=actor,
            vulnerability=vulnerability,
            status=form.cleaned_data["status"],
            statement=form.cleaned_data["statement"],
        )
        return _("Status recorded; other participants see it once a coordinator approves it.")

    return _act(request, case_id, f"#v{vulnerability_id}", change)


@login_required
@require_POST
def vendor_status_approve(request: HttpRequest, case_id: int, status_id: int) -> HttpResponse:
    """Approve a vendor's statement for the other participants to see (coordinators)."""
    anchor = "#vulnerabilities"

    def change(actor: Participant) -> str:
        status = vendor_status_get(actor, status_id)
        services.vendor_status_approve(actor=actor, status=status)
        return _("Statement approved.")

    return _act(request, case_id, anchor, change)


@login_required
@require_POST
def releases_add_affected(
    request: HttpRequest, case_id: int, vulnerability_id: int
) -> HttpResponse:
    """Add every affected release the SBOMs show for a vulnerability to the case."""

    def change(actor: Participant) -> str:
        vulnerability = case_vulnerability_get(actor, vulnerability_id)
        added, _impact = impact.case_releases_add_affected(actor=actor, vulnerability=vulnerability)
        return ngettext(
            "%(count)d release added to the case.",
            "%(count)d releases added to the case.",
            len(added),
        ) % {"count": len(added)}

    return _act(request, case_id, "#releases", change)


@login_required
@require_POST
def case_close(request: HttpRequest, case_id: int) -> HttpResponse:
    """Close the case (coordinators); it becomes read-only."""

    def change(actor: Participant) -> str:
        services.case_close(actor=actor)
        return _("Case closed.")

    return _act(request, case_id, "", change)


# -- invitations -------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def invitation_accept(request: HttpRequest, secret: str) -> HttpResponse:
    """Show an invitation; on POST take part in the case as the logged-in user.

    Nothing of the case is shown before the invitation is accepted (the case is need-to-know,
    and a link can reach the wrong person): the page only offers to accept.
    """
    error = ""
    if request.method == "POST":
        try:
            participant = services.invitation_accept(secret=secret, user=request.user)
        except InputError as e:
            error = str(e)
        else:
            messages.success(
                request, _("You now take part in case %(case)s.") % {"case": participant.case}
            )
            return redirect("web:case-detail", case_id=participant.case_id)
    context = {"error": error}
    response = render(
        request, "web/disclosure/invitation.html", context, status=400 if error else 200
    )
    return origin_only_referrer(response)
