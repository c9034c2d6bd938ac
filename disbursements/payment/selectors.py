"""Reads of the finance pages: the payment queue, payments, a grant's position at a payment, the rate table.

Each costs a fixed number of queries however many grants, tranches or payments it shows.
"""
from dataclasses import dataclass, field

from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.http import Http404

from grants import ledger
from grants.access import grants_for
from grants.models import AgreementStatus, Call

from ..models import ExchangeRate, Payment, Tranche
from ..schedule import PAYABLE, WAITING, TrancheState, facts_for_many, schedule_status

# Agreements whose tranches may still be paid or may become payable (a suspended one resumes).
QUEUE_STATUSES = (
    AgreementStatus.SIGNED, AgreementStatus.IN_IMPLEMENTATION, AgreementStatus.CLOSING, AgreementStatus.SUSPENDED,
)
LATEST_PAYMENTS = 20
FX_MONTHS_SHOWN = 24


@dataclass
class QueueRow:
    grant: object
    state: TrancheState


@dataclass
class PaymentQueue:
    payable: list = field(default_factory=list)
    waiting: list = field(default_factory=list)


def queue_calls():
    """Calls with an agreement in the queue, for the filter."""
    return Call.objects.filter(grants__status__in=QUEUE_STATUSES).distinct().order_by("reference")


def payment_queue(user, *, call=None) -> PaymentQueue:
    """Tranches payable now and tranches waiting, across the grants `user` may read (optionally of one call)."""
    grants = (
        grants_for(user).filter(status__in=QUEUE_STATUSES)
        .select_related("call__programme", "organisation").order_by("reference")
    )
    if call is not None:
        grants = grants.filter(call=call)
    grants = list(grants)
    facts = facts_for_many(grants)
    queue = PaymentQueue()
    for grant in grants:
        for state in schedule_status(grant, facts[grant.pk]):
            if state.status == PAYABLE and state.payable > 0:
                queue.payable.append(QueueRow(grant, state))
            elif state.status == WAITING:
                queue.waiting.append(QueueRow(grant, state))
    return queue


def _payments():
    return Payment.objects.select_related(
        "grant__call__programme", "grant__organisation", "tranche", "recorded_by", "ledger_entry", "reversal_entry",
    )


def latest_payments(user, *, call=None, limit=LATEST_PAYMENTS):
    payments = _payments().filter(grant__in=grants_for(user))
    if call is not None:
        payments = payments.filter(grant__call=call)
    return list(payments.order_by("-value_date", "-recorded_at", "-id")[:limit])


def payment_for(user, pk) -> Payment:
    """One payment of a grant `user` may read, or 404."""
    try:
        return _payments().filter(grant__in=grants_for(user)).get(pk=pk)
    except Payment.DoesNotExist:
        raise Http404 from None


def tranche_for(user, pk) -> Tranche:
    """One tranche of a grant `user` may read, or 404."""
    try:
        return (
            Tranche.objects.select_related("grant__call__programme", "grant__organisation")
            .filter(grant__in=grants_for(user)).get(pk=pk)
        )
    except Tranche.DoesNotExist:
        raise Http404 from None


def tranche_state(tranche) -> TrancheState:
    """What the tranche has paid, may pay now, and why."""
    return next(s for s in schedule_status(tranche.grant) if s.tranche.pk == tranche.pk)


@dataclass(frozen=True)
class GrantPosition:
    committed: object
    paid: object

    @property
    def remaining(self):
        return self.committed - self.paid


def position_at(payment) -> GrantPosition:
    """The grant's ledger position just after `payment` was recorded (later rows left out, so a payment order
    reads the same whenever it is printed again)."""
    totals = ledger.balances(grant_id=payment.grant_id, pk__lte=payment.ledger_entry_id)
    return GrantPosition(committed=totals.committed, paid=totals.disbursed)


def rate_table():
    """The latest FX_MONTHS_SHOWN monthly rates of each currency, by currency then newest month first."""
    ranked = ExchangeRate.objects.annotate(
        recent=Window(RowNumber(), partition_by=[F("currency")], order_by=F("month").desc())
    )
    return ranked.filter(recent__lte=FX_MONTHS_SHOWN).select_related("recorded_by").order_by("currency", "-month")
