"""Payment schedules: the plan of a grant's tranches, and what each tranche may pay today and why.

The plan (PRAG defaults, DESIGN.md; every number is a programme setting):
- a grant of at most `short_grant_months` (12) months, or of at most `small_grant_amount` (EUR 100,000), gets
  pre-financing of `short_prefinancing_percent` (80%) on signature and the balance after the final report;
- a longer and larger grant gets one pre-financing tranche per reporting period (grants.periods), in proportion
  to the period's months: the first on signature, each further one after the approved interim report of the
  period before; then the balance after the final report;
- pre-financing together never exceeds `prefinancing_cap_percent` (90%) of the grant: the tranche that would pass
  it is cut (the cap rounds down to the cent), later ones dropped;
- every tranche is rounded to cents once; the balance is the grant amount less the others, so the plan always
  sums exactly to the grant.

What a tranche may pay (`schedule_status`), in order:
- nothing while the agreement is not signed, or is suspended, terminated or closed;
- pre-financing: its plan, once signed;
- a further tranche: waits for the earlier tranches to be paid and for the approved interim report of its period;
  then the 70% rule: approved expenditure up to that period must reach 100% of the payments before the previous one plus
  `expenditure_threshold_percent` (70%) of the previous one, otherwise the tranche is reduced by the unspent
  amount (paid so far less approved expenditure), down to zero. A further tranche still unpaid when the final
  report is approved is superseded by the balance;
- the balance: after the approved final report, the approved expenditure (at most the grant) less everything paid
  on the other tranches. What reductions held back is paid here, if it was spent.
"""
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import DecimalField, Exists, OuterRef, Subquery, Sum
from django.db.models.expressions import RawSQL
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.formats import money_text
from core.money import ZERO, exact_cents, round_money
from grants.models import PAYABLE_STATUSES, AgreementStatus
from grants.periods import grant_periods, months_between, reporting_periods
from grants.risk.rules import check_advance

from .models import ApprovedExpenditure, CheckKind, CheckStatus, ExpenditureCheck, Payment, Tranche, TrancheKind, VerificationRule

HUNDRED = Decimal(100)



@dataclass(frozen=True)
class PlannedTranche:
    number: int
    kind: str
    amount: Decimal
    after_period: int | None
    expected_on: date | None


def plan(*, amount, start_date, end_date, programme) -> list[PlannedTranche]:
    """The tranches of a grant of `amount` EUR running from `start_date` to `end_date` under `programme`'s rules."""
    amount = exact_cents(amount)
    months = months_between(start_date, end_date)
    periods = reporting_periods(
        start_date, end_date, period_months=programme.reporting_period_months,
        interim_days=programme.interim_report_days, final_months=programme.final_report_months,
    )
    cap = round_money(amount * programme.prefinancing_cap_percent / HUNDRED, down=True)
    tranches = []
    if months <= programme.short_grant_months or amount <= programme.small_grant_amount:
        first = min(round_money(amount * programme.short_prefinancing_percent / HUNDRED), cap)
        tranches.append(PlannedTranche(1, TrancheKind.PREFINANCING, first, None, start_date))
    else:
        room = cap
        for period in periods:
            share = min(round_money(amount * months_between(period.start, period.end) / months), room)
            if share <= 0:
                break
            room -= share
            if period.number == 1:
                tranches.append(PlannedTranche(1, TrancheKind.PREFINANCING, share, None, start_date))
            else:
                report_due = periods[period.number - 2].due
                tranches.append(PlannedTranche(len(tranches) + 1, TrancheKind.FURTHER, share, period.number - 1, report_due))
    balance = amount - sum((t.amount for t in tranches), ZERO)
    tranches.append(PlannedTranche(len(tranches) + 1, TrancheKind.BALANCE, balance, None, periods[-1].due))
    return tranches


def grant_plan(grant) -> list[PlannedTranche]:
    """The plan for a grant as its agreement now stands (empty while its dates are not set)."""
    if not (grant.start_date and grant.end_date) or grant.amount <= 0:
        return []
    return plan(amount=grant.amount, start_date=grant.start_date, end_date=grant.end_date, programme=grant.call.programme)


