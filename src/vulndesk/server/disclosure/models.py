"""Coordinated vulnerability disclosure: reports, cases, participants, embargoes.

The vocabulary is CERT/CC's Vultron model (/work/shared/reference/disclosure.md):

- A **Report** is what a finder sends an organisation (the public form, the API or an imported
  e-mail). Its report-management (RM) state moves along ``RM_TRANSITIONS``; the reporter follows
  it through a status link that carries a secret, stored here only as its SHA-256 digest.
- A **Case** is the coordination of one or more vulnerabilities among **Participants**
  (reporter, coordinator, vendors, observers). Each participant has its own RM state and, for a
  vendor, the V/F/D flags of ``vfdpxa`` (vendor aware, fix ready, fix deployed); the case holds
  the shared P/X/A flags (public aware, exploit public, attacks observed) and one embargo, whose
  states (``EmbargoState``) move along ``EMBARGO_TRANSITIONS``.
- **CaseVulnerability** rows are what the case is about; **VendorStatus** is one vendor's word
  on one of them (affected, not affected, unknown, fixed), published to the other participants
  once a coordinator approved it. **CaseRelease** rows are releases of the organisation's own
  inventory the case affects.
- Messages (**ReportMessage** with the reporter, **CaseMessage** among participants) and their
  attachments (**ReportAttachment**, **CaseAttachment**: kept byte for byte, of an allow-listed
  type, never served inline).

Times are flags: a Vultron flag is set by writing the moment it became true, once, and every
state change writes an audit row (``disclosure.services``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from vulndesk.server.accounts.models import Organisation
from vulndesk.server.inventory.models import Release
from vulndesk.server.notifications.models import DeliveryStatus


class Channel(models.TextChoices):
    """How a report reached the organisation."""

    WEB = "web", _("web form")
    API = "api", _("API")
    EMAIL = "email", _("e-mail import")


class ReportLanguage(models.TextChoices):
    """The language the reporter writes in (and is answered in)."""

    JA = "ja", _("Japanese")
    EN = "en", _("English")


class RmState(models.TextChoices):
    """Vultron report management: where one party stands with a report.

    ``start`` exists only for participants (invited, the report not yet received); a report is
    ``received`` when it is stored.
    """

    START = "start", pgettext_lazy("report state", "not yet received")
    RECEIVED = "received", pgettext_lazy("report state", "received")
    INVALID = "invalid", pgettext_lazy("report state", "invalid")
    VALID = "valid", pgettext_lazy("report state", "valid")
    DEFERRED = "deferred", pgettext_lazy("report state", "deferred")
    ACCEPTED = "accepted", pgettext_lazy("report state", "accepted")
    CLOSED = "closed", pgettext_lazy("report state", "closed")


#: the only RM changes allowed (Vultron's RM state machine). A report is validated before it is
#: accepted or deferred; an invalid one may be re-validated when new information arrives; a
#: closed one is final (a new report starts over).
RM_TRANSITIONS: dict[str, frozenset[str]] = {
    "start": frozenset({"received"}),
    "received": frozenset({"valid", "invalid"}),
    "invalid": frozenset({"valid", "closed"}),
    "valid": frozenset({"accepted", "deferred"}),
    "deferred": frozenset({"accepted", "closed"}),
    "accepted": frozenset({"deferred", "closed"}),
    "closed": frozenset(),
}


class EmbargoState(models.TextChoices):
    """Vultron embargo management, one per case."""

    NONE = "none", pgettext_lazy("embargo", "none")
    PROPOSED = "proposed", pgettext_lazy("embargo", "proposed")
    ACTIVE = "active", pgettext_lazy("embargo", "active")
    REVISED = "revised", pgettext_lazy("embargo", "revision proposed")
    EXITED = "exited", pgettext_lazy("embargo", "exited")


#: the only embargo changes allowed. ``revised`` is an active embargo with a proposed new end:
#: the agreed end stays in force until the revision is accepted (-> active, new end) or
#: rejected (-> active, old end). Exited is final: at most one embargo per case, ever.
EMBARGO_TRANSITIONS: dict[str, frozenset[str]] = {
    "none": frozenset({"proposed"}),
    "proposed": frozenset({"active", "none"}),
    "active": frozenset({"revised", "exited"}),
    "revised": frozenset({"active", "exited"}),
    "exited": frozenset(),
}


class ParticipantRole(models.TextChoices):
    """What a participant does in a case (see ``disclosure.selectors`` for what each may do)."""

    REPORTER = "reporter", _("reporter")
    COORDINATOR = "coordinator", _("coordinator")
    VENDOR = "vendor", _("vendor")
    OBSERVER = "observer", _("observer")


class VendorStatusValue(models.TextChoices):
    """A vendor's word on one vulnerability of the case."""

    AFFECTED = "affected", _("affected")
    NOT_AFFECTED = "not_affected", _("not affected")
    UNKNOWN = "unknown", _("unknown")
    FIXED = "fixed", _("fixed")


