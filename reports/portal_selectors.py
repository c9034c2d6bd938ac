"""Reads for the grantee portal: a member's grants with what was received, what comes next and which report is due.

Built for lists: `grant_views` reads any number of grants in a fixed number of queries (the schedule facts in
three, the ledger's disbursements in one grouped sum, the reports in one).

It lives in `reports`, the lowest of the domain apps, because it reads grants, payments and reports together.
"""
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Sum
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from accounts.access import objects_for
from accounts.models import Organisation
from core.money import ZERO, round_money
from core.templatetags.money import money
from grants.access import grants_for
from grants.models import AgreementStatus, Grant, LedgerEntry, LedgerKind
from grants.periods import Period, grant_periods
from disbursements.models import Payment, TrancheKind
from disbursements.schedule import PAYABLE, WAITING, TrancheState, facts_for_many, schedule_status

from .models import Report, ReportStatus

# Agreements with nothing left to report or pay.
FINISHED_STATUSES = {AgreementStatus.CLOSED, AgreementStatus.TERMINATED}
# Report statuses in which the next move is the grantee's.
GRANTEE_TURN = {None, ReportStatus.DRAFT, ReportStatus.CHANGES_REQUESTED}


def member_organisations(user):
    """The organisations `user` belongs to (any member role); programme roles do not widen it."""
    return objects_for(user, "accounts.view_organisation", Organisation.objects.all())


def member_grants(user):
    """The grants of the user's own organisations, ready for `grant_views`."""
    return (
        grants_for(user)
        .filter(organisation__in=member_organisations(user))
        .select_related("call__programme", "organisation")
    )


def _day(value: date) -> str:
    return formats.date_format(value, "j F Y")


@dataclass(frozen=True)
class PeriodReport:
    """A reporting period and the grantee's report for it, if one was started."""

    period: Period
    report: Report | None
    today: date

    @property
    def status(self):
        return self.report.status if self.report else None

    @property
    def status_label(self) -> str:
        return self.report.get_status_display() if self.report else _("Not started")

    @property
    def title(self) -> str:
        return _("Final report") if self.period.is_final else _("Interim report, period %(p)s") % {"p": self.period.number}

    @property
    def name(self) -> str:
        """The report's name inside a sentence."""
        return _("final report") if self.period.is_final else _("interim report for period %(p)s") % {"p": self.period.number}

    @property
    def awaits_grantee(self) -> bool:
        return self.status in GRANTEE_TURN

    @property
    def is_overdue(self) -> bool:
        return self.awaits_grantee and self.period.due < self.today


@dataclass
class GrantView:
    grant: Grant
    received: Decimal  # net of reversals, from the ledger
    states: list  # schedule.TrancheState, in tranche order
    reports: list  # PeriodReport, in period order

    @property
    def is_draft(self) -> bool:
        return self.grant.status == AgreementStatus.DRAFT

    @property
    def to_come(self) -> Decimal:
        return max(self.grant.amount - self.received, ZERO)

    @property
    def next_tranche(self) -> TrancheState | None:
        """The first tranche not yet paid in full (nor closed)."""
        return next((s for s in self.states if s.status in (PAYABLE, WAITING)), None)

    @property
    def next_report(self) -> PeriodReport | None:
        """The first report the grantee still has to submit."""
        if self.is_draft or self.grant.status in FINISHED_STATUSES:
            return None
        return next((r for r in self.reports if r.awaits_grantee), None)

    def _unlocks(self, report: PeriodReport) -> TrancheState | None:
        """The unpaid tranche that waits for `report`'s approval."""
        for state in self.states:
            if state.status != WAITING:
                continue
            if report.period.is_final and state.tranche.kind == TrancheKind.BALANCE:
                return state
            if not report.period.is_final and state.tranche.after_period == report.period.number:
                return state
        return None

    def next_steps(self) -> list[str]:
        """What happens next, in plain words, most urgent first."""
        status = self.grant.status
        if status == AgreementStatus.DRAFT:
            return [_("The programme team is preparing your grant agreement. You will be asked to sign it; "
                      "the first payment follows the signature.")]
        if status == AgreementStatus.TERMINATED:
            return [_("The agreement was terminated: nothing more will be paid.")]
        if status == AgreementStatus.CLOSED:
            return [_("The grant is closed: nothing more is due.")]
        steps = []
        if status == AgreementStatus.SUSPENDED:
            steps.append(_("The agreement is suspended: nothing is paid until it resumes."))
        for state in self.states:
            if state.payable > 0:
                steps.append(_("Tranche %(n)s (%(amount)s) can be paid now: the programme's finance team will transfer it.")
                             % {"n": state.tranche.number, "amount": money(state.payable)})
        for report in self.reports:
            if report.status == ReportStatus.SUBMITTED:
                steps.append(_("Your %(report)s is with the programme team for review.") % {"report": report.name})
        report = self.next_report
        if report is not None:
            steps.append(self._report_step(report))
        return steps or [_("Nothing is needed from you right now.")]

    def _report_step(self, report: PeriodReport) -> str:
        unlocks = self._unlocks(report)
        values = {"report": report.name, "due": _day(report.period.due), "n": unlocks.tranche.number if unlocks else ""}
        if report.is_overdue:
            text = (_("The %(report)s was due on %(due)s: submit it as soon as possible to unlock tranche %(n)s.") if unlocks
                    else _("The %(report)s was due on %(due)s: submit it as soon as possible."))
        else:
            text = (_("Submit the %(report)s by %(due)s to unlock tranche %(n)s.") if unlocks
                    else _("Submit the %(report)s by %(due)s."))
        text %= values
        if report.status == ReportStatus.CHANGES_REQUESTED:
            text = _("The programme team asked for changes. %(next)s") % {"next": text}
        return text


def received_by_grant(grant_ids) -> dict:
    """Money disbursed to each grant, net of reversals: one grouped sum over the ledger."""
    rows = (
        LedgerEntry.objects.filter(grant_id__in=grant_ids, kind=LedgerKind.DISBURSEMENT)
        .order_by().values("grant_id").annotate(total=Sum("amount")).values_list("grant_id", "total")
    )
    return {grant_id: round_money(Decimal(total)) for grant_id, total in rows}


def grant_views(grants, today=None) -> list[GrantView]:
    """A GrantView per grant (select_related call__programme), in five queries whatever their number."""
    grants = list(grants)
    today = today or timezone.localdate()
    ids = [g.pk for g in grants]
    facts = facts_for_many(grants)
    received = received_by_grant(ids)
    reports = {}
    for report in Report.objects.filter(grant_id__in=ids):
        reports[(report.grant_id, report.period_number)] = report
    views = []
    for grant in grants:
        drafting = grant.status == AgreementStatus.DRAFT
        views.append(GrantView(
            grant=grant,
            received=received.get(grant.pk, ZERO),
            states=[] if drafting else schedule_status(grant, facts[grant.pk]),
            reports=[] if drafting else [
                PeriodReport(period, reports.get((grant.pk, period.number)), today) for period in grant_periods(grant)
            ],
        ))
    return views


def grant_payments(grant):
    """The grant's payments, oldest first, reversed ones included (they show as corrected)."""
    return list(Payment.objects.filter(grant=grant).select_related("tranche").order_by("value_date", "id"))
