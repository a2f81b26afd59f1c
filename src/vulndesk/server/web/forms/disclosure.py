"""Forms of the disclosure pages: the public report form, messages with attachments, triage,
invitations, the embargo, vulnerabilities and vendor statements.

The forms check shape only (lengths, choices, a date); the rules (transition tables, roles, what
an attachment may be) are the services' (``disclosure.services``, ``reports``, ``embargo``),
whose refusals the views show next to the form.
"""

from __future__ import annotations

from datetime import time
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from vulndesk.server.disclosure.attachments import MAX_ATTACHMENTS
from vulndesk.server.disclosure.models import (
    EmbargoState,
    ParticipantRole,
    ReportLanguage,
    RmState,
    VendorStatusValue,
)

# The states' labels, marked here so that the web catalogue has them (the same context and words
# as disclosure.models, so one translation serves both).
RM_LABELS = {
    RmState.START.value: pgettext_lazy("report state", "not yet received"),
    RmState.RECEIVED.value: pgettext_lazy("report state", "received"),
    RmState.INVALID.value: pgettext_lazy("report state", "invalid"),
    RmState.VALID.value: pgettext_lazy("report state", "valid"),
    RmState.DEFERRED.value: pgettext_lazy("report state", "deferred"),
    RmState.ACCEPTED.value: pgettext_lazy("report state", "accepted"),
    RmState.CLOSED.value: pgettext_lazy("report state", "closed"),
}
assert set(RM_LABELS) == set(RmState.values)
EMBARGO_LABELS = {
    EmbargoState.NONE.value: pgettext_lazy("embargo", "none"),
    EmbargoState.PROPOSED.value: pgettext_lazy("embargo", "proposed"),
    EmbargoState.ACTIVE.value: pgettext_lazy("embargo", "active"),
    EmbargoState.REVISED.value: pgettext_lazy("embargo", "revision proposed"),
    EmbargoState.EXITED.value: pgettext_lazy("embargo", "exited"),
}
assert set(EMBARGO_LABELS) == set(EmbargoState.values)
ROLE_LABELS = {
    ParticipantRole.REPORTER.value: _("reporter"),
    ParticipantRole.COORDINATOR.value: _("coordinator"),
    ParticipantRole.VENDOR.value: _("vendor"),
    ParticipantRole.OBSERVER.value: _("observer"),
}
assert set(ROLE_LABELS) == set(ParticipantRole.values)
STATUS_LABELS = {
    VendorStatusValue.AFFECTED.value: _("affected"),
    VendorStatusValue.NOT_AFFECTED.value: _("not affected"),
    VendorStatusValue.UNKNOWN.value: _("unknown"),
    VendorStatusValue.FIXED.value: _("fixed"),
}
assert set(STATUS_LABELS) == set(VendorStatusValue.values)
LANGUAGE_LABELS = {ReportLanguage.JA.value: "日本語", ReportLanguage.EN.value: "English"}

BODY_MAX = 100_000


