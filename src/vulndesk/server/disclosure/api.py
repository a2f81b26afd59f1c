"""REST API routes of disclosure: reports, cases, participants, messages, embargo,
vulnerabilities, vendor statements and affected releases, and what leaves a case: its CVE
records at CVE Services (``disclosure.cve``) and its CSAF advisory (``disclosure.csaf``).

Every route needs a user, as every API route does: the anonymous path for reporters is the web
form and the status page reached through the report's secret link, not the API.

Who sees what is ``disclosure.selectors``: a case and everything in it answers 404 to anyone
who is not one of its participants (superusers included), the very answer a missing case gets;
a participant whose role may not make a change gets 403; input that cannot be used is a 400 (or
422 when it does not fit the schema); a change the state machine does not allow is a 409.
"""

from __future__ import annotations

from typing import Any

import orjson
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from ninja import File, Form, Query, Router, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile

from vulndesk.core.cve.services import CveServicesError
from vulndesk.core.errors import InputError
from vulndesk.server.accounts.models import Organisation
from vulndesk.server.accounts.services import organisation_default
from vulndesk.server.api_fields import DbId
from vulndesk.server.api_pagination import Page, PageParams, paginate
from vulndesk.server.disclosure import csaf, cve, embargo, impact, reports, selectors, services
from vulndesk.server.disclosure.api_schemas import (
    AcceptIn,
    AttachmentOut,
    CaseIn,
    CaseMessageOut,
    CaseOut,
    CaseReleaseOut,
    CsafPublishedOut,
    CsafQuery,
    CveRecordOut,
    CveRejectIn,
    EmbargoIn,
    FlagIn,
    ImpactOut,
    ImpactQuery,
    InvitationIn,
    InvitedOut,
    InviteIn,
    MessageIn,
    ParticipantOut,
    ParticipantPatch,
    ReferencesIn,
    ReleasesIn,
    ReportCreatedOut,
    ReportIn,
    ReportMessageOut,
    ReportOut,
    ReportStateIn,
    StatusIn,
    StatusOut,
    TrackingId,
    VulnerabilityIn,
    VulnerabilityOut,
)
from vulndesk.server.disclosure.attachments import MAX_ATTACHMENT_BYTES, Upload, attachment_response
from vulndesk.server.disclosure.checks import TransitionRefused, require_role
from vulndesk.server.disclosure.models import (
    RM_TRANSITIONS,
    Case,
    CaseAttachment,
    CaseRelease,
    CaseVulnerability,
    Channel,
    Participant,
    ParticipantRole,
    Report,
    RmState,
    VendorStatus,
)
from vulndesk.server.disclosure.selectors import CaseNotFound
from vulndesk.server.inventory.models import Release

router = Router(tags=["disclosure"])

