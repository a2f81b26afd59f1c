"""Forms of the account page: the interface language and API tokens."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class LanguageForm(forms.Form):
    """The interface language; empty for the browser's."""

    language = forms.ChoiceField(label=_("Interface language"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = [
            ("", _("As the browser asks")),
            *[(code, name) for code, name in settings.LANGUAGES],
        ]


class TokenForm(forms.Form):
    """A new API token's name and optional expiry date."""

    name = forms.CharField(label=_("Name"), max_length=100)
    expires_on = forms.DateField(
        label=_("Expires on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Leave empty for a token that does not expire."),
    )
