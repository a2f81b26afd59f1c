"""Forms of the provider's management page: the settings and the publish form (a CSAF upload).

They only parse what was posted; the rules live in the services (``provider_settings_update``,
``csaf_publish``), whose InputError the view shows beside the form.
"""

from __future__ import annotations

from typing import Any

import orjson
from django import forms
from django.utils.translation import gettext_lazy as _

from vulndesk.server.provider.models import ProviderSettings, TlpLabel

#: the largest CSAF document the upload form takes
MAX_UPLOAD = 16 * 1024 * 1024


class ProviderSettingsForm(forms.ModelForm):  # type: ignore[type-arg]
    """The editable provider settings; contacts one per line."""

    contacts = forms.CharField(
        label=_("security.txt contacts"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("one per line: mailto:, https: or tel: URIs"),
    )
    expires = forms.DateTimeField(
        label=_("security.txt expires"),
        required=False,
        help_text=_("empty: 180 days after each request (RFC 9116 recommends less than a year)"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )

    class Meta:
        model = ProviderSettings
        fields = [
            "site_provider",
            "publisher_name",
            "publisher_category",
            "namespace",
            "contact_details",
            "issuing_authority",
            "public_base_url",
            "signing_key",
            "list_on_aggregators",
            "mirror_on_aggregators",
            "encryption_url",
            "acknowledgments_url",
            "preferred_languages",
            "expires",
            "policy_ja",
            "policy_en",
        ]
        widgets = {
            "issuing_authority": forms.Textarea(attrs={"rows": 2}),
            "policy_ja": forms.Textarea(attrs={"rows": 14, "lang": "ja"}),
            "policy_en": forms.Textarea(attrs={"rows": 14, "lang": "en"}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance is not None and not self.is_bound:
            self.initial["contacts"] = "\n".join(self.instance.security_contacts or [])

    def changes(self) -> dict[str, Any]:
        """Return the cleaned values as ``provider_settings_update`` takes them."""
        data = {name: self.cleaned_data[name] for name in self.Meta.fields}
        data["security_contacts"] = [
            line.strip() for line in self.cleaned_data["contacts"].splitlines() if line.strip()
        ]
        return data


class PublishForm(forms.Form):
    """A CSAF JSON document to publish, and its TLP label when it carries none."""

    document = forms.FileField(label=_("CSAF document (JSON)"))
    tlp = forms.ChoiceField(
        label=_("TLP label"),
        required=False,
        choices=[("", _("as the document says")), *TlpLabel.choices],
    )

    def clean_document(self) -> dict[str, Any]:
        upload = self.cleaned_data["document"]
        if upload.size > MAX_UPLOAD:
            raise forms.ValidationError(_("The document is larger than 16 MiB."))
        try:
            parsed = orjson.loads(upload.read())
        except orjson.JSONDecodeError as e:
            raise forms.ValidationError(
                _("%(name)s is not JSON: %(error)s") % {"name": upload.name, "error": e}
            ) from e
        if not isinstance(parsed, dict):
            raise forms.ValidationError(_("A CSAF document is a JSON object."))
        return parsed
