"""The CRA and NIS2 clocks: 24 h, 72 h, 14 days after the fix, one month after the notification."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from vulndesk.core.regulation.clocks import Regime, ReportKind, deadlines, one_month_after

AWARE = datetime(2026, 11, 20, 15, 30, 5, tzinfo=UTC)


def test_an_exploited_vulnerability_24_h_72_h_and_14_days_after_the_fix() -> None:
    early, notification, final = deadlines(Regime.CRA_VULNERABILITY, aware_at=AWARE)
    assert (early.kind, early.due) == (ReportKind.EARLY_WARNING, AWARE + timedelta(hours=24))
    assert notification.due == datetime(2026, 11, 23, 15, 30, 5, tzinfo=UTC)
    assert final.due is None  # no corrective measure yet: the clock has not started
    fixed = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    *_, final = deadlines(Regime.CRA_VULNERABILITY, aware_at=AWARE, measure_available_at=fixed)
    assert final.due == datetime(2026, 12, 15, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize("regime", [Regime.CRA_INCIDENT, Regime.NIS2_INCIDENT])
def test_incidents_final_report_one_month_after_the_notification(regime: Regime) -> None:
    *_, final = deadlines(regime, aware_at=AWARE)
    assert final.due == datetime(2026, 12, 23, 15, 30, 5, tzinfo=UTC)  # from the notification's due
    sent = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
    *_, final = deadlines(regime, aware_at=AWARE, notification_submitted_at=sent)
    assert final.due == datetime(2026, 12, 22, 10, 0, tzinfo=UTC)


def test_one_month_keeps_the_day_or_takes_the_last() -> None:
    assert one_month_after(datetime(2027, 1, 31, tzinfo=UTC)) == datetime(2027, 2, 28, tzinfo=UTC)
    assert one_month_after(datetime(2028, 1, 31, tzinfo=UTC)) == datetime(2028, 2, 29, tzinfo=UTC)
    assert one_month_after(datetime(2026, 12, 15, tzinfo=UTC)) == datetime(2027, 1, 15, tzinfo=UTC)


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        deadlines(Regime.CRA_VULNERABILITY, aware_at=datetime(2026, 11, 20))
