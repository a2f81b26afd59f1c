"""The forms of the compliance pages: event decisions, the corrective measure, a report's draft,
its submission, and a NIS2 risk assessment. Each only validates input; the compliance services
check it again and decide."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from vulndesk.server.compliance.drafts import CRA_FIELDS, NIS2_FIELDS
from vulndesk.server.compliance.models import EU_MEMBER_STATES, Exploitation, Impact

REASON_MAX = 5000

#: the draft fields' labels (CRA and NIS2 share some names)
FIELD_LABELS: dict[str, Any] = {
    "product_name": _("Product name"),
    "product_versions": _("Product versions"),
    "manufacturer": _("Manufacturer"),
    "affected_versions": _("Affected versions"),
    "affected_components": _("Affected components"),
    "vulnerability_ids": _("Vulnerability ids"),
    "cve_ids": _("CVE ids"),
    "cwe_ids": _("CWE ids"),
    "description": _("Description"),
    "exploitation": pgettext_lazy("report field", "Exploitation"),
    "severity": _("Severity"),
    "cvss_score": _("CVSS score"),
    "cvss_vector": _("CVSS vector"),
    "corrective_measures": _("Corrective measures taken"),
    "mitigating_measures": _("Measures users can take"),
    "fix_version": _("Fix version"),
    "member_states": _("Member states where the product is made available"),
    "malicious_actor": _("Malicious actor"),
    "sensitivity": _("Sensitivity (TLP label)"),
    "notes": _("Notes"),
    "entity_name": _("Entity name"),
    "entity_type": _("Entity type"),
    "sector": _("Sector"),
    "title": _("Title"),
    "impact_confidentiality": _("Impact on confidentiality"),
    "impact_integrity": _("Impact on integrity"),
    "impact_availability": _("Impact on availability"),
    "cross_border": _("Cross-border impact"),
    "societal_impact": _("Societal impact"),
    "suspected_malicious": _("Suspected unlawful or malicious acts"),
    "severity_and_impact": _("Severity and impact"),
    "indicators_of_compromise": _("Indicators of compromise"),
    "root_cause": _("Root cause"),
    "threat_type": _("Type of threat"),
    "mitigation": _("Mitigation measures applied and ongoing"),
}
assert set(CRA_FIELDS) | set(NIS2_FIELDS) <= set(FIELD_LABELS)

#: text fields short enough for one line
_ONE_LINE = {
    "product_name", "manufacturer", "severity", "cvss_vector", "fix_version", "malicious_actor",
    "sensitivity", "entity_name", "entity_type", "sector", "title", "impact_confidentiality",
    "impact_integrity", "impact_availability", "societal_impact",
}  # fmt: skip
_SPLIT = re.compile(r"[\r\n]+")


class ReasonForm(forms.Form):
    """A reason; ``required`` for dismissing and re-opening."""

    reason = forms.CharField(
        label=_("Reason"), max_length=REASON_MAX, required=False, widget=forms.Textarea({"rows": 2})
    )

    def __init__(self, *args: Any, required: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = required


class MeasureForm(forms.Form):
    """The corrective or mitigating measure: it starts the final report's clock."""

    fix_version = forms.CharField(label=_("Fix version"), max_length=200, required=False)
    description = forms.CharField(
        label=_("Measure"),
        max_length=REASON_MAX,
        required=False,
        widget=forms.Textarea({"rows": 2}),
    )
    available_at = forms.DateTimeField(
        label=_("Available at (UTC)"),
        required=False,
        help_text=_("Empty: now."),
        widget=forms.DateTimeInput({"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )


class MemberStatesForm(forms.Form):
    """The member states where the product is made available."""

    member_states = forms.MultipleChoiceField(
        label=_("Member states where the product is made available"),
        choices=[(code, code) for code in EU_MEMBER_STATES],
        required=False,
        widget=forms.CheckboxSelectMultiple({"class": "member-states"}),
    )


class SubmitForm(forms.Form):
    """The reference the reporting platform gave."""

    reference = forms.CharField(label=_("Submission reference"), max_length=200)


class DraftForm(forms.Form):
    """A report's structured draft: one input per field of its regime (``drafts.CRA_FIELDS`` or
    ``NIS2_FIELDS``); lists are one item a line, member states are boxes to tick."""

    def __init__(self, *args: Any, fields: Mapping[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kinds = dict(fields)
        for name, kind in fields.items():
            label = FIELD_LABELS[name]
            if name == "member_states":
                self.fields[name] = MemberStatesForm.base_fields["member_states"]
            elif kind == "texts":
                self.fields[name] = forms.CharField(
                    label=label,
                    required=False,
                    help_text=_("One per line."),
                    widget=forms.Textarea({"rows": 2}),
                )
            elif kind == "number":
                self.fields[name] = forms.FloatField(
                    label=label, required=False, min_value=0, max_value=10
                )
            elif kind == "flag":
                self.fields[name] = forms.BooleanField(label=label, required=False)
            else:
                widget = forms.TextInput() if name in _ONE_LINE else forms.Textarea({"rows": 3})
                self.fields[name] = forms.CharField(
                    label=label, required=False, max_length=20_000, widget=widget
                )

    @staticmethod
    def initial_of(content: Mapping[str, Any], fields: Mapping[str, str]) -> dict[str, Any]:
        """Return the form's initial values from a stored draft."""
        initial: dict[str, Any] = {}
        for name, kind in fields.items():
            value = content.get(name)
            if kind == "texts" and name != "member_states":
                value = "\n".join(str(v) for v in value or ())
            initial[name] = value
        return initial

    def content(self) -> dict[str, Any]:
        """Return the cleaned input as draft content (for ``report_edit``)."""
        out: dict[str, Any] = {}
        for name, kind in self.kinds.items():
            value = self.cleaned_data.get(name)
            if name == "member_states":
                out[name] = list(value or [])
            elif kind == "texts":
                out[name] = [v.strip() for v in _SPLIT.split(value or "") if v.strip()]
            elif kind == "number":
                out[name] = value
            elif kind == "flag":
                out[name] = bool(value)
            else:
                out[name] = value or ""
        return out


_IMPACTS = Impact.choices


class AssessmentForm(forms.Form):
    """A NIS2 risk assessment, its description and member states."""

    impact_confidentiality = forms.ChoiceField(
        label=_("Impact on confidentiality"), choices=_IMPACTS
    )
    impact_integrity = forms.ChoiceField(label=_("Impact on integrity"), choices=_IMPACTS)
    impact_availability = forms.ChoiceField(label=_("Impact on availability"), choices=_IMPACTS)
    exploitation = forms.ChoiceField(
        label=pgettext_lazy("report field", "Exploitation"), choices=Exploitation.choices
    )
    cross_border = forms.BooleanField(label=_("Cross-border impact"), required=False)
    societal_impact = forms.ChoiceField(label=_("Societal impact"), choices=_IMPACTS)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=20_000,
        widget=forms.Textarea({"rows": 3}),
    )
    member_states = MemberStatesForm.base_fields["member_states"]
