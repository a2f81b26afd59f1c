"""Template filters of the web interface: labels in the reader's language (severity ratings,
finding and job states), numbers in their notation, links that keep a list's filters."""

from __future__ import annotations

from typing import Any

from django import template
from django.http import HttpRequest, QueryDict
from django.tasks import TaskResultStatus
from django.utils import formats
from django.utils.translation import pgettext_lazy

register = template.Library()

# Labels of the CVSS qualitative ratings; in Japanese those of JVN (緊急, 重要, 警告, 注意).
SEVERITY_LABELS = {
    "critical": pgettext_lazy("severity rating", "Critical"),
    "high": pgettext_lazy("severity rating", "High"),
    "medium": pgettext_lazy("severity rating", "Medium"),
    "low": pgettext_lazy("severity rating", "Low"),
    "none": pgettext_lazy("severity rating", "None"),
    "unknown": pgettext_lazy("severity rating", "Unknown"),
}

# A finding's state has labels of its own: the models' plain "active" is translated by
# django.contrib.auth's catalogue (as 有効, "enabled"), which reads wrong for a finding.
FINDING_STATUS_LABELS = {
    "active": pgettext_lazy("finding status", "open"),
    "resolved": pgettext_lazy("finding status", "resolved"),
}

JOB_STATUS_LABELS = {
    TaskResultStatus.READY: pgettext_lazy("job status", "waiting"),
    TaskResultStatus.RUNNING: pgettext_lazy("job status", "running"),
    TaskResultStatus.SUCCESSFUL: pgettext_lazy("job status", "done"),
    TaskResultStatus.FAILED: pgettext_lazy("job status", "failed"),
}
_JOB_STATUS_UNKNOWN = pgettext_lazy("job status", "unknown")


@register.filter
def severity_label(rating: str | None) -> str:
    """Return the label of a rating (``CRITICAL``, ``high``...), "Unknown" for anything else."""
    return str(SEVERITY_LABELS.get((rating or "").lower(), SEVERITY_LABELS["unknown"]))


@register.filter
def severity_class(rating: str | None) -> str:
    """Return the CSS class that colours a rating's badge."""
    rating = (rating or "").lower()
    return f"sev-{rating}" if rating in SEVERITY_LABELS else "sev-unknown"


@register.filter
def finding_status_label(status: str) -> str:
    """Return the label of a finding's status."""
    return str(FINDING_STATUS_LABELS.get(status, status))


@register.filter
def priority_label(priority: str) -> str:
    """Return the label of an SSVC priority (``triage.models.Priority``), else the value."""
    from vulndesk.server.triage.models import Priority

    return str(Priority(priority).label) if priority in Priority.values else priority


@register.filter
def overdue(finding: Any) -> bool:
    """Return whether an open finding is past its due date."""
    from django.utils import timezone

    due = getattr(finding, "due_at", None)
    return bool(due is not None and finding.status == "active" and due < timezone.now())


@register.filter
def job_status_label(status: str) -> str:
    """Return the label of a job's task status ("" when the task is gone: unknown)."""
    return str(JOB_STATUS_LABELS.get(status, _JOB_STATUS_UNKNOWN))


@register.filter
def job_status_class(status: str) -> str:
    """Return the CSS class that colours a job's status."""
    return f"job-{status.lower()}" if status else "job-unknown"


@register.filter
def number(value: Any) -> str:
    """Return an integer with the thousands separators of the reader's language (12,345)."""
    if value is None or value == "":
        return ""
    return formats.number_format(value, decimal_pos=0, force_grouping=True)


@register.filter
def percent(value: float | None, decimals: int = 1) -> str:
    """Return a probability (0.973) as a percentage in the reader's notation (97.3%)."""
    if value is None:
        return ""
    return f"{formats.number_format(value * 100, decimal_pos=decimals)}%"


@register.filter
def get(mapping: dict[Any, Any], key: Any) -> Any:
    """Return ``mapping[key]``, or None."""
    return mapping.get(key)


@register.filter
def without(items: list[str], item: str) -> list[str]:
    """Return ``items`` without ``item`` (an alias list without the id it is shown under)."""
    return [i for i in items if i != item]


@register.simple_tag
def query_with(request: HttpRequest, **changes: Any) -> str:
    """Return the request's query string (with ``?``) with ``changes`` applied: a value of None,
    "" or 0 removes the parameter. Links to other pages of a list keep its filters this way."""
    query: QueryDict = request.GET.copy()
    for name, value in changes.items():
        query.pop(name, None)
        if value not in (None, "", 0):
            query[name] = str(value)
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else "?"
