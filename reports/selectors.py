"""Reads the report pages share, each in a fixed number of queries."""
from dataclasses import dataclass
from datetime import date

from django.core.cache import cache
from django.http import Http404

from accounts import roles as R
from accounts.access import has_role
from audit.selectors import data_version
from grants.access import grants_for
from grants.models import Grant
from grants.periods import Period, grant_periods

from .models import Report, ReportStatus, ReportVersion
from .services import REPORTING_STATUSES

REPORT_RELATED = ("grant__call__programme", "grant__organisation")


@dataclass(frozen=True)
class PeriodRow:
    """A reporting period of a grant with its report, if one was started."""

    grant: Grant
    period: Period
    report: Report | None
    today: date

    @property
    def submitted(self) -> bool:
        return self.report is not None and self.report.submitted_at is not None

    @property
    def overdue(self) -> bool:
        return not self.submitted and self.period.due < self.today

    @property
    def can_open(self) -> bool:
        """The final report opens once its period has begun (reports.services.report_open)."""
        return not self.period.is_final or self.period.start <= self.today

    @property
    def status_label(self):
        return self.report.get_status_display() if self.report else ""


def period_rows(grants, today: date) -> list[PeriodRow]:
    """Every reporting period of `grants` (their call and programme selected) with its report: one query."""
    reports = {(r.grant_id, r.period_number): r for r in Report.objects.filter(grant__in=grants)}
    return [
        PeriodRow(grant, period, reports.get((grant.pk, period.number)), today)
        for grant in grants for period in grant_periods(grant)
    ]


def reports_for(user):
    """The reports of the grants `user` may read (staff and donors: any; grantee members: their own). Staff and
    donors never see a report that was not submitted."""
    reports = Report.objects.select_related(*REPORT_RELATED).filter(grant__in=grants_for(user))
    if has_role(user, *R.ENVELOPE_READERS):
        reports = reports.filter(submitted_at__isnull=False)
    return reports


def report_for(user, pk) -> Report:
    """One report of `reports_for(user)`, or 404."""
    try:
        return reports_for(user).get(pk=pk)
    except Report.DoesNotExist:
        raise Http404 from None


def versions_of(report, *, drafts=True) -> list[ReportVersion]:
    """The report's versions, newest first, with what the read-only view shows."""
    versions = report.versions.select_related("submitted_by", "reviewed_by").prefetch_related(
        "indicators", "expenditure_lines", "attachments",
    ).order_by("-number")
    if not drafts:
        versions = versions.exclude(status=ReportStatus.DRAFT)
    return list(versions)


OVERDUE_SHOWN = 50


def overdue_summary(today: date):
    """(how many periods are overdue, the OVERDUE_SHOWN due earliest) for the officers' report queue. Working them
    out reads every reporting grant's periods, so the answer is cached until anything changes (every change writes
    an audit event: `data_version`) or the day turns."""
    key = f"overdue-periods:{today.isoformat()}:{data_version()}"
    summary = cache.get(key)
    if summary is None:
        rows = overdue_periods(today)
        summary = (len(rows), rows[:OVERDUE_SHOWN])
        cache.set(key, summary, 60 * 60)
    return summary


def overdue_periods(today: date):
    """Reporting periods overdue without a submitted report, the earliest due first (the officer's report queue)."""
    grants = list(Grant.objects.filter(status__in=REPORTING_STATUSES).select_related("call__programme", "organisation"))
    return sorted((row for row in period_rows(grants, today) if row.overdue), key=lambda row: (row.period.due, row.grant.reference))



def budget_table(report, version, *, lines=None):
    """The version's expenditure against the agreement's budget lines (reports.budget_lines), with the cumulative
    expenditure of the grant's earlier approved reports: three queries (the agreement's lines, the earlier reports'
    sums per line, this version's lines), whatever the number of lines or reports. `report.grant.call.programme`
    must be selected. `lines`: the agreement's lines if the caller has them already (one query fewer)."""
    from django.db.models import Sum

    from core.money import EUR
    from grants.models import BudgetHeading

    from . import budget_lines as bl
    from .models import ExpenditureLine

    grant = report.grant
    if lines is None:
        lines = list(grant.budget_lines.all())
    labels = dict(BudgetHeading.choices)
    inputs = [
        bl.BudgetLineInput(key=line.pk, heading=line.heading, heading_label=labels.get(line.heading, line.heading),
                           description=line.description, budget=line.total or bl.ZERO)
        for line in lines if line.heading
    ]
    earlier = {
        (row["heading"], row["budget_line"]): row["eur"]
        for row in ExpenditureLine.objects.filter(
            version__report__grant=grant, version__report__period_number__lt=report.period_number,
            version__status=ReportStatus.APPROVED,
        ).values("heading", "budget_line").annotate(eur=Sum("amount_eur")).order_by()
        if row["eur"] is not None
    }
    converted = version.currency == EUR
    this_period, amounts = {}, {}
    for line in version.expenditure_lines.all():
        key = (line.heading, line.budget_line_id)
        amounts[key] = line.amount
        if line.amount_eur is not None:
            this_period[key] = line.amount_eur
            converted = True
        elif version.currency == EUR:
            this_period[key] = line.amount
    return bl.compute(
        lines=inputs, earlier=earlier, this_period=this_period, amounts=amounts,
        threshold=grant.call.programme.transfer_threshold_percent, converted=converted, heading_labels=labels,
    )
