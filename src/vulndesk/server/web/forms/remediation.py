"""The form that moves a remediation item along its status workflow."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from vulndesk.server.triage.models import RemediationStatus

# The statuses' labels, marked here so that the web catalogue has them (the same context and
# words as triage.models.RemediationStatus, so one translation serves both).
STATUS_LABELS = {
    RemediationStatus.OPEN.value: pgettext_lazy("remediation", "open"),
    RemediationStatus.IN_PROGRESS.value: pgettext_lazy("remediation", "in progress"),
    RemediationStatus.FIXED.value: pgettext_lazy("remediation", "fixed"),
    RemediationStatus.ACCEPTED_RISK.value: pgettext_lazy("remediation", "accepted risk"),
    RemediationStatus.NOT_AFFECTED.value: pgettext_lazy("remediation", "not affected"),
}
assert set(STATUS_LABELS) == set(RemediationStatus.values)

#: the longest note the page takes (the API takes 5,000 characters)
NOTE_MAX = 2000


class RemediationStatusForm(forms.Form):
    """A status (any: the transition table is the service's to enforce) and a note."""

    status = forms.ChoiceField(label=_("Status"), choices=list(STATUS_LABELS.items()))
    note = forms.CharField(label=_("Note"), max_length=NOTE_MAX, required=False)