class Report(models.Model):
    """A vulnerability report received by an organisation."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="disclosure_reports"
    )
    # "VDR-" and 10 base32 characters from `secrets`: 50 random bits, not guessable from others
    tracking_id = models.CharField(_("tracking id"), max_length=20, unique=True)
    # SHA-256 of the secret the reporter's status link carries (shown once, never stored)
    secret_digest = models.CharField(max_length=64)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"))
    affected_product = models.CharField(_("affected product"), max_length=500, blank=True)
    affected_versions = models.CharField(_("affected versions"), max_length=500, blank=True)
    component_purl = models.CharField(_("component package URL"), max_length=1000, blank=True)
    affected_range = models.CharField(_("affected range (vers:)"), max_length=1000, blank=True)
    reporter_name = models.CharField(_("reporter name"), max_length=200, blank=True)
    reporter_email = models.EmailField(_("reporter e-mail"), max_length=254, blank=True)
    # an OpenPGP public key (armoured text) or a URL where it can be fetched
    encryption_contact = models.TextField(_("encryption key or URL"), blank=True)
    wants_credit = models.BooleanField(_("wants credit"), default=False)
    credit_name = models.CharField(_("credit as"), max_length=200, blank=True)
    language = models.CharField(
        _("language"), max_length=2, choices=ReportLanguage.choices, default=ReportLanguage.EN
    )
    state = models.CharField(
        _("state"), max_length=10, choices=RmState.choices, default=RmState.RECEIVED
    )
    case = models.ForeignKey(
        "Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="reports"
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organisation", "state"], name="report_org_state")]
        permissions = [
            (
                "triage_report",
                "Can read and triage the organisation's vulnerability reports and open cases",
            )
        ]

    def __str__(self) -> str:
        return self.tracking_id


class Case(models.Model):
    """The coordination of vulnerabilities among participants, under at most one embargo."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="disclosure_cases"
    )
    # VDC-<year>-<serial, 4 digits or more>, unique (the serial counts per year)
    identifier = models.CharField(_("identifier"), max_length=20, unique=True)
    title = models.CharField(_("title"), max_length=300)
    summary = models.TextField(_("summary"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # the P, X and A of vfdpxa: when each became true (set once)
    public_aware_at = models.DateTimeField(_("public aware"), null=True, blank=True)
    exploit_public_at = models.DateTimeField(_("exploit public"), null=True, blank=True)
    attacks_observed_at = models.DateTimeField(_("attacks observed"), null=True, blank=True)
    embargo_state = models.CharField(
        _("embargo"), max_length=10, choices=EmbargoState.choices, default=EmbargoState.NONE
    )
    # the agreed end (active, revised, exited) or the proposed one (proposed)
    embargo_end_at = models.DateTimeField(_("embargo end"), null=True, blank=True)
    # a revision's proposed new end (revised only)
    proposed_end_at = models.DateTimeField(_("proposed embargo end"), null=True, blank=True)
    embargo_exit_reason = models.CharField(max_length=200, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.identifier

    @property
    def embargo_in_force(self) -> bool:
        """Return whether an agreed embargo holds now: active (or active with a revision
        pending) and its end not passed, whether or not the worker has marked it exited yet."""
        return (
            self.embargo_state in (EmbargoState.ACTIVE, EmbargoState.REVISED)
            and self.embargo_end_at is not None
            and self.embargo_end_at > timezone.now()
        )

    @property
    def vfdpxa(self) -> str:
        """Return the case state as Vultron's six letters, upper case for what is true.

        V, F and D are per vendor: upper case only when the case has vendor participants and
        every one of them has the flag (one vendor without a fix keeps ``f``: the case as a whole
        is not fixed). Pending invitations count: an invited vendor is not aware yet; removed
        vendors do not. P, X and A are the case's own. Reads the participants (use
        ``prefetch_related("participants")`` on lists).
        """
        vendors = [
            p
            for p in self.participants.all()
            if p.role == ParticipantRole.VENDOR and p.removed_at is None
        ]

        def every(field: str) -> bool:
            return bool(vendors) and all(getattr(v, field) is not None for v in vendors)

        flags = (
            ("v", every("vendor_aware_at")),
            ("f", every("fix_ready_at")),
            ("d", every("fix_deployed_at")),
            ("p", self.public_aware_at is not None),
            ("x", self.exploit_public_at is not None),
            ("a", self.attacks_observed_at is not None),
        )
        return "".join(letter.upper() if on else letter for letter, on in flags)


class Participant(models.Model):
    """One party of a case: a user, an invited contact (user null until they accept), or the
    reporter, reached through the report's secret link (``report`` set, no user account)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="disclosure_participations",
    )
    report = models.ForeignKey(
        Report, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    email = models.EmailField(_("contact e-mail"), max_length=254, blank=True)
    organisation_name = models.CharField(_("organisation"), max_length=200, blank=True)
    role = models.CharField(_("role"), max_length=12, choices=ParticipantRole.choices)
    invitation_digest = models.CharField(max_length=64, blank=True, db_index=True)
    invited_at = models.DateTimeField(null=True, blank=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    rm_state = models.CharField(
        _("report state"), max_length=10, choices=RmState.choices, default=RmState.START
    )
    # the V, F and D of vfdpxa, per vendor
    vendor_aware_at = models.DateTimeField(_("vendor aware"), null=True, blank=True)
    fix_ready_at = models.DateTimeField(_("fix ready"), null=True, blank=True)
    fix_deployed_at = models.DateTimeField(_("fix deployed"), null=True, blank=True)
    notified_at = models.DateTimeField(_("notified"), null=True, blank=True)
    # the last time they opened the case: a message created after it is unseen by them
    seen_at = models.DateTimeField(_("last seen"), null=True, blank=True)
    # taken out of the case by a coordinator: sees nothing of it any more (the row stays, so
    # what they wrote keeps its author)
    removed_at = models.DateTimeField(_("removed"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["case", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "user"],
                condition=models.Q(user__isnull=False),
                name="participant_unique_user",
            )
        ]

    def __str__(self) -> str:
        return f"{self.role} {self.pk} of case {self.case_id}"

    @property
    def vfd(self) -> str:
        """Return this vendor's V/F/D letters, upper case for what is true (``VFd``)."""
        flags = (
            ("v", self.vendor_aware_at),
            ("f", self.fix_ready_at),
            ("d", self.fix_deployed_at),
        )
        return "".join(letter.upper() if at is not None else letter for letter, at in flags)

    @property
    def label(self) -> str:
        """Return how the participant is named to others: user name, organisation or e-mail."""
        if self.role == ParticipantRole.REPORTER and self.user_id is None:
            return str(_("reporter"))
        if self.user is not None:
            name = self.user.get_username()
            return f"{name} ({self.organisation_name})" if self.organisation_name else name
        return self.organisation_name or self.email or f"participant {self.pk}"


class Attachment(models.Model):
    """A file as uploaded: its sanitised name, the type it was declared with and the type its
    bytes show (``content_type``, what it is served as: always as a download), size, digest."""

    file_name = models.CharField(max_length=255)
    declared_type = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    content = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        # no file name: the admin lists these rows, and names can tell what the case is about
        return f"attachment {self.pk} ({self.sha256[:12]})"


class ReportMessage(models.Model):
    """A message of a report's thread: from the reporter (secret link) or the organisation."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="messages")
    from_reporter = models.BooleanField(default=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"message {self.pk} of {self.report_id}"


class ReportAttachment(Attachment):
    """A file sent with a report or one of its messages."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="attachments")
    message = models.ForeignKey(
        ReportMessage,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="attachments",
    )

    class Meta:
        ordering = ["created_at", "id"]


class CaseMessage(models.Model):
    """A message of a case's thread (``parent``: the message it answers)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="messages")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replies"
    )
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["case", "created_at"], name="case_message_time")]

    def __str__(self) -> str:
        return f"message {self.pk} of case {self.case_id}"


class CaseAttachment(Attachment):
    """A file of a case, posted with a message or on its own."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    message = models.ForeignKey(
        CaseMessage, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )
    uploaded_by = models.ForeignKey(
        Participant, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "id"]


class CveState(models.TextChoices):
    """Where a vulnerability's CVE id stands at CVE Services (``disclosure.cve``)."""

    NONE = "", pgettext_lazy("CVE state", "none")
    RESERVED = "reserved", pgettext_lazy("CVE state", "reserved")
    PUBLISHED = "published", pgettext_lazy("CVE state", "published")
    REJECTED = "rejected", pgettext_lazy("CVE state", "rejected")


class CaseVulnerability(models.Model):
    """One vulnerability a case is about."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="vulnerabilities")
    cve_id = models.CharField(_("CVE id"), max_length=30, blank=True)  # "" until reserved
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    cwe = models.CharField(_("CWE"), max_length=20, blank=True)  # CWE-79
    cvss_vector = models.CharField(_("CVSS vector"), max_length=300, blank=True)
    # the package without version (canonical purl) and the affected versions as a vers: range
    component_purl = models.CharField(_("component package URL"), max_length=1000, blank=True)
    affected_range = models.CharField(_("affected range (vers:)"), max_length=1000, blank=True)
    # public URLs about it (advisories, fixes), for the CVE record and the CSAF advisory
    references = models.JSONField(_("references"), default=list, blank=True)
    # the id's state at CVE Services ("" until reserved there; an id typed in by hand stays "")
    cve_state = models.CharField(
        _("CVE state"), max_length=10, choices=CveState.choices, blank=True, default=""
    )
    cve_published_at = models.DateTimeField(_("CVE published"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["case", "id"]
        verbose_name_plural = "case vulnerabilities"

    def __str__(self) -> str:
        return self.cve_id or f"vulnerability {self.pk} of case {self.case_id}"


class VendorStatus(models.Model):
    """A vendor's word on one vulnerability; other vendors see it once a coordinator approved
    it, and a change by the vendor clears the approval."""

    vulnerability = models.ForeignKey(
        CaseVulnerability, on_delete=models.CASCADE, related_name="statuses"
    )
    vendor = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="statuses")
    status = models.CharField(_("status"), max_length=14, choices=VendorStatusValue.choices)
    statement = models.TextField(_("statement"), blank=True)
    updated_by = models.ForeignKey(
        Participant, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField()
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        Participant, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["vulnerability", "vendor"]
        verbose_name_plural = "vendor statuses"
        constraints = [
            models.UniqueConstraint(fields=["vulnerability", "vendor"], name="vendor_status_unique")
        ]

    def __str__(self) -> str:
        # no status: the admin lists these rows, and a statement is need-to-know
        return f"status {self.pk} ({self.vendor_id} on {self.vulnerability_id})"


class CaseRelease(models.Model):
    """A release of the organisation's own inventory that the case affects."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="releases")
    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="+")
    # the vulnerability whose affected range put it here (null: added by hand)
    vulnerability = models.ForeignKey(
        CaseVulnerability, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_by = models.ForeignKey(
        Participant, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["case", "id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "release"], name="case_release_unique")
        ]

    def __str__(self) -> str:
        return f"release {self.release_id} in case {self.case_id}"


class NoticeKind(models.TextChoices):
    """What a notice of a case (``CaseNotice``) is about."""

    INVITATION = "invitation", _("invitation")
    MESSAGE = "message", _("new message")
    EMBARGO = "embargo", _("embargo change")
    STATUS_APPROVED = "status_approved", _("vendor status approved")
    REPORT_STATE = "report_state", _("report status change")
    EMBARGO_ENDING = "embargo_ending", _("embargo ends soon")
    VENDOR_PENDING = "vendor_pending", _("invitation not accepted")
    VENDOR_UNSEEN = "vendor_unseen", _("case not opened")


#: where a notice is: the notifications' own delivery states (pending -> sent / failed)
NoticeStatus = DeliveryStatus


class CaseNotice(models.Model):
    """One notice of a case (or of a report) to one participant by e-mail, or to one webhook
    endpoint of the organisation: the outbox and the log of what went out (``disclosure.notify``).

    ``key`` names the event and the recipient and is unique, which makes each notice, and each
    reminder, go out once. Subject and body hold no case content (titles, descriptions, message
    bodies, statements): only identifiers, states and dates, and "log in to read it".
    """

    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.CASCADE, related_name="notices"
    )
    report = models.ForeignKey(
        Report, null=True, blank=True, on_delete=models.CASCADE, related_name="notices"
    )
    participant = models.ForeignKey(
        Participant, null=True, blank=True, on_delete=models.SET_NULL, related_name="notices"
    )
    endpoint = models.ForeignKey(
        "notifications.WebhookEndpoint",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    kind = models.CharField(max_length=20, choices=NoticeKind.choices)
    key = models.CharField(max_length=200, unique=True)
    channel = models.CharField(max_length=10)  # notifications.models.DeliveryChannel
    target = models.CharField(max_length=1000)  # the e-mail address or the webhook URL
    subject = models.CharField(max_length=300, blank=True)
    body = models.TextField(blank=True)
    payload = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=10, choices=NoticeStatus.choices, default=NoticeStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    # when a pending notice is due; None: sent only at commit (invitations, whose link is not kept)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="case_notice_due",
                condition=models.Q(status="pending"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} notice {self.pk} ({self.channel}): {self.status}"