def tranches_write(grant) -> list[Tranche]:
    """Store the grant's plan as Tranche rows, keeping tranches that already have payments as they were planned.
    Unpaid tranches take the fresh plan; the balance takes whatever the kept and planned ones leave, so the
    schedule sums to the grant. Call it inside the agreement service's transaction, with the grant row locked."""
    fresh = grant_plan(grant)
    existing = {t.number: t for t in Tranche.objects.filter(grant=grant)}
    with_payments = set(Payment.objects.filter(grant=grant).values_list("tranche__number", flat=True))
    kept = {n: t for n, t in existing.items() if n in with_payments}
    if kept and max(kept) > len(fresh):
        raise DomainError(_("The new schedule would drop a tranche that has already been paid."), code="paid_tranche_dropped")
    rows = []
    for planned in fresh[:-1]:
        if planned.number in kept:
            rows.append((planned.number, kept[planned.number].kind, kept[planned.number].planned_amount,
                         kept[planned.number].after_period, planned.expected_on))
        else:
            rows.append((planned.number, planned.kind, planned.amount, planned.after_period, planned.expected_on))
    balance = grant.amount - sum((r[2] for r in rows), ZERO)
    # A smaller grant than what is kept and planned: cut unpaid pre-financing from the last one back.
    for index in range(len(rows) - 1, -1, -1):
        if balance >= 0:
            break
        number, kind, amount, after, expected = rows[index]
        if number in kept:
            continue
        cut = min(amount, -balance)
        rows[index] = (number, kind, amount - cut, after, expected)
        balance += cut
    if balance < 0:
        raise DomainError(
            _("The grant amount is below what has already been paid on its tranches."), code="below_paid_tranches"
        )
    last = fresh[-1]
    rows.append((last.number, TrancheKind.BALANCE, balance, None, last.expected_on))
    if last.number in kept and kept[last.number].kind != TrancheKind.BALANCE:
        raise DomainError(_("The new schedule would change a tranche that has already been paid."), code="paid_tranche_changed")
    # The advance (pre-financing, paid before any accepted expenditure) within the partner's risk share, while
    # none of it is paid yet.
    if not any(r[0] in kept for r in rows if r[1] == TrancheKind.PREFINANCING):
        check_advance(grant, sum((r[2] for r in rows if r[1] == TrancheKind.PREFINANCING), ZERO))
    Tranche.objects.filter(grant=grant).exclude(number__in=[r[0] for r in rows]).delete()
    result = []
    for number, kind, amount, after, expected in rows:
        if number in kept and kind != TrancheKind.BALANCE:
            tranche = kept[number]
            if tranche.expected_on != expected:
                tranche.expected_on = expected
                tranche.save(update_fields=["expected_on"])
            result.append(tranche)
            continue
        tranche, _created = Tranche.objects.update_or_create(
            grant=grant, number=number,
            defaults={"kind": kind, "planned_amount": amount, "after_period": after, "expected_on": expected},
        )
        result.append(tranche)
    return result


# What a tranche's state is called on pages; `reasons` say why in words.
PAID, PAYABLE, WAITING, CLOSED = "paid", "payable", "waiting", "closed"


@dataclass
class TrancheState:
    tranche: Tranche
    paid: Decimal  # net of reversals
    due: Decimal  # what the tranche may pay in all, as things stand (after any reduction)
    status: str  # PAID, PAYABLE, WAITING or CLOSED
    reasons: list = field(default_factory=list)
    reduction: Decimal = ZERO

    @property
    def payable(self) -> Decimal:
        """What may be paid on the tranche now."""
        return max(self.due - self.paid, ZERO) if self.status == PAYABLE else ZERO

    @property
    def planned(self) -> Decimal:
        return self.tranche.planned_amount


@dataclass
class ScheduleFacts:
    """What `schedule_status` needs, read in a fixed number of queries (or passed in by list pages)."""

    tranches: list
    paid_by_tranche: dict  # tranche id -> net amount paid
    expenditure: list  # ApprovedExpenditure rows of the grant, in period order


