"""Template filters of the web interface: severity ratings in the reader's language, id lists."""

from __future__ import annotations

from django import template
from django.utils.translation import pgettext_lazy

register = template.Library()

# Labels of the CVSS qualitative ratings; in Japanese those of JVN (緊急, 重要, 警告, 注意).
_RATING_LABELS = {
    "CRITICAL": pgettext_lazy("severity rating", "Critical"),
    "HIGH": pgettext_lazy("severity rating", "High"),
    "MEDIUM": pgettext_lazy("severity rating", "Medium"),
    "LOW": pgettext_lazy("severity rating", "Low"),
    "NONE": pgettext_lazy("severity rating", "None"),
}
_UNKNOWN = pgettext_lazy("severity rating", "Unknown")


@register.filter
def severity_label(rating: str | None) -> str:
    """Return the label of a rating (``CRITICAL``...), "Unknown" for None or anything else."""
    return str(_RATING_LABELS.get((rating or "").upper(), _UNKNOWN))


@register.filter
def severity_class(rating: str | None) -> str:
    """Return the CSS class that colours a rating's badge."""
    rating = (rating or "").upper()
    return f"sev-{rating.lower()}" if rating in _RATING_LABELS else "sev-unknown"


@register.filter
def without(items: list[str], item: str) -> list[str]:
    """Return ``items`` without ``item`` (an alias list without the id it is shown under)."""
    return [i for i in items if i != item]
