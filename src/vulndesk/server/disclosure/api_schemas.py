"""The request and response schemas of the disclosure REST API (``disclosure.api``)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from ninja import Field, Schema

from vulndesk.server.api_fields import DbId, Name, Text, UtcDatetime
from vulndesk.server.disclosure.models import (
    Channel,
    CveState,
    EmbargoState,
    ParticipantRole,
    ReportLanguage,
    RmState,
    VendorStatusValue,
)

#: a report's tracking id as ``reports.report_submit`` makes them
TrackingId = Annotated[str, Field(pattern=r"^VDR-[A-Z2-7]{10}$")]


class AttachmentOut(Schema):
    """A file of a report or case (download it from the case's attachment route)."""

    id: int
    file_name: str
    content_type: str = Field(description="the type its bytes show; served as a download")
    size: int
    sha256: str
    message_id: int | None
    created_at: datetime


class ReportIn(Schema):
    """A vulnerability report sent through the API."""

    organisation: Annotated[Text, Field(max_length=100)] | None = Field(
        None, description="the receiving organisation's slug (default: the default one)"
    )
    title: Annotated[Name, Field(max_length=300)]
    description: Annotated[Text, Field(max_length=100_000)]
    affected_product: Annotated[Text, Field(max_length=500)] = ""
    affected_versions: Annotated[Text, Field(max_length=500)] = ""
    component_purl: Annotated[Text, Field(max_length=1000)] = ""
    affected_range: Annotated[Text, Field(max_length=1000)] = Field(
        "", description="a vers: range, e.g. vers:pypi/>=2.3.0|<2.31.0"
    )
    reporter_name: Annotated[Text, Field(max_length=200)] = ""
    reporter_email: Annotated[Text, Field(max_length=254)] = ""
    encryption_contact: Annotated[Text, Field(max_length=20_000)] = Field(
        "", description="an OpenPGP public key (armoured) or its URL"
    )
    wants_credit: bool = False
    credit_name: Annotated[Text, Field(max_length=200)] = ""
    language: ReportLanguage = ReportLanguage.EN


class ReportCreatedOut(Schema):
    """The stored report's tracking id and the reporter's secret, shown this once."""

    tracking_id: str
    secret: str = Field(
        description="the reporter's status-page secret; not stored, not shown again"
    )
    state: RmState


class ReportMessageOut(Schema):
    """A message of a report's thread."""

    id: int
    from_reporter: bool
    author: str | None
    body: str
    created_at: datetime
    attachments: list[AttachmentOut]


class ReportOut(Schema):
    """A report as its organisation's triagers see it."""

    tracking_id: str
    organisation: str
    channel: Channel
    title: str
    description: str
    affected_product: str
    affected_versions: str
    component_purl: str
    affected_range: str
    reporter_name: str
    reporter_email: str
    encryption_contact: str
    wants_credit: bool
    credit_name: str
    language: ReportLanguage
    state: RmState
    allowed_next: list[RmState]
    case_id: int | None
    case: str | None = Field(description="the case identifier once accepted")
    created_at: datetime
    attachments: list[AttachmentOut] = []
    messages: list[ReportMessageOut] = []


class ReportStateIn(Schema):
    """The next report-management state (accepting goes through /accept)."""

    state: RmState


class MessageIn(Schema):
    """A message."""

    body: Annotated[Text, Field(min_length=1, max_length=100_000)]
    parent_id: DbId | None = Field(None, description="the message this answers (cases only)")


class AcceptIn(Schema):
    """How the new case is named (default: the report's title)."""

    title: Annotated[Text, Field(max_length=300)] = ""
    summary: Annotated[Text, Field(max_length=100_000)] = ""


class CaseIn(Schema):
    """A new case."""

    organisation: Annotated[Text, Field(max_length=100)] | None = Field(
        None, description="the organisation's slug (default: the default one)"
    )
    title: Annotated[Name, Field(max_length=300)]
    summary: Annotated[Text, Field(max_length=100_000)] = ""


class CaseOut(Schema):
    """A case as one participant sees it."""

    id: int
    identifier: str
    organisation: str
    title: str
    summary: str
    created_at: datetime
    vfdpxa: str = Field(
        description="Vultron case state; V/F/D upper case when every vendor has the flag"
    )
    public_aware_at: datetime | None
    exploit_public_at: datetime | None
    attacks_observed_at: datetime | None
    embargo_state: EmbargoState
    embargo_in_force: bool = Field(
        description="an agreed embargo holds now (active or revised, its end not passed)"
    )
    embargo_end_at: datetime | None
    proposed_end_at: datetime | None
    embargo_exit_reason: str
    closed_at: datetime | None
    my_participant_id: int
    my_role: ParticipantRole


class ParticipantOut(Schema):
    """A participant; contact e-mail addresses only for coordinators."""

    id: int
    role: ParticipantRole
    label: str
    organisation_name: str
    email: str | None
    pending: bool = Field(description="invited, not accepted yet")
    rm_state: RmState
    vfd: str
    vendor_aware_at: datetime | None
    fix_ready_at: datetime | None
    fix_deployed_at: datetime | None
    notified_at: datetime | None
    seen_at: datetime | None
    invited_at: datetime | None
    accepted_at: datetime | None
    removed_at: datetime | None = Field(description="taken out of the case by a coordinator")


class InviteIn(Schema):
    """Whom to invite, as what."""

    email: Annotated[Text, Field(max_length=254)]
    role: ParticipantRole
    organisation_name: Annotated[Text, Field(max_length=200)] = ""


class InvitedOut(Schema):
    """The invited participant and the one-time invitation secret (send it to the contact)."""

    participant: ParticipantOut
    secret: str = Field(description="shown once; the contact accepts with it")


class InvitationIn(Schema):
    """An invitation secret."""

    secret: Annotated[Text, Field(min_length=1, max_length=200)]


class ParticipantPatch(Schema):
    """A participant's new role (coordinators) or report-management state."""

    role: ParticipantRole | None = None
    rm_state: RmState | None = None


class CaseMessageOut(Schema):
    """A message of a case, as the caller sees it."""

    id: int
    parent_id: int | None
    author_id: int
    author: str
    body: str
    created_at: datetime
    unseen: bool = Field(description="posted after the caller last marked the case seen")
    attachments: list[AttachmentOut]


class EmbargoIn(Schema):
    """An embargo action: propose (with ``end_date``, ending noon UTC, or ``end_at``), accept,
    reject, or exit (with a reason)."""

    action: Literal["propose", "accept", "reject", "exit"]
    end_date: date | None = None
    end_at: UtcDatetime | None = None
    reason: Annotated[Text, Field(max_length=200)] = ""


class FlagIn(Schema):
    """A Vultron flag to set now: P/X/A for the case, V/F/D for a vendor (``participant_id``,
    default the caller)."""

    flag: Literal[
        "vendor_aware",
        "fix_ready",
        "fix_deployed",
        "public_aware",
        "exploit_public",
        "attacks_observed",
    ]
    participant_id: DbId | None = None


class VulnerabilityIn(Schema):
    """A vulnerability of the case."""

    title: Annotated[Name, Field(max_length=300)]
    cve_id: Annotated[Text, Field(max_length=30)] = ""
    description: Annotated[Text, Field(max_length=100_000)] = ""
    cwe: Annotated[Text, Field(max_length=20)] = ""
    cvss_vector: Annotated[Text, Field(max_length=300)] = ""
    component_purl: Annotated[Text, Field(max_length=1000)] = Field(
        "", description="the package (a version, if given, is dropped)"
    )
    affected_range: Annotated[Text, Field(max_length=1000)] = Field(
        "", description="a vers: range of the package's affected versions"
    )


class VulnerabilityOut(Schema):
    """A vulnerability of the case."""

    id: int
    cve_id: str
    title: str
    description: str
    cwe: str
    cvss_vector: str
    component_purl: str
    affected_range: str
    references: list[str] = Field(default_factory=list, description="public URLs about it")
    cve_state: CveState = Field(
        CveState.NONE, description="the id's state at CVE Services (empty: not reserved there)"
    )
    cve_published_at: datetime | None = None
    created_at: datetime


class StatusIn(Schema):
    """A vendor's status on a vulnerability (``vendor_id``: coordinators only)."""

    vulnerability_id: DbId
    status: VendorStatusValue
    statement: Annotated[Text, Field(max_length=20_000)] = ""
    vendor_id: DbId | None = None


class StatusOut(Schema):
    """A vendor's status on a vulnerability."""

    id: int
    vulnerability_id: int
    vendor_id: int
    vendor: str
    status: VendorStatusValue
    statement: str
    updated_at: datetime
    approved_at: datetime | None


class ComponentOut(Schema):
    """A component of a release."""

    id: int
    name: str
    version: str
    purl: str


class AffectedReleaseOut(Schema):
    """A release the vulnerability affects, with the components that make it so."""

    release_id: int
    product_id: int
    product: str
    version: str
    components: list[ComponentOut]


class UndecidedOut(Schema):
    """A component whose version the range cannot decide, and why."""

    release_id: int
    product: str
    version: str
    component: ComponentOut
    reason: str


class ImpactOut(Schema):
    """Releases of the organisation's products the vulnerability affects (among those the
    caller may see), and components to judge by hand."""

    package: str
    affected_range: str
    affected: list[AffectedReleaseOut]
    undecided: list[UndecidedOut]


class ImpactQuery(Schema):
    """Which vulnerability of the case."""

    vulnerability_id: DbId


class ReleasesIn(Schema):
    """Releases to add: ``release_ids``, or with none every release the vulnerability
    ``vulnerability_id`` affects."""

    release_ids: list[DbId] = Field(default_factory=list, max_length=500)
    vulnerability_id: DbId | None = None


class CaseReleaseOut(Schema):
    """A release in the case."""

    id: int
    release_id: int
    product_id: int
    product: str
    version: str
    vulnerability_id: int | None
    added_at: datetime


class ReferencesIn(Schema):
    """The public references of a vulnerability (http or https URLs), replacing the old ones."""

    references: list[Annotated[Text, Field(min_length=1, max_length=2000)]] = Field(max_length=50)


class CveRejectIn(Schema):
    """Why the CVE id is rejected (English; a default reason when empty)."""

    reason: Annotated[Text, Field(max_length=4000)] = ""


class LintFindingOut(Schema):
    """One problem the CVE linter found: errors block publishing, warnings do not."""

    severity: Literal["error", "warning"]
    path: str
    message: str
    rule: str


class CveRecordOut(Schema):
    """The CVE record a vulnerability would be published with, and the linter's findings."""

    vulnerability_id: int
    cve_id: str
    cve_state: CveState
    container: dict[str, Any] = Field(description="the CNA container (CVE JSON 5.1)")
    findings: list[LintFindingOut]
    publishable: bool = Field(description="no lint errors, and no embargo in force")


class CsafQuery(Schema):
    """Which CSAF profile to write."""

    profile: Literal["csaf_security_advisory", "csaf_vex"] = "csaf_security_advisory"


class CsafPublishedOut(Schema):
    """The advisory as the organisation's CSAF provider published it."""

    tracking_id: str
    version: str
    filename: str
    tlp: str
    replaced: bool = Field(description="it replaced an older version of the advisory")
    signed: bool
    signing_note: str
