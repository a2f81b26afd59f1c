"""The advisory list's search form."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class AdvisorySearchForm(forms.Form):
    """The advisory list's filters; both optional."""

    q = forms.CharField(label=_("Search"), max_length=200, required=False)
    ecosystem = forms.CharField(label=_("Ecosystem"), max_length=100, required=False)