_409 = {
    "responses": {
        409: {
            "description": "the state machine does not allow this change now (the message "
            "names the states it may go to)",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
    }
}

_502_RESPONSE = {
    "description": "CVE Services refused or failed the operation (the message says what it "
    "answered)",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}
_502 = {"responses": {502: _502_RESPONSE}}
_409_502 = {"responses": {**_409["responses"], 502: _502_RESPONSE}}


# -- reports --------------------------------------------------------------------------------------


@router.post("/reports", response={201: ReportCreatedOut})
def report_create(request: HttpRequest, body: ReportIn) -> Status[dict[str, Any]]:
    """Send a vulnerability report to an organisation; answer its tracking id and the
    reporter's secret (shown once). Any user may report."""
    organisation = _organisation(body.organisation)
    data = body.dict(exclude={"organisation"})
    report, secret = reports.report_submit(
        organisation=organisation, channel=Channel.API, acting_user=request.auth, **data
    )
    return Status(201, {"tracking_id": report.tracking_id, "secret": secret, "state": report.state})


@router.get("/reports", response=Page[ReportOut])
def report_list(request: HttpRequest, page: Query[PageParams]) -> dict[str, Any]:
    """List the reports the caller triages (newest first): their organisations' reports, for
    holders of the ``disclosure.triage_report`` permission."""
    rows = selectors.reports_visible(request.auth).order_by("-created_at", "-id")
    return paginate(rows, page, convert=lambda rs: [_report_json(r) for r in rs])


@router.get("/reports/{tracking_id}", response=ReportOut)
def report_detail(request: HttpRequest, tracking_id: TrackingId) -> dict[str, Any]:
    """Return a report with its attachments and thread (triagers of its organisation)."""
    report = _report(request, tracking_id)
    return _report_json(report, full=True)


@router.post("/reports/{tracking_id}/state", response=ReportOut, openapi_extra=_409)
def report_state(request: HttpRequest, tracking_id: TrackingId, body: ReportStateIn) -> Any:
    """Move a report along the report-management states (valid, invalid, deferred, closed)."""
    report = _report(request, tracking_id)
    report = _refusing(
        reports.report_transition, report=report, state=body.state, acting_user=request.auth
    )
    return _report_json(report)


@router.post("/reports/{tracking_id}/messages", response={201: ReportMessageOut})
def report_message(request: HttpRequest, tracking_id: TrackingId, body: MessageIn) -> Any:
    """Write to the reporter in the report's thread."""
    report = _report(request, tracking_id)
    message = reports.report_message_post(report=report, body=body.body, acting_user=request.auth)
    return Status(201, _report_message_json(message))


@router.post("/reports/{tracking_id}/accept", response={201: CaseOut}, openapi_extra=_409)
def report_accept(request: HttpRequest, tracking_id: TrackingId, body: AcceptIn) -> Any:
    """Accept a valid (or deferred) report into a new case, coordinated by the caller; the
    reporter takes part through their secret link."""
    report = _report(request, tracking_id)
    case = _refusing(
        services.report_accept,
        report=report,
        acting_user=request.auth,
        title=body.title,
        summary=body.summary,
    )
    return Status(201, _case_json(selectors.participant_for(case_id=case.pk, user=request.auth)))


# -- cases ----------------------------------------------------------------------------------------


@router.get("/cases", response=Page[CaseOut])
def case_list(request: HttpRequest, page: Query[PageParams]) -> dict[str, Any]:
    """List the cases the caller takes part in, newest first."""
    user = request.auth
    rows = selectors.cases_visible(user)

    def convert(cases: list[Case]) -> list[dict[str, Any]]:
        mine = {
            p.case_id: p
            for p in Participant.objects.filter(case__in=cases, user=user).select_related("case")
        }
        return [_case_json(mine[c.pk], c) for c in cases]

    return paginate(rows, page, convert=convert)


@router.post("/cases", response={201: CaseOut})
def case_create(request: HttpRequest, body: CaseIn) -> Any:
    """Open a case (holders of ``disclosure.triage_report`` in the organisation); the caller
    becomes its coordinator."""
    case = services.case_create(
        organisation=_organisation(body.organisation),
        title=body.title,
        summary=body.summary,
        acting_user=request.auth,
    )
    return Status(201, _case_json(selectors.participant_for(case_id=case.pk, user=request.auth)))


@router.get("/cases/{case_id}", response=CaseOut)
def case_detail(request: HttpRequest, case_id: DbId) -> dict[str, Any]:
    """Return a case the caller takes part in."""
    return _case_json(_actor(request, case_id))


@router.post("/cases/{case_id}/close", response=CaseOut)
def case_close(request: HttpRequest, case_id: DbId) -> dict[str, Any]:
    """Close the case (coordinators); an embargo in force ends with it."""
    actor = _actor(request, case_id)
    services.case_close(actor=actor)
    return _case_json(actor)


@router.post("/cases/{case_id}/seen", response=CaseOut)
def case_seen(request: HttpRequest, case_id: DbId) -> dict[str, Any]:
    """Record that the caller has read the case up to now (messages become seen)."""
    actor = _actor(request, case_id)
    services.case_mark_seen(actor=actor)
    return _case_json(actor)


@router.get("/cases/{case_id}/participants", response=list[ParticipantOut])
def participant_list(request: HttpRequest, case_id: DbId) -> list[dict[str, Any]]:
    """List the case's participants (pending invitations included)."""
    actor = _actor(request, case_id)
    return [_participant_json(p, actor) for p in selectors.case_participants(actor)]


@router.post("/cases/{case_id}/participants", response={201: InvitedOut})
def participant_invite(request: HttpRequest, case_id: DbId, body: InviteIn) -> Any:
    """Invite a contact (coordinators); answers the one-time secret to send them."""
    actor = _actor(request, case_id)
    participant, secret = services.participant_invite(
        actor=actor, email=body.email, role=body.role, organisation_name=body.organisation_name
    )
    return Status(201, {"participant": _participant_json(participant, actor), "secret": secret})


@router.patch(
    "/cases/{case_id}/participants/{participant_id}", response=ParticipantOut, openapi_extra=_409
)
def participant_patch(
    request: HttpRequest, case_id: DbId, participant_id: DbId, body: ParticipantPatch
) -> dict[str, Any]:
    """Change a participant's role (coordinators) or report-management state (itself or a
    coordinator)."""
    actor = _actor(request, case_id)
    participant = _participant(actor, participant_id)
    participant = _refusing(
        services.participant_update,
        actor=actor,
        participant=participant,
        role=body.role,
        rm_state=body.rm_state,
    )
    return _participant_json(participant, actor)


@router.delete("/cases/{case_id}/participants/{participant_id}", response=ParticipantOut)
def participant_remove(request: HttpRequest, case_id: DbId, participant_id: DbId) -> Any:
    """Take a participant out of the case (coordinators): the case no longer exists for them,
    a pending invitation is void; answers the participant with ``removed_at``."""
    actor = _actor(request, case_id)
    participant = services.participant_remove(
        actor=actor, participant=_participant(actor, participant_id)
    )
    return _participant_json(participant, actor)


@router.post("/invitations/accept", response=CaseOut)
def invitation_accept(request: HttpRequest, body: InvitationIn) -> dict[str, Any]:
    """Accept an invitation: the caller becomes that participant of the case."""
    participant = services.invitation_accept(secret=body.secret, user=request.auth)
    return _case_json(selectors.participant_for(case_id=participant.case_id, user=request.auth))


@router.get("/cases/{case_id}/messages", response=list[CaseMessageOut])
def message_list(request: HttpRequest, case_id: DbId) -> list[dict[str, Any]]:
    """List the case's messages, oldest first, each marked unseen when posted after the
    caller last marked the case seen."""
    actor = _actor(request, case_id)
    return [
        _case_message_json(view.message, view.unseen) for view in selectors.case_messages(actor)
    ]


@router.post("/cases/{case_id}/messages", response={201: CaseMessageOut})
def message_post(request: HttpRequest, case_id: DbId, body: MessageIn) -> Any:
    """Post a message to the case (not observers); attach files with the attachments route."""
    actor = _actor(request, case_id)
    parent = None
    if body.parent_id is not None:
        parent = actor.case.messages.filter(id=body.parent_id).first()
        if parent is None:
            raise CaseNotFound("no such message in this case")
    message = services.case_message_post(actor=actor, body=body.body, parent=parent)
    return Status(201, _case_message_json(message, False))


@router.get("/cases/{case_id}/attachments", response=list[AttachmentOut])
def attachment_list(request: HttpRequest, case_id: DbId) -> list[CaseAttachment]:
    """List the case's files (without their content)."""
    return list(selectors.case_attachments(_actor(request, case_id)))


@router.post("/cases/{case_id}/attachments", response={201: AttachmentOut})
def attachment_upload(
    request: HttpRequest,
    case_id: DbId,
    file: File[UploadedFile],
    message_id: Form[DbId | None] = None,
) -> Any:
    """Upload a file (multipart field ``file``; ``message_id``: one of the caller's messages).
    Text, JSON, PDF, PNG, JPEG, zip, gzip and packet captures up to 10 MiB; HTML, SVG and
    executables are refused."""
    actor = _actor(request, case_id)
    message = None
    if message_id is not None:
        message = actor.case.messages.filter(id=message_id).first()
        if message is None:
            raise CaseNotFound("no such message in this case")
    if file.size is not None and file.size > MAX_ATTACHMENT_BYTES:
        raise InputError(f"the file is {file.size} bytes, more than {MAX_ATTACHMENT_BYTES}")
    upload = Upload(
        file_name=file.name or "", content=file.read(), declared_type=file.content_type or ""
    )
    attachment = services.case_attachment_add(actor=actor, upload=upload, message=message)
    return Status(201, attachment)


@router.get(
    "/cases/{case_id}/attachments/{attachment_id}",
    openapi_extra={
        "responses": {
            200: {
                "description": "the file, as a download",
                "content": {"application/octet-stream": {"schema": {"type": "string"}}},
            }
        }
    },
)
def attachment_download(request: HttpRequest, case_id: DbId, attachment_id: DbId) -> Any:
    """Download a file of the case: always as an attachment, with ``nosniff``."""
    attachment = selectors.case_attachment_get(_actor(request, case_id), attachment_id)
    return attachment_response(attachment)


@router.post("/cases/{case_id}/embargo", response=CaseOut, openapi_extra=_409)
def embargo_action(request: HttpRequest, case_id: DbId, body: EmbargoIn) -> dict[str, Any]:
    """Propose an embargo end (``end_date``: noon UTC that day, or ``end_at``; coordinators
    and vendors; an active embargo stays in force while a revision is pending), or accept,
    reject or exit (coordinators)."""
    actor = _actor(request, case_id)
    if body.action == "propose":
        end = body.end_at or body.end_date
        if end is None:
            raise InputError("proposing an embargo needs end_date or end_at")
        _refusing(embargo.embargo_propose, actor=actor, end=end)
    elif body.action == "accept":
        _refusing(embargo.embargo_accept, actor=actor)
    elif body.action == "reject":
        _refusing(embargo.embargo_reject, actor=actor)
    else:
        _refusing(embargo.embargo_exit, actor=actor, reason=body.reason)
    return _case_json(actor)


@router.post("/cases/{case_id}/flags", response=CaseOut)
def flag_set(request: HttpRequest, case_id: DbId, body: FlagIn) -> dict[str, Any]:
    """Set a Vultron flag now: public_aware, exploit_public or attacks_observed for the case
    (ends an embargo), vendor_aware, fix_ready or fix_deployed for a vendor."""
    actor = _actor(request, case_id)
    if body.flag in embargo.CASE_FLAGS:
        embargo.case_flag_set(actor=actor, flag=body.flag)
    else:
        target = actor if body.participant_id is None else _participant(actor, body.participant_id)
        services.participant_flag_set(actor=actor, participant=target, flag=body.flag)
    return _case_json(actor)


@router.get("/cases/{case_id}/vulnerabilities", response=list[VulnerabilityOut])
def vulnerability_list(request: HttpRequest, case_id: DbId) -> list[CaseVulnerability]:
    """List the case's vulnerabilities."""
    return list(selectors.case_vulnerabilities(_actor(request, case_id)))


@router.post("/cases/{case_id}/vulnerabilities", response={201: VulnerabilityOut})
def vulnerability_add(request: HttpRequest, case_id: DbId, body: VulnerabilityIn) -> Any:
    """Add a vulnerability to the case (coordinators)."""
    actor = _actor(request, case_id)
    return Status(201, services.case_vulnerability_add(actor=actor, **body.dict()))


@router.put("/cases/{case_id}/vulnerabilities/{vulnerability_id}/references",
            response=VulnerabilityOut)  # fmt: skip
def vulnerability_references(
    request: HttpRequest, case_id: DbId, vulnerability_id: DbId, body: ReferencesIn
) -> CaseVulnerability:
    """Replace the public references (http or https URLs) of a vulnerability (coordinators);
    the CVE record and the CSAF advisory cite them."""
    actor = _actor(request, case_id)
    vulnerability = selectors.case_vulnerability_get(actor, vulnerability_id)
    return cve.case_vulnerability_references_set(
        actor=actor, vulnerability=vulnerability, references=body.references
    )


@router.get("/cases/{case_id}/vulnerabilities/{vulnerability_id}/cve", response=CveRecordOut)
def cve_record(request: HttpRequest, case_id: DbId, vulnerability_id: DbId) -> dict[str, Any]:
    """Return the CVE record (CNA container) the vulnerability would be published with and
    what the linter finds in it (coordinators)."""
    actor, vulnerability = _cve_target(request, case_id, vulnerability_id)
    findings = cve.case_cve_lint(vulnerability)
    return {
        "vulnerability_id": vulnerability.pk,
        "cve_id": vulnerability.cve_id,
        "cve_state": vulnerability.cve_state,
        "container": cve.case_cve_container(vulnerability),
        "findings": [
            {"severity": f.severity, "path": f.path, "message": f.message, "rule": f.rule}
            for f in findings
        ],
        "publishable": not any(f.severity == "error" for f in findings)
        and not actor.case.embargo_in_force,
    }


@router.post("/cases/{case_id}/vulnerabilities/{vulnerability_id}/cve/reserve",
             response=VulnerabilityOut, openapi_extra=_502)  # fmt: skip
def cve_reserve(request: HttpRequest, case_id: DbId, vulnerability_id: DbId) -> Any:
    """Reserve a CVE id at CVE Services for the vulnerability and store it (coordinators)."""
    actor, vulnerability = _cve_target(request, case_id, vulnerability_id)
    return _cve_call(cve.case_cve_reserve, actor=actor, vulnerability=vulnerability)


@router.post("/cases/{case_id}/vulnerabilities/{vulnerability_id}/cve/publish",
             response=VulnerabilityOut, openapi_extra=_409_502)  # fmt: skip
def cve_publish(request: HttpRequest, case_id: DbId, vulnerability_id: DbId) -> Any:
    """Publish the vulnerability's CVE record at CVE Services, or update it once published
    (coordinators). Refused while the case's embargo is in force (409) and while the linter
    reports errors (400, listing them)."""
    actor, vulnerability = _cve_target(request, case_id, vulnerability_id)
    return _cve_call(cve.case_cve_publish, actor=actor, vulnerability=vulnerability)


@router.post("/cases/{case_id}/vulnerabilities/{vulnerability_id}/cve/reject",
             response=VulnerabilityOut, openapi_extra=_502)  # fmt: skip
def cve_reject(
    request: HttpRequest, case_id: DbId, vulnerability_id: DbId, body: CveRejectIn
) -> Any:
    """Reject the vulnerability's CVE id at CVE Services: an unused reservation, or a
    published record withdrawn (coordinators)."""
    actor, vulnerability = _cve_target(request, case_id, vulnerability_id)
    return _cve_call(
        cve.case_cve_reject, actor=actor, vulnerability=vulnerability, reason=body.reason
    )


@router.get(
    "/cases/{case_id}/csaf",
    openapi_extra={
        "responses": {
            200: {
                "description": "the CSAF 2.0 document, as a download",
                "content": {"application/json": {"schema": {"type": "object"}}},
            },
            **_409["responses"],
        }
    },
)
def csaf_document(request: HttpRequest, case_id: DbId, query: Query[CsafQuery]) -> Any:
    """Download the case's CSAF 2.0 advisory (``csaf_security_advisory`` or ``csaf_vex``),
    validated, TLP:WHITE (coordinators). Refused while the embargo is in force (409)."""
    actor = _actor(request, case_id)
    require_role(actor, (ParticipantRole.COORDINATOR,), "the CSAF advisory")
    document = _refusing(csaf.case_csaf_document, case=actor.case, profile=query.profile)
    response = HttpResponse(orjson.dumps(document), content_type="application/json")
    name = f"{actor.case.identifier.lower()}.json"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@router.post("/cases/{case_id}/csaf/publish", response=CsafPublishedOut, openapi_extra=_409)
def csaf_publish(request: HttpRequest, case_id: DbId, query: Query[CsafQuery]) -> Any:
    """Publish the case's advisory through the organisation's CSAF provider, or replace the
    version published before (coordinators). Refused while the embargo is in force (409)."""
    actor = _actor(request, case_id)
    result = _refusing(csaf.case_csaf_publish, actor=actor, profile=query.profile)
    document = result.document
    return {
        "tracking_id": document.tracking_id,
        "version": document.version,
        "filename": document.filename,
        "tlp": document.tlp,
        "replaced": result.replaced,
        "signed": result.signed,
        "signing_note": result.signing_note,
    }


@router.get("/cases/{case_id}/statuses", response=list[StatusOut])
def status_list(request: HttpRequest, case_id: DbId) -> list[dict[str, Any]]:
    """List the vendor statuses the caller may read: all for coordinators, else the approved
    ones and the caller's own."""
    return [_status_json(s) for s in selectors.vendor_statuses(_actor(request, case_id))]


@router.put("/cases/{case_id}/statuses", response=StatusOut)
def status_set(request: HttpRequest, case_id: DbId, body: StatusIn) -> dict[str, Any]:
    """Record a vendor's status on a vulnerability (the vendor itself, or a coordinator with
    ``vendor_id``); a change needs approval again before others see it."""
    actor = _actor(request, case_id)
    vulnerability = selectors.case_vulnerability_get(actor, body.vulnerability_id)
    vendor = None if body.vendor_id is None else _participant(actor, body.vendor_id)
    status = services.vendor_status_set(
        actor=actor,
        vulnerability=vulnerability,
        status=body.status,
        statement=body.statement,
        vendor=vendor,
    )
    return _status_json(status)


@router.post("/cases/{case_id}/statuses/{status_id}/approve", response=StatusOut)
def status_approve(request: HttpRequest, case_id: DbId, status_id: DbId) -> dict[str, Any]:
    """Approve a vendor's statement for every participant to see (coordinators)."""
    actor = _actor(request, case_id)
    status = selectors.vendor_status_get(actor, status_id)
    return _status_json(services.vendor_status_approve(actor=actor, status=status))


@router.get("/cases/{case_id}/affected-releases", response=ImpactOut)
def affected_releases(request: HttpRequest, case_id: DbId, query: Query[ImpactQuery]) -> Any:
    """Return the releases of the organisation's products (among those the caller may see)
    whose SBOMs contain the vulnerability's package at a version in its affected range, and
    the components the range cannot decide (coordinators and vendors)."""
    actor = _actor(request, case_id)
    if actor.role not in (ParticipantRole.COORDINATOR, ParticipantRole.VENDOR):
        raise PermissionDenied("the impact is read by coordinators and vendors")
    vulnerability = selectors.case_vulnerability_get(actor, query.vulnerability_id)
    found = impact.affected_releases(vulnerability, actor.case.organisation, user=request.auth)
    return _impact_json(found)


@router.get("/cases/{case_id}/releases", response=list[CaseReleaseOut])
def release_list(request: HttpRequest, case_id: DbId) -> list[dict[str, Any]]:
    """List the releases added to the case."""
    return [_case_release_json(r) for r in selectors.case_releases(_actor(request, case_id))]


@router.post("/cases/{case_id}/releases", response=list[CaseReleaseOut])
def release_add(request: HttpRequest, case_id: DbId, body: ReleasesIn) -> list[dict[str, Any]]:
    """Add releases to the case (coordinators and vendors): ``release_ids``, or every release
    ``vulnerability_id`` affects; answers the releases added now."""
    actor = _actor(request, case_id)
    vulnerability = None
    if body.vulnerability_id is not None:
        vulnerability = selectors.case_vulnerability_get(actor, body.vulnerability_id)
    if not body.release_ids:
        if vulnerability is None:
            raise InputError("name release_ids, or a vulnerability_id to add what it affects")
        added, _ = impact.case_releases_add_affected(actor=actor, vulnerability=vulnerability)
    else:
        added = []
        for release_id in body.release_ids:
            release = Release.objects.select_related("product").filter(id=release_id).first()
            if release is None:
                raise HttpError(404, "no such release")
            added.append(
                impact.case_release_add(actor=actor, release=release, vulnerability=vulnerability)
            )
    rows = CaseRelease.objects.filter(id__in=[r.pk for r in added]).select_related(
        "release__product"
    )
    return [_case_release_json(r) for r in rows.order_by("id")]


@router.delete("/cases/{case_id}/releases/{release_id}", response={204: None})
def release_remove(request: HttpRequest, case_id: DbId, release_id: DbId) -> Any:
    """Take a release out of the case (coordinators and vendors who may see it)."""
    actor = _actor(request, case_id)
    row = (
        CaseRelease.objects.select_related("release__product")
        .filter(case_id=actor.case_id, release_id=release_id)
        .first()
    )
    if row is None:
        raise CaseNotFound("no such release in this case")
    impact.case_release_remove(actor=actor, case_release=row)
    return Status(204, None)


# -- helpers --------------------------------------------------------------------------------------


def _refusing(service: Any, **kwargs: Any) -> Any:
    """Call ``service``; a TransitionRefused becomes a 409."""
    try:
        return service(**kwargs)
    except TransitionRefused as exc:
        raise HttpError(409, str(exc)) from exc


def _cve_target(
    request: HttpRequest, case_id: int, vulnerability_id: int
) -> tuple[Participant, CaseVulnerability]:
    actor = _actor(request, case_id)
    if actor.role != ParticipantRole.COORDINATOR:
        raise PermissionDenied("CVE records need the coordinator role in the case")
    return actor, selectors.case_vulnerability_get(actor, vulnerability_id)


def _cve_call(service: Any, **kwargs: Any) -> Any:
    """Call a CVE service: a refusal (embargo) is a 409, CVE Services failing a 502."""
    try:
        return _refusing(service, **kwargs)
    except CveServicesError as exc:  # its message names the operation; the key is masked
        raise HttpError(502, str(exc)) from exc


def _organisation(slug: str | None) -> Organisation:
    if not slug:
        return organisation_default()
    organisation = Organisation.objects.filter(slug=slug).first()
    if organisation is None:
        raise InputError(f"no organisation {slug!r}")
    return organisation


def _report(request: HttpRequest, tracking_id: str) -> Report:
    report = selectors.report_get(user=request.auth, tracking_id=tracking_id)
    if report is None:
        raise CaseNotFound("no such report")
    return report


def _actor(request: HttpRequest, case_id: int) -> Participant:
    return selectors.participant_for(case_id=case_id, user=request.auth)


def _participant(actor: Participant, participant_id: int) -> Participant:
    found = Participant.objects.filter(id=participant_id, case_id=actor.case_id).first()
    if found is None:
        raise CaseNotFound("no such participant in this case")
    return found


def _report_json(report: Report, *, full: bool = False) -> dict[str, Any]:
    data = {
        name: getattr(report, name)
        for name in (
            "tracking_id", "channel", "title", "description", "affected_product",
            "affected_versions", "component_purl", "affected_range", "reporter_name",
            "reporter_email", "encryption_contact", "wants_credit", "credit_name", "language",
            "state", "case_id", "created_at",
        )
    }  # fmt: skip
    data["organisation"] = report.organisation.slug
    data["case"] = report.case.identifier if report.case is not None else None
    data["allowed_next"] = sorted(RM_TRANSITIONS[report.state] - {RmState.ACCEPTED.value})
    if report.state in (RmState.VALID, RmState.DEFERRED) and report.case_id is None:
        data["allowed_next"].append(RmState.ACCEPTED.value)  # through /accept
    if full:
        data["attachments"] = list(selectors.report_attachments(report))
        data["messages"] = [_report_message_json(m) for m in selectors.report_messages(report)]
    return data


def _report_message_json(message: Any) -> dict[str, Any]:
    return {
        "id": message.pk,
        "from_reporter": message.from_reporter,
        "author": message.author.get_username() if message.author is not None else None,
        "body": message.body,
        "created_at": message.created_at,
        "attachments": list(message.attachments.all()),
    }


def _case_json(actor: Participant, case: Case | None = None) -> dict[str, Any]:
    case = case or Case.objects.select_related("organisation").get(pk=actor.case_id)
    data = {
        name: getattr(case, name)
        for name in (
            "id", "identifier", "title", "summary", "created_at", "vfdpxa", "public_aware_at",
            "exploit_public_at", "attacks_observed_at", "embargo_state", "embargo_in_force",
            "embargo_end_at",
            "proposed_end_at", "embargo_exit_reason", "closed_at",
        )
    }  # fmt: skip
    data["organisation"] = case.organisation.slug
    data["my_participant_id"] = actor.pk
    data["my_role"] = actor.role
    return data


def _participant_json(participant: Participant, viewer: Participant) -> dict[str, Any]:
    data = {
        name: getattr(participant, name)
        for name in (
            "id", "role", "label", "organisation_name", "rm_state", "vfd", "vendor_aware_at",
            "fix_ready_at", "fix_deployed_at", "notified_at", "seen_at", "invited_at",
            "accepted_at", "removed_at",
        )
    }  # fmt: skip
    data["pending"] = participant.accepted_at is None
    coordinator = viewer.role == ParticipantRole.COORDINATOR
    data["email"] = participant.email if coordinator or participant.pk == viewer.pk else None
    return data


def _case_message_json(message: Any, unseen: bool) -> dict[str, Any]:
    return {
        "id": message.pk,
        "parent_id": message.parent_id,
        "author_id": message.author_id,
        "author": message.author.label,
        "body": message.body,
        "created_at": message.created_at,
        "unseen": unseen,
        "attachments": list(message.attachments.all()),
    }


def _status_json(status: VendorStatus) -> dict[str, Any]:
    return {
        "id": status.pk,
        "vulnerability_id": status.vulnerability_id,
        "vendor_id": status.vendor_id,
        "vendor": status.vendor.label,
        "status": status.status,
        "statement": status.statement,
        "updated_at": status.updated_at,
        "approved_at": status.approved_at,
    }


def _component_json(component: Any) -> dict[str, Any]:
    return {
        "id": component.pk,
        "name": component.name,
        "version": component.version,
        "purl": component.purl,
    }


def _impact_json(found: impact.Impact) -> dict[str, Any]:
    return {
        "package": found.package,
        "affected_range": found.affected_range,
        "affected": [
            {
                "release_id": a.release.pk,
                "product_id": a.release.product_id,
                "product": a.release.product.name,
                "version": a.release.version,
                "components": [_component_json(c) for c in a.components],
            }
            for a in found.affected
        ],
        "undecided": [
            {
                "release_id": u.release.pk,
                "product": u.release.product.name,
                "version": u.release.version,
                "component": _component_json(u.component),
                "reason": u.reason,
            }
            for u in found.undecided
        ],
    }


def _case_release_json(row: CaseRelease) -> dict[str, Any]:
    return {
        "id": row.pk,
        "release_id": row.release_id,
        "product_id": row.release.product_id,
        "product": row.release.product.name,
        "version": row.release.version,
        "vulnerability_id": row.vulnerability_id,
        "added_at": row.added_at,
    }
