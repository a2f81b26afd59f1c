"""Forms for products, their releases and grants. Labels and choices come from the models, so
they read the same (and are translated the same) wherever a product is shown."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from vulndesk.server.accounts.models import Team
from vulndesk.server.inventory.models import Product, Release, Role

MAX_TAGS = 20


class ProductListForm(forms.Form):
    """The product list's filters."""

    q = forms.CharField(label=_("Search"), max_length=200, required=False)
    tag = forms.CharField(label=_("Tag"), max_length=100, required=False)


def _tag_names(value: str) -> list[str]:
    names = sorted({name.strip() for name in value.split(",") if name.strip()})
    if len(names) > MAX_TAGS:
        raise forms.ValidationError(
            _("At most %(limit)s tags."), code="too_many", params={"limit": MAX_TAGS}
        )
    if any(len(name) > 100 for name in names):
        raise forms.ValidationError(_("A tag has at most 100 characters."), code="too_long")
    return names


class ProductForm(forms.ModelForm):  # type: ignore[type-arg]
    """A product's name, description and asset context (never saved by the form: the view hands
    ``cleaned_data`` to ``product_create`` or ``product_update``).

    ``cleaned_data["tags"]`` is a list of names, ``["parent"]`` a product id or None,
    ``["owner"]`` a user id or None (edit only), ``["team"]`` a Team (create only).
    """

    tags = forms.CharField(
        label=_("Tags"),
        required=False,
        max_length=2000,
        help_text=_("Separated by commas, for example: customer-facing, ics"),
    )
    parent = forms.TypedChoiceField(
        label=_("Part of"),
        required=False,
        coerce=int,
        empty_value=None,
        help_text=_("The system this product is part of, if any."),
    )

    class Meta:
        model = Product
        fields = [
            "name",
            "description",
            "exposure",
            "mission_impact",
            "safety_impact",
            "value_density",
            "perspective",
            "eu_market",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(
        self,
        *args: Any,
        parents: Sequence[tuple[int, str]],
        teams: Sequence[Team] | None = None,
        owners: Sequence[Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parent"].choices = [("", "—"), *parents]
        if teams is not None:
            self.fields["team"] = forms.ModelChoiceField(
                label=_("Owning team"),
                queryset=Team.objects.filter(pk__in=[t.pk for t in teams]),
                help_text=_("The team that becomes the product's owner."),
            )
            self.fields["team"].choices = [
                ("", "—"),
                *[(t.pk, f"{t.organisation.name} / {t.name}") for t in teams],
            ]
            if len(teams) == 1:
                self.initial.setdefault("team", teams[0].pk)
        if owners is not None:
            self.fields["owner"] = forms.TypedChoiceField(
                label=_("Owner"),
                required=False,
                coerce=int,
                empty_value=None,
                choices=[("", "—"), *[(u.pk, u.get_username()) for u in owners]],
                help_text=_("The person answerable for the product's vulnerabilities."),
            )

    def validate_unique(self) -> None:
        """Leave the name check to ``clean_name`` (the organisation is not a field here)."""

    def clean_tags(self) -> list[str]:
        """Return the tag names, trimmed and without duplicates."""
        return _tag_names(self.cleaned_data.get("tags") or "")

    def clean_name(self) -> str:
        """Return the name, trimmed."""
        name = (self.cleaned_data.get("name") or "").strip()
        if not name:
            raise forms.ValidationError(_("A product needs a name."), code="required")
        return name


class ReleaseForm(forms.ModelForm):  # type: ignore[type-arg]
    """A new release's version, description and date; never saved by the form."""

    class Meta:
        model = Release
        fields = ["version", "description", "released_at"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 2}),
            "released_at": forms.DateInput(attrs={"type": "date"}),
        }

    def validate_unique(self) -> None:
        """Leave the version check to the service (the product is not a field here)."""

    def clean_version(self) -> str:
        """Return the version, trimmed."""
        version = (self.cleaned_data.get("version") or "").strip()
        if not version:
            raise forms.ValidationError(_("A release needs a version."), code="required")
        return version


NO_ACCESS = "none"


class GrantForm(forms.Form):
    """A team's role on a product; ``cleaned_data["role"]`` is a Role, or None to take access
    away."""

    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.none())
    role = forms.ChoiceField(
        label=_("Role"),
        choices=[*Role.choices, (NO_ACCESS, pgettext_lazy("role", "no access"))],
    )

    def __init__(self, *args: Any, teams: Sequence[Team], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["team"]
        field.queryset = Team.objects.filter(pk__in=[t.pk for t in teams])
        field.choices = [("", "—"), *[(t.pk, t.name) for t in teams]]

    def clean_role(self) -> Role | None:
        """Return the role, None for "no access"."""
        value = self.cleaned_data["role"]
        return None if value == NO_ACCESS else Role(value)
