"""Forms for the findings list: its filters and sort, the selection bulk actions apply to, and
the component search ("where is log4j-core 2.14 used?")."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from vulndesk.server.findings.models import FindingStatus
from vulndesk.server.findings.selectors import FINDING_SORTS, FindingFilters
from vulndesk.server.triage.models import Priority, VexState
from vulndesk.server.web.forms.vex import (
    JUSTIFICATION_LABELS,
    STATE_LABELS,
    WORDS_MAX,
    check_statement,
)
from vulndesk.server.web.templatetags.vulndesk_web import FINDING_STATUS_LABELS, SEVERITY_LABELS

FINDINGS_PER_PAGE = 50
#: at most this many findings in one bulk action (a page is 50; select-all takes a page)
MAX_SELECTED = 1000
ANY_STATUS = "any"
#: the filter value for findings without a priority, or without a VEX statement
NO_VALUE = "none"

SORT_LABELS = {
    "-severity": _("Most severe first"),
    "severity": _("Least severe first"),
    "-first_seen": _("Newest first"),
    "first_seen": _("Oldest first"),
    "-epss": _("Highest EPSS first"),
    "-cvss": _("Highest CVSS score first"),
    "component": _("Component name"),
    "vulnerability": _("Vulnerability ID"),
    "priority": _("Most urgent first"),
}
assert set(SORT_LABELS) == set(FINDING_SORTS)


class FindingFilterForm(forms.Form):
    """The findings list's filters, sort and position; every field optional.

    :meth:`filters` turns valid data into the selector's :class:`FindingFilters`. EPSS is
    entered in percent (as FIRST publishes it) and compared as a probability.
    """

    q = forms.CharField(label=_("Search"), max_length=200, required=False)
    severity = forms.MultipleChoiceField(
        label=_("Severity"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=list(SEVERITY_LABELS.items()),
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[
            *[(s.value, FINDING_STATUS_LABELS[s.value]) for s in FindingStatus],
            (ANY_STATUS, pgettext_lazy("finding status", "any")),
        ],
    )
    kev = forms.ChoiceField(
        label=_("Known exploited (KEV)"),
        required=False,
        choices=[("", pgettext_lazy("kev filter", "either")), ("yes", _("yes")), ("no", _("no"))],
    )
    epss = forms.FloatField(
        label=_("EPSS at least (%)"), required=False, min_value=0, max_value=100
    )
    product = forms.TypedChoiceField(
        label=_("Product"), required=False, coerce=int, empty_value=None
    )
    release = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    package = forms.CharField(label=_("Package"), max_length=500, required=False)
    priority = forms.MultipleChoiceField(
        label=_("Priority"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[*Priority.choices, (NO_VALUE, pgettext_lazy("priority filter", "none"))],
    )
    analysis_state = forms.ChoiceField(
        label=_("VEX state"),
        required=False,
        choices=[
            ("", pgettext_lazy("VEX state filter", "any")),
            *VexState.choices,
            (NO_VALUE, pgettext_lazy("VEX state filter", "no statement")),
        ],
    )
    overdue = forms.ChoiceField(
        label=_("Past due date"),
        required=False,
        choices=[
            ("", pgettext_lazy("overdue filter", "either")),
            ("yes", _("yes")),
            ("no", _("no")),
        ],
    )
    sort = forms.ChoiceField(label=_("Sort"), required=False, choices=list(SORT_LABELS.items()))
    offset = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)

    def __init__(self, *args: Any, products: Sequence[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product"].choices = [("", pgettext_lazy("product filter", "all")), *products]

    def filters(self) -> FindingFilters:
        """Return the selector's filters for the valid data."""
        data = self.cleaned_data
        status = data.get("status") or FindingStatus.ACTIVE.value
        kev = {"yes": True, "no": False}.get(data.get("kev") or "")
        epss = data.get("epss")
        return FindingFilters(
            status=None if status == ANY_STATUS else status,
            severities=tuple(data.get("severity") or ()),
            kev=kev,
            epss_min=epss / 100 if epss is not None else None,
            product_id=data.get("product"),
            release_id=data.get("release"),
            package=(data.get("package") or "").strip() or None,
            q=(data.get("q") or "").strip() or None,
            priorities=tuple("" if p == NO_VALUE else p for p in data.get("priority") or ()),
            analysis_states=tuple(
                "" if a == NO_VALUE else a for a in [data.get("analysis_state")] if a
            ),
            overdue={"yes": True, "no": False}.get(data.get("overdue") or ""),
        )

    def sort_order(self) -> str:
        """Return the valid sort, most severe first by default."""
        return self.cleaned_data.get("sort") or "-severity"

    def page_offset(self) -> int:
        """Return the valid offset, 0 by default."""
        return self.cleaned_data.get("offset") or 0


class IdListField(forms.Field):
    """A list of integer ids, from repeated form values (checkboxes of one name)."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[int]:
        """Return the ids as integers."""
        if not value:
            return []
        if not isinstance(value, list | tuple):
            raise forms.ValidationError(_("Enter a list of values."), code="invalid_list")
        try:
            return [int(v) for v in value]
        except (TypeError, ValueError) as exc:
            raise forms.ValidationError(_("Enter a whole number."), code="invalid") from exc


class FindingSelectionForm(forms.Form):
    """Selected findings (``ids``, checkboxes of the list) and what to do with them.

    ``vex`` records one VEX statement (``vex_state``, ``vex_justification``, ``vex_detail``)
    for every selected finding's scope (bulk triage); the other fields are ignored otherwise.
    """

    EXPORT = "export"
    REMATCH = "rematch"
    VEX = "vex"

    action = forms.ChoiceField(
        choices=[
            (EXPORT, _("Export selected as CSV")),
            (REMATCH, _("Re-match selected")),
            (VEX, _("Record VEX statement")),
        ]
    )
    ids = IdListField(error_messages={"required": _("Select at least one finding.")})
    vex_state = forms.ChoiceField(
        label=_("State"), required=False, choices=[("", "—"), *STATE_LABELS.items()]
    )
    vex_justification = forms.ChoiceField(
        label=_("Justification"),
        required=False,
        choices=[("", "—"), *JUSTIFICATION_LABELS.items()],
    )
    vex_detail = forms.CharField(label=_("Detail"), required=False, max_length=WORDS_MAX)

    def clean(self) -> dict[str, Any]:
        """Check the VEX statement when the action records one."""
        data = super().clean()
        if data.get("action") == self.VEX:
            if not data.get("vex_state"):
                self.add_error("vex_state", _("Choose the state of the VEX statement."))
            check_statement(self, prefix="vex_")
        return data

    def clean_ids(self) -> list[int]:
        """Return the selected ids, at most MAX_SELECTED."""
        ids: list[int] = self.cleaned_data["ids"]
        if len(ids) > MAX_SELECTED:
            raise forms.ValidationError(
                _("Select at most %(limit)s findings."),
                code="too_many",
                params={"limit": MAX_SELECTED},
            )
        return ids


class ComponentSearchForm(forms.Form):
    """Where a component is used: a name or a package purl, and a version prefix."""

    name = forms.CharField(
        label=_("Component"),
        max_length=1000,
        required=False,
        help_text=_("A name (log4j-core) or a package URL without version."),
    )
    version = forms.CharField(label=_("Version starts with"), max_length=200, required=False)
    offset = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)