def _with_verification(tranches):
    """Tranches annotated with what the balance gate reads (disbursements.verification): whether the grant has a
    closed expenditure verification and its programme's threshold (none when the programme has not adopted the
    verification rule). Subqueries of the same query, no extra query."""
    closed = ExpenditureCheck.objects.filter(grant_id=OuterRef("grant_id"), kind=CheckKind.VERIFICATION, status=CheckStatus.CLOSED)
    rule = VerificationRule.objects.filter(programme_id=OuterRef("grant__call__programme_id")).values("threshold")[:1]
    money = DecimalField(max_digits=14, decimal_places=2)
    return tranches.annotate(
        verification_closed=Exists(closed),
        verification_threshold=Subquery(rule, output_field=money),  # None: the programme has no verification rule
    )


def facts_for(grant) -> ScheduleFacts:
    tranches = list(_with_verification(Tranche.objects.filter(grant=grant)).order_by("number"))
    paid = dict(
        Payment.objects.filter(grant=grant, reversal_entry__isnull=True).values_list("tranche_id").annotate(total=Sum("amount"))
    )
    expenditure = list(ApprovedExpenditure.objects.filter(grant=grant).order_by("period_number"))
    return ScheduleFacts(tranches, paid, expenditure)


def facts_for_many(grants) -> dict:
    """ScheduleFacts per grant id for several grants, in three queries."""
    ids = [g.pk for g in grants]
    result = {pk: ScheduleFacts([], {}, []) for pk in ids}
    for tranche in _with_verification(Tranche.objects.filter(grant_id__in=ids)).order_by("grant_id", "number"):
        result[tranche.grant_id].tranches.append(tranche)
    for grant_id, tranche_id, total in (
        Payment.objects.filter(grant_id__in=ids, reversal_entry__isnull=True)
        .values_list("grant_id", "tranche_id").annotate(total=Sum("amount")).values_list("grant_id", "tranche_id", "total")
    ):
        result[grant_id].paid_by_tranche[tranche_id] = total
    for row in ApprovedExpenditure.objects.filter(grant_id__in=ids).order_by("grant_id", "period_number"):
        result[row.grant_id].expenditure.append(row)
    return result


def schedule_status(grant, facts: ScheduleFacts | None = None) -> list[TrancheState]:
    """Each tranche of the grant with what it has paid, what it may pay now, and why."""
    facts = facts or facts_for(grant)
    threshold = grant.call.programme.expenditure_threshold_percent
    periods = {p.number: p for p in grant_periods(grant)}
    final = next((e for e in facts.expenditure if e.is_final), None)
    # A finding's deduction (a negative row, disbursements.verification) lowers the sums but approves no report.
    approved_periods = {e.period_number for e in facts.expenditure if not e.is_final and e.finding_id is None}
    spent = sum((e.amount for e in facts.expenditure), ZERO)
    active = grant.status in PAYABLE_STATUSES
    states = []
    paid_before = ZERO  # on earlier tranches
    previous = None
    for tranche in facts.tranches:
        paid = round_money(facts.paid_by_tranche.get(tranche.pk, ZERO))
        state = TrancheState(tranche=tranche, paid=paid, due=tranche.planned_amount, status=WAITING)
        if tranche.kind == TrancheKind.PREFINANCING:
            state.reasons.append(_("Pre-financing, payable on signature."))
            state.status = PAYABLE
        elif tranche.kind == TrancheKind.FURTHER:
            # The report of the period justifies the tranche: later reports do not re-open its reduction.
            spent_then = sum((e.amount for e in facts.expenditure if not e.is_final and e.period_number <= tranche.after_period), ZERO)
            _further(state, previous, paid_before, spent_then, threshold, tranche.after_period in approved_periods,
                     periods.get(tranche.after_period), final)
        else:
            _balance(state, grant, paid_before, spent, final)
        _settle(state, grant, active)
        states.append(state)
        paid_before += paid
        previous = state
    return states


