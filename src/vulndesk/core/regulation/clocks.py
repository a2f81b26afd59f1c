"""When each report is due: the EU Cyber Resilience Act (Article 14) and NIS2 (Article 23).

Facts (reference/disclosure.md): an actively exploited vulnerability in a manufacturer's
product: early warning within 24 hours of becoming aware, a vulnerability notification within
72 hours, a final report within 14 days after a corrective or mitigating measure is available.
A severe incident having an impact on the product's security: 24 hours, 72 hours, and a final
report within one month (of the notification). NIS2 significant incidents: early warning within
24 hours, incident notification within 72 hours, final report within one month (of the
notification). Every due time counts from an instant (aware, or the measure, or the
notification), in UTC, to the second; "one month" is the same day of the next month (the last
day when that month is shorter).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

__all__ = [
    "CRA_INCIDENT",
    "CRA_VULNERABILITY",
    "NIS2_INCIDENT",
    "Deadline",
    "Regime",
    "ReportKind",
    "deadlines",
    "one_month_after",
]


class Regime(StrEnum):
    """What the clocks are for."""

    CRA_VULNERABILITY = "cra_vulnerability"  # actively exploited vulnerability (Art. 14(2))
    CRA_INCIDENT = "cra_incident"  # severe incident impacting the product's security (14(4))
    NIS2_INCIDENT = "nis2_incident"  # significant incident of an essential/important entity


CRA_VULNERABILITY: Final = Regime.CRA_VULNERABILITY
CRA_INCIDENT: Final = Regime.CRA_INCIDENT
NIS2_INCIDENT: Final = Regime.NIS2_INCIDENT


class ReportKind(StrEnum):
    """The reports of a regime, in the order they are due."""

    EARLY_WARNING = "early_warning"
    NOTIFICATION = "notification"
    FINAL = "final"


@dataclass(frozen=True, slots=True)
class Deadline:
    """A report and when it is due; ``due`` is None while its clock has not started (a CRA
    vulnerability's final report waits for a corrective measure, an incident's for the
    notification)."""

    kind: ReportKind
    due: datetime | None
    counts_from: str  # what starts the clock, in words (shown beside the due time)


def one_month_after(moment: datetime) -> datetime:
    """Return the same time one calendar month after ``moment`` (the month's last day when the
    next month is shorter: 31 January -> 28 or 29 February)."""
    year, month = (moment.year + 1, 1) if moment.month == 12 else (moment.year, moment.month + 1)
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def deadlines(
    regime: Regime,
    *,
    aware_at: datetime,
    measure_available_at: datetime | None = None,
    notification_submitted_at: datetime | None = None,
) -> tuple[Deadline, Deadline, Deadline]:
    """Return the three deadlines of ``regime`` for an event the organisation became aware of at
    ``aware_at`` (timezone-aware). ``measure_available_at`` starts a CRA vulnerability's final
    report clock (14 days); ``notification_submitted_at`` starts an incident's (one month; until
    then, one month after the notification's own due time is the latest it can be due)."""
    if aware_at.tzinfo is None:
        raise ValueError("aware_at must be timezone-aware")
    early = Deadline(ReportKind.EARLY_WARNING, aware_at + timedelta(hours=24), "aware")
    notification = Deadline(ReportKind.NOTIFICATION, aware_at + timedelta(hours=72), "aware")
    if regime == Regime.CRA_VULNERABILITY:
        final_due = (
            measure_available_at + timedelta(days=14) if measure_available_at is not None else None
        )
        final = Deadline(ReportKind.FINAL, final_due, "corrective measure available")
    else:
        start = notification_submitted_at or notification.due
        final = Deadline(
            ReportKind.FINAL, one_month_after(start) if start else None, "notification"
        )
    return early, notification, final
