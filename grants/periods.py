"""Calendar arithmetic for grants: months, reporting periods and report due dates.

A grant's implementation runs from its start date to its end date, both included. It is cut into reporting
periods of `programme.reporting_period_months` (12 by default) from the start date. Every period but the last
ends with an interim report, due `interim_report_days` (60) after the period; the last period is covered by the
final report, due `final_report_months` (3) after the end date. Pre-financing tranches follow the same periods
(disbursements.schedule), so the tranche for period n+1 waits for the interim report of period n.

Pure functions of dates: the schedule moves with the dates when a no-cost extension changes the end date.
"""
import calendar
from dataclasses import dataclass
from datetime import date, timedelta


def add_months(day: date, months: int) -> date:
    """The same day `months` later, clamped to the month's last day (31 January + 1 month = 28/29 February)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def months_between(start: date, end: date) -> int:
    """The implementation period from `start` to `end` (both included) in months, a started month counting whole:
    1 January to 31 December is 12; to 5 January of the next year, 13."""
    months = max((end.year - start.year) * 12 + end.month - start.month - 1, 0)
    while add_months(start, months) - timedelta(days=1) < end:
        months += 1
    return months


@dataclass(frozen=True)
class Period:
    number: int  # 1, 2, ... in order; the final report's period is the last one
    is_final: bool
    start: date
    end: date
    due: date

    @property
    def key(self) -> str:
        return "final" if self.is_final else f"interim-{self.number}"


def reporting_periods(start: date, end: date, *, period_months=12, interim_days=60, final_months=3) -> list[Period]:
    """The reporting periods from `start` to `end`: interim ones of `period_months`, then the final one."""
    periods = []
    number = 1
    period_start = start
    while True:
        period_end = add_months(start, number * period_months) - timedelta(days=1)
        if period_end >= end:
            periods.append(Period(number, True, period_start, end, add_months(end, final_months)))
            return periods
        periods.append(Period(number, False, period_start, period_end, period_end + timedelta(days=interim_days)))
        period_start = period_end + timedelta(days=1)
        number += 1


def grant_periods(grant) -> list[Period]:
    """The reporting periods of a grant under its programme's rules; empty while its dates are not set."""
    if not (grant.start_date and grant.end_date):
        return []
    programme = grant.call.programme
    return reporting_periods(
        grant.start_date, grant.end_date,
        period_months=programme.reporting_period_months,
        interim_days=programme.interim_report_days,
        final_months=programme.final_report_months,
    )