def _further(state, previous, paid_before, spent, threshold, report_approved, period, final):
    tranche = state.tranche
    if final is not None and state.paid == 0:
        state.due = ZERO
        state.status = CLOSED
        state.reasons.append(_("Superseded: the final report is approved, so the balance pays what remains."))
        return
    blocked = previous is not None and previous.paid < previous.due
    if blocked:
        state.reasons.append(_("Waits for tranche %(n)s to be paid.") % {"n": previous.tranche.number})
    if not report_approved:
        due = period.due if period else None
        state.reasons.append(
            _("Waits for the approved interim report of period %(p)s (due %(due)s).") % {"p": tranche.after_period, "due": date_format(due)}
            if due else _("Waits for the approved interim report of period %(p)s.") % {"p": tranche.after_period}
        )
        state.status = WAITING
        return
    last_payment = previous.paid if previous else ZERO
    earlier = paid_before - last_payment
    required = round_money(earlier + last_payment * threshold / HUNDRED)
    # Each figure of the rule is named, so whoever reads it can check the sum: earlier + pct% of the previous payment.
    figures = {
        "spent": money_text(spent), "required": money_text(required), "earlier": money_text(earlier),
        "last": money_text(last_payment), "pct": f"{threshold:g}",
    }
    if spent >= required:
        state.reasons.append(
            _("Expenditure rule met: %(spent)s approved, %(required)s needed (%(earlier)s paid before the previous payment, "
              "plus %(pct)s%% of the previous payment of %(last)s).") % figures
        )
    else:
        unspent = max(paid_before - spent, ZERO)
        state.due = max(tranche.planned_amount - unspent, ZERO)
        state.reduction = tranche.planned_amount - state.due
        state.reasons.append(
            _("Reduced by %(unspent)s not spent: %(spent)s approved, %(required)s needed (%(earlier)s paid before the previous "
              "payment, plus %(pct)s%% of the previous payment of %(last)s).") % {**figures, "unspent": money_text(unspent)}
        )
    state.status = WAITING if blocked else PAYABLE


def _balance(state, grant, paid_before, spent, final):
    if final is None:
        state.reasons.append(_("Waits for the approved final report."))
        state.status = WAITING
        return
    accepted = min(spent, grant.amount)
    state.due = max(accepted - paid_before, ZERO)
    if state.due < state.tranche.planned_amount:
        state.reduction = state.tranche.planned_amount - state.due
    state.reasons.append(
        _("Approved expenditure %(spent)s (at most the grant, %(amount)s) less %(paid)s paid on the other tranches.")
        % {"spent": money_text(spent), "amount": money_text(grant.amount), "paid": money_text(paid_before)}
    )
    state.status = PAYABLE
    # PRAG: above the programme's threshold the balance waits for a closed expenditure verification.
    threshold = getattr(state.tranche, "verification_threshold", None)
    if threshold is not None and not state.tranche.verification_closed and grant.amount > threshold and state.due > state.paid:
        state.reasons.append(
            _("Waits for the expenditure verification to be closed (required above %(threshold)s).")
            % {"threshold": money_text(threshold)}
        )
        state.status = WAITING


def _settle(state, grant, active):
    """Final word on the state: paid in full, or nothing payable while the agreement is not active."""
    if state.status == CLOSED:
        return
    if state.paid > 0 and state.paid >= state.due:
        state.status = PAID
        return
    if not active:
        state.status = CLOSED if grant.status in (AgreementStatus.CLOSED, AgreementStatus.TERMINATED) else WAITING
        label = AgreementStatus(grant.status).label.lower()
        state.reasons.insert(0, _("Nothing is payable while the agreement is %(status)s.") % {"status": label})
        return
    if state.status == PAYABLE and state.due == 0:
        state.status = PAID if state.paid else CLOSED