class MultipleFileInput(forms.ClearableFileInput):
    """A file input that takes several files (Django's docs, "Uploading multiple files")."""

    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Zero or more files; each is checked by the service (``disclosure.attachments``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        single = super().clean
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        cleaned = [single(f, initial) for f in files]
        if len(cleaned) > MAX_ATTACHMENTS:
            raise forms.ValidationError(
                _("At most %(count)d files at a time.") % {"count": MAX_ATTACHMENTS}
            )
        return [f for f in cleaned if f]


def _attachments_field() -> MultipleFileField:
    return MultipleFileField(
        label=_("Attachments"),
        help_text=_(
            "Up to 10 files of 10 MiB each: text, JSON, PDF, PNG, JPEG, zip, gzip or a packet "
            "capture. Web pages, SVG images and executables are refused: put them in a zip."
        ),
    )


class ReportForm(forms.Form):
    """The public report form. ``website`` is a honeypot: hidden from people, filled by bots."""

    title = forms.CharField(label=_("Title"), max_length=300)
    description = forms.CharField(
        label=_("Description"),
        max_length=BODY_MAX,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_("What the vulnerability is, how to reproduce it, and what an attacker gains."),
    )
    affected_product = forms.CharField(label=_("Affected product"), max_length=500, required=False)
    affected_versions = forms.CharField(
        label=_("Affected versions"), max_length=500, required=False
    )
    component_purl = forms.CharField(
        label=_("Component package URL (optional)"),
        max_length=1000,
        required=False,
        help_text=_("For example pkg:pypi/requests@2.31.0"),
    )
    affected_range = forms.CharField(
        label=_("Affected range (optional)"),
        max_length=1000,
        required=False,
        help_text=_("A vers range, for example vers:pypi/>=2.3.0|<2.31.0"),
    )
    reporter_name = forms.CharField(label=_("Your name (optional)"), max_length=200, required=False)
    reporter_email = forms.EmailField(
        label=_("Your e-mail address (optional)"),
        max_length=254,
        required=False,
        help_text=_("You may stay anonymous: the status link works without it."),
    )
    encryption_contact = forms.CharField(
        label=_("Encryption key or its URL (optional)"),
        max_length=20_000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("An OpenPGP public key (armoured) or a URL where it can be fetched."),
    )
    wants_credit = forms.BooleanField(label=_("I would like to be credited"), required=False)
    credit_name = forms.CharField(label=_("Credit as"), max_length=200, required=False)
    language = forms.ChoiceField(
        label=_("Language of our replies"), choices=list(LANGUAGE_LABELS.items())
    )
    attachments = _attachments_field()
    website = forms.CharField(label=_("Leave this field empty"), required=False)


class MessageForm(forms.Form):
    """A message with attachments (report thread, case thread; ``parent``: the message answered)."""

    body = forms.CharField(
        label=_("Message"), max_length=BODY_MAX, widget=forms.Textarea(attrs={"rows": 4})
    )
    parent = forms.IntegerField(required=False, widget=forms.HiddenInput)
    attachments = _attachments_field()


class ReportTransitionForm(forms.Form):
    state = forms.ChoiceField(choices=list(RM_LABELS.items()))


class ReportAcceptForm(forms.Form):
    """Accept a report into a new case (title defaults to the report's)."""

    title = forms.CharField(label=_("Case title"), max_length=300, required=False)
    summary = forms.CharField(
        label=_("Summary"),
        max_length=BODY_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("Contact e-mail"), max_length=254)
    role = forms.ChoiceField(
        label=_("Role"),
        choices=[(r, ROLE_LABELS[r]) for r in ("vendor", "coordinator", "observer")],
    )
    organisation_name = forms.CharField(label=_("Organisation"), max_length=200, required=False)


class EmbargoProposeForm(forms.Form):
    """The end of a proposed embargo: a day, at noon UTC unless a time is given."""

    end_date = forms.DateField(
        label=_("Public date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    end_time = forms.TimeField(
        label=_("Time (UTC)"),
        required=False,
        initial=time(12),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text=_("Embargoes end at noon UTC unless another time is given."),
    )


class EmbargoExitForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


class VulnerabilityForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=300)
    cve_id = forms.CharField(label=_("CVE ID"), max_length=30, required=False)
    cwe = forms.CharField(label="CWE", max_length=20, required=False)
    cvss_vector = forms.CharField(label=_("CVSS vector"), max_length=300, required=False)
    component_purl = forms.CharField(
        label=_("Component package URL"),
        max_length=1000,
        required=False,
        help_text=_("The package without version, for example pkg:pypi/requests"),
    )
    affected_range = forms.CharField(
        label=_("Affected range"),
        max_length=1000,
        required=False,
        help_text=_("A vers range, for example vers:pypi/>=2.3.0|<2.31.0"),
    )
    description = forms.CharField(
        label=_("Description"),
        max_length=BODY_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class VendorStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=list(STATUS_LABELS.items()))
    statement = forms.CharField(
        label=_("Statement"),
        max_length=20_000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class FlagForm(forms.Form):
    flag = forms.CharField(max_length=30)
