"""Forms of prioritisation: overriding one SSVC point of a finding, and the SLA days per priority.

SSVC's own words (``public poc``, ``total``, ``mef failure``...) are shown as SSVC spells them,
like CVSS metric values: they are the vocabulary of the decision tables people read. The names
of the points and of the sources are translated.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from vulndesk.core.prioritization import POINTS
from vulndesk.server.triage.models import Priority
from vulndesk.server.triage.overrides import MAX_SLA_DAYS, OVERRIDABLE_POINTS

#: SSVC decision points by name, as the finding page shows them
POINT_LABELS = {
    "exploitation": _("Exploitation"),
    "automatable": _("Automatable"),
    "technical_impact": _("Technical impact"),
    "system_exposure": _("System exposure"),
    "human_impact": _("Human impact"),
    "mission_impact": _("Mission impact"),
    "safety_impact": _("Safety impact"),
    "value_density": _("Value density"),
    "utility": _("Utility"),
    "public_safety_impact": _("Public safety impact"),
    "mission_well_being": _("Mission and well-being impact"),
    "in_kev": _("In KEV"),
    "publicly_exposed": _("Publicly exposed"),
}

#: where a point's value came from (core.prioritization.inputs.SOURCES)
SOURCE_LABELS = {
    "kev": _("CISA KEV"),
    "euvd": _("ENISA EUVD"),
    "csaf": _("vendor CSAF advisory"),
    "reference": _("exploit reference"),
    "person": _("a person's statement"),
    "vulnrichment": _("CISA Vulnrichment"),
    "cvss": _("CVSS vector"),
    "asset": _("product setting"),
    "derived": _("SSVC table"),
    "default": _("no evidence (default)"),
    "override": pgettext_lazy("SSVC point source", "override"),
}

#: the SSVC tables a finding's priority comes from
TABLE_LABELS = {
    "deployer": _("Deployer patch application priority"),
    "supplier": _("Supplier patch development priority"),
    "human_impact": _("Human impact"),
    "utility": _("Utility"),
    "public_safety_impact": _("Public safety impact"),
}


def _choice(point: str, value: str) -> str:
    return f"{point}={value}"


class SsvcOverrideForm(forms.Form):
    """One point's new value (``point=value``, grouped by point) and the reason for it."""

    choice = forms.ChoiceField(
        label=_("New value"),
        choices=[
            (POINT_LABELS[point], [(_choice(point, v), v) for v in POINTS[point]])
            for point in OVERRIDABLE_POINTS
        ],
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Shown with the value to everyone who reads this finding's priority."),
    )

    def point_and_value(self) -> tuple[str, str]:
        """Return the chosen (point, value)."""
        point, _, value = self.cleaned_data["choice"].partition("=")
        return point, value


class SsvcOverrideClearForm(forms.Form):
    """Which point's override to end."""

    point = forms.ChoiceField(choices=[(p, POINT_LABELS[p]) for p in OVERRIDABLE_POINTS])


class SlaPolicyForm(forms.Form):
    """Days to fix per priority; an empty field means no due date."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for priority in Priority:
            self.fields[priority.value] = forms.IntegerField(
                label=priority.label,
                required=False,
                min_value=0,
                max_value=MAX_SLA_DAYS,
                widget=forms.NumberInput(attrs={"class": "narrow"}),
            )

    def days(self) -> dict[str, int | None]:
        """Return the valid days per priority."""
        return {p.value: self.cleaned_data.get(p.value) for p in Priority}
