"""Reads of the finance pages: the payment queue (its list: payment_queue.py), payments, a grant's position at a
payment, the rate table.

Each costs a fixed number of queries however many grants, tranches or payments it shows.
"""
from dataclasses import dataclass, field
from itertools import islice

from django.db.models import F, Q, Window
from django.db.models.functions import RowNumber
from django.http import Http404

from grants import ledger
from grants.access import grants_for
from grants.models import AgreementStatus, Call

from ..models import ExchangeRate, Payment, Tranche
from ..schedule import PAYABLE, WAITING, TrancheState, facts_for_many, payable_grant_ids, payable_total, schedule_status

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


@dataclass
class QueueGrant:
    """A grant of the queue with its tranches payable now and those waiting (with why)."""

    grant: object
    payable: list
    waiting: list

    @property
    def payable_total(self):
        return payable_total(self.payable)


def queue_calls():
    """Calls with an agreement in the queue, for the filter."""
    return Call.objects.filter(grants__status__in=QUEUE_STATUSES).distinct().order_by("reference")


def queue_grants(user):
    """The grants in the queue that `user` may read, with what a row shows."""
    return (
        grants_for(user).filter(status__in=QUEUE_STATUSES)
        .select_related("call__programme", "organisation", "country")
    )


def has_payable_tranche():
    """A condition on grants: some tranche has something payable now."""
    return Q(pk__in=payable_grant_ids())


def with_states(grants) -> list[QueueGrant]:
    """Each grant with its tranche states (the schedules' facts read in three queries for all of them)."""
    grants = list(grants)
    facts = facts_for_many(grants)
    rows = []
    for grant in grants:
        states = schedule_status(grant, facts[grant.pk])
        rows.append(QueueGrant(
            grant, payable=[s for s in states if s.status == PAYABLE and s.payable > 0],
            waiting=[s for s in states if s.status == WAITING],
        ))
    return rows


class QueueExport:
    """Matching grants for lists.export, read in chunks, each chunk with its tranche states."""

    def __init__(self, grants):
        self.grants = grants

    def iterator(self, chunk_size):
        grants = self.grants.iterator(chunk_size=chunk_size)
        while chunk := list(islice(grants, chunk_size)):
            yield from with_states(chunk)


def payment_queue(user) -> PaymentQueue:
    """The tranches payable now across the grants `user` may read: schedules are computed only for the grants the
    query finds with something payable."""
    grants = queue_grants(user).filter(has_payable_tranche()).order_by("reference")
    return PaymentQueue(payable=[QueueRow(row.grant, state) for row in with_states(grants) for state in row.payable])


def _payments():
    return Payment.objects.select_related(
        "grant__call__programme", "grant__organisation", "tranche", "recorded_by", "ledger_entry", "reversal_entry",
    )


def latest_payments(user, *, call_id=None, limit=LATEST_PAYMENTS):
    payments = _payments().filter(grant__in=grants_for(user))
    if call_id is not None:
        payments = payments.filter(grant__call_id=call_id)
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