# The same rules as one query, so a list can find the grants with something payable without computing every
# schedule in Python. It follows `schedule_status` step by step: each tranche's net payment, what earlier tranches
# paid (`paid_before`) and the previous one (`last`); the expenditure facts; `due` as computed there (superseded,
# waiting for its report, in full, or reduced by the unspent amount; the balance from the accepted expenditure); a
# further tranche is blocked while the previous one has paid less than its due. Amounts are exact cents, so "more
# than" is tested with half a cent of slack: SQLite sums decimals as floating-point numbers. Written for both
# databases (window functions, grouped joins rather than correlated subqueries, no GREATEST or boolean literals).
PAYABLE_GRANTS_SQL = """
WITH facts AS MATERIALIZED (
    SELECT t.id, t.grant_id, t.number, t.kind, t.planned_amount AS planned, COALESCE(paid.total, 0) AS paid,
           g.amount AS grant_amount, pr.expenditure_threshold_percent AS threshold,
           COALESCE(ex.spent, 0) AS spent, COALESCE(ex.has_final, 0) AS has_final,
           COALESCE(report.spent_then, 0) AS spent_then, COALESCE(report.approved, 0) AS approved
    FROM disbursements_tranche t
    JOIN grants_grant g ON g.id = t.grant_id
    JOIN grants_call c ON c.id = g.call_id
    JOIN grants_programme pr ON pr.id = c.programme_id
    LEFT JOIN (SELECT tranche_id, SUM(amount) AS total FROM disbursements_payment
               WHERE reversal_entry_id IS NULL GROUP BY tranche_id) paid ON paid.tranche_id = t.id
    LEFT JOIN (SELECT grant_id, SUM(amount) AS spent, MAX(CASE WHEN is_final THEN 1 ELSE 0 END) AS has_final
               FROM disbursements_approvedexpenditure GROUP BY grant_id) ex ON ex.grant_id = t.grant_id
    LEFT JOIN (SELECT f.id AS tranche_id, SUM(e.amount) AS spent_then,
                      MAX(CASE WHEN e.period_number = f.after_period AND e.finding_id IS NULL THEN 1 ELSE 0 END) AS approved
               FROM disbursements_tranche f JOIN disbursements_approvedexpenditure e
                    ON e.grant_id = f.grant_id AND NOT e.is_final AND e.period_number <= f.after_period
               GROUP BY f.id) report ON report.tranche_id = t.id
    WHERE g.status IN (%s, %s, %s)
      AND (t.kind <> 'balance' OR NOT EXISTS (
               SELECT 1 FROM disbursements_verificationrule r WHERE r.programme_id = pr.id AND g.amount > r.threshold)
           OR EXISTS (SELECT 1 FROM disbursements_expenditurecheck v
                      WHERE v.grant_id = g.id AND v.kind = 'verification' AND v.status = 'closed'))
), running AS (
    SELECT facts.*,
           COALESCE(SUM(paid) OVER (PARTITION BY grant_id ORDER BY number ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)
               AS paid_before,
           COALESCE(LAG(paid) OVER (PARTITION BY grant_id ORDER BY number), 0) AS last
    FROM facts
), reduced AS (
    SELECT running.*,
           CASE WHEN paid_before - spent_then > 0 THEN planned - (paid_before - spent_then) ELSE planned END AS after_unspent,
           CASE WHEN spent < grant_amount THEN spent ELSE grant_amount END - paid_before AS accepted_left
    FROM running
), due AS (
    SELECT reduced.*, CASE
        WHEN kind = 'further' THEN CASE
            WHEN has_final = 1 AND paid < 0.005 THEN 0
            WHEN approved = 0 THEN planned
            WHEN spent_then >= ROUND(paid_before - last + last * threshold / 100, 2) - 0.005 THEN planned
            WHEN after_unspent > 0 THEN after_unspent
            ELSE 0 END
        WHEN kind = 'balance' THEN CASE
            WHEN has_final = 0 THEN planned
            WHEN accepted_left > 0 THEN accepted_left
            ELSE 0 END
        ELSE planned END AS due
    FROM reduced
), previous AS (
    SELECT due.*, LAG(due) OVER (PARTITION BY grant_id ORDER BY number) AS previous_due FROM due
)
SELECT grant_id FROM previous
WHERE due - paid >= 0.005 AND (
    kind = 'prefinancing'
    OR (kind = 'balance' AND has_final = 1)
    OR (kind = 'further' AND approved = 1 AND (previous_due IS NULL OR last >= previous_due - 0.005))
)
"""


def payable_grant_ids() -> RawSQL:
    """The ids of the grants with a tranche payable now (a positive `payable` in `schedule_status`), for
    `filter(pk__in=...)`: what a list filters on, so that schedules are computed only for the rows shown."""
    return RawSQL(PAYABLE_GRANTS_SQL, sorted(status.value for status in PAYABLE_STATUSES))


def payable_total(states) -> Decimal:
    return sum((s.payable for s in states), ZERO)
