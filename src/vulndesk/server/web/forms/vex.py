"""Forms of VEX triage: a statement about a finding, and a VEX document to import or export."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from vulndesk.server.triage.models import Justification, VexState
from vulndesk.server.triage.vex import StatementText, VexScope

# The labels, marked here so that the web catalogue has them (the same words as
# triage.models.VexState and Justification, so one translation serves both).
STATE_LABELS = {
    VexState.NOT_AFFECTED.value: _("not affected"),
    VexState.AFFECTED.value: _("affected"),
    VexState.FIXED.value: _("fixed"),
    VexState.UNDER_INVESTIGATION.value: _("under investigation"),
}
assert set(STATE_LABELS) == set(VexState.values)
JUSTIFICATION_LABELS = {
    Justification.COMPONENT_NOT_PRESENT.value: _("component not present"),
    Justification.VULNERABLE_CODE_NOT_PRESENT.value: _("vulnerable code not present"),
    Justification.VULNERABLE_CODE_NOT_IN_EXECUTE_PATH.value: _(
        "vulnerable code not in execute path"
    ),
    Justification.VULNERABLE_CODE_CANNOT_BE_CONTROLLED_BY_ADVERSARY.value: _(
        "vulnerable code cannot be controlled by adversary"
    ),
    Justification.INLINE_MITIGATIONS_ALREADY_EXIST.value: _("inline mitigations already exist"),
}
assert set(JUSTIFICATION_LABELS) == set(Justification.values)
RESPONSE_LABELS = {
    "can_not_fix": _("cannot fix"),
    "will_not_fix": _("will not fix"),
    "update": _("update"),
    "rollback": _("roll back"),
    "workaround_available": _("workaround available"),
}
WORDS_MAX = 20_000
RANGE_MAX = 1000
SCOPE_CHOICES = [
    (VexScope.VERSION.value, _("this version of the component")),
    (VexScope.ANY_VERSION.value, _("every version of the component")),
    (VexScope.RANGE.value, _("a range of versions of the component")),
]
RANGE_HELP = _(
    "With a range of versions: a vers range that holds this version, such as "
    "vers:pypi/>=1.0|<2.0 (comparators <, <=, >= or none, joined by |, in ascending order). "
    "It also covers later releases whose version is in the range."
)


def check_scope(form: forms.Form, prefix: str = "") -> None:
    """Add an error to ``form`` when a range scope has no range, or a range is given for another
    scope (whether the range can be read is the service's to say: VexRangeError)."""
    data = form.cleaned_data
    scope = data.get(f"{prefix}scope") or VexScope.VERSION.value
    text = (data.get(f"{prefix}version_range") or "").strip()
    if scope == VexScope.RANGE and not text:
        form.add_error(
            f"{prefix}version_range",
            _("Write the range of versions the statement covers, such as vers:pypi/>=1.0|<2.0."),
        )
    if scope != VexScope.RANGE and text:
        form.add_error(
            f"{prefix}version_range",
            _("A version range is only for a statement about a range of versions; leave it empty."),
        )


def check_statement(form: forms.Form, prefix: str = "") -> None:
    """Add an error to ``form`` for each rule of a statement its data breaks (the service's
    rules, StatementText.checked, with translated messages on the fields at fault)."""
    data = form.cleaned_data
    state = data.get(f"{prefix}state")
    if not state:
        return
    justification = data.get(f"{prefix}justification") or ""
    impact = (data.get(f"{prefix}impact_statement") or "").strip()
    action = (data.get(f"{prefix}action_statement") or "").strip()
    not_affected = state == VexState.NOT_AFFECTED
    if not_affected and not (justification or impact):
        form.add_error(
            f"{prefix}justification",
            _("Say why it is not affected: choose a justification or write an impact statement."),
        )
    if justification and not not_affected:
        form.add_error(
            f"{prefix}justification",
            _("A justification says why a component is not affected; leave it empty."),
        )
    if impact and not not_affected:
        form.add_error(
            f"{prefix}impact_statement",
            _("An impact statement says why a component is not affected; leave it empty."),
        )
    if action and state != VexState.AFFECTED:
        form.add_error(
            f"{prefix}action_statement",
            _("An action statement says what to do about an affected component; leave it empty."),
        )


class VexStatementForm(forms.Form):
    """A statement about a finding's vulnerability in its component."""

    state = forms.ChoiceField(label=_("State"), choices=list(STATE_LABELS.items()))
    justification = forms.ChoiceField(
        label=_("Justification"),
        required=False,
        choices=[("", "—"), *JUSTIFICATION_LABELS.items()],
        help_text=_("Why the component is not affected (not affected only)."),
    )
    impact_statement = forms.CharField(
        label=_("Impact statement"),
        required=False,
        max_length=WORDS_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Why it is not affected, in words (instead of or beside a justification)."),
    )
    action_statement = forms.CharField(
        label=_("Action statement"),
        required=False,
        max_length=WORDS_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("What users should do (affected only)."),
    )
    responses = forms.MultipleChoiceField(
        label=_("Response"),
        required=False,
        choices=list(RESPONSE_LABELS.items()),
        widget=forms.CheckboxSelectMultiple,
    )
    detail = forms.CharField(
        label=_("Detail"),
        required=False,
        max_length=WORDS_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    scope = forms.ChoiceField(
        label=_("Applies to"),
        choices=SCOPE_CHOICES,
        initial=VexScope.VERSION.value,
        widget=forms.RadioSelect,
    )
    version_range = forms.CharField(
        label=_("Version range"),
        required=False,
        max_length=RANGE_MAX,
        widget=forms.TextInput(attrs={"placeholder": "vers:pypi/>=1.0|<2.0", "size": 40}),
        help_text=RANGE_HELP,
    )

    def clean(self) -> dict[str, Any]:
        """Check the statement's rules (:func:`check_statement`) and that a range scope has a
        range (the service checks the range itself)."""
        data = super().clean()
        check_statement(self)
        check_scope(self)
        return data

    def text(self) -> StatementText:
        """Return the statement the valid data makes."""
        data = self.cleaned_data
        return StatementText(
            state=data["state"],
            justification=data.get("justification") or "",
            responses=tuple(data.get("responses") or ()),
            detail=data.get("detail") or "",
            impact_statement=data.get("impact_statement") or "",
            action_statement=data.get("action_statement") or "",
        )


class VexBulkScopeForm(forms.Form):
    """Which versions a statement recorded on selected findings covers (the findings list's
    bulk action; its other fields are ``findings.FindingSelectionForm``'s)."""

    vex_scope = forms.ChoiceField(
        label=_("Applies to"),
        required=False,
        choices=SCOPE_CHOICES,
    )
    vex_version_range = forms.CharField(
        label=_("Version range"), required=False, max_length=RANGE_MAX, help_text=RANGE_HELP
    )

    def clean(self) -> dict[str, Any]:
        """Check that a range scope has a range (:func:`check_scope`)."""
        data = super().clean()
        check_scope(self, prefix="vex_")
        return data

    def scope(self) -> VexScope:
        """Return the chosen scope (this version when none was sent)."""
        return VexScope(self.cleaned_data.get("vex_scope") or VexScope.VERSION.value)


class VexImportForm(forms.Form):
    """A VEX document to import into a product."""

    document = forms.FileField(
        label=_("VEX document"),
        help_text=_("OpenVEX, CycloneDX (embedded or standalone VEX) or CSAF VEX, as JSON."),
    )


class VexExportForm(forms.Form):
    """Which statements to export, in which format."""

    format = forms.ChoiceField(
        label=_("Format"),
        choices=[("openvex", "OpenVEX"), ("cyclonedx", "CycloneDX"), ("csaf", "CSAF")],
    )
    release = forms.TypedChoiceField(
        label=_("Release"), required=False, coerce=int, empty_value=None
    )
    unstated = forms.BooleanField(
        label=_("Add unstated findings as under investigation"), required=False
    )

    def __init__(self, *args: Any, releases: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["release"].choices = [("", _("all statements of the product")), *releases]
