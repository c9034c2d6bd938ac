"""Reads of programmes, calls and the envelope position, at a fixed number of queries."""
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q, Sum
from django.db.models.functions import Coalesce

from core.money import ZERO, round_money

from .ledger import balances
from .models import Call, LedgerKind, Programme


@dataclass(frozen=True)
class CallPosition:
    call: Call
    allocated: Decimal
    committed: Decimal
    disbursed: Decimal

    @property
    def available(self) -> Decimal:
        """What the call can still commit to new grants."""
        return self.allocated - self.committed


@dataclass(frozen=True)
class EnvelopePosition:
    programme: Programme
    envelope: Decimal
    allocated: Decimal
    committed: Decimal
    disbursed: Decimal
    calls: list = field(default_factory=list)

    @property
    def available(self) -> Decimal:
        """What is left of the envelope to allocate to calls."""
        return self.envelope - self.allocated

    @property
    def uncommitted_in_calls(self) -> Decimal:
        """Allocated to calls but not yet committed to grants (the sum of the calls' available amounts)."""
        return self.allocated - self.committed

    def as_dict(self):
        def amount(value):
            return f"{round_money(value):.2f}"

        return {
            "programme": self.programme.short_name,
            "programme_code": self.programme.code,
            "currency": self.programme.currency,
            "envelope": amount(self.envelope),
            "allocated": amount(self.allocated),
            "committed": amount(self.committed),
            "disbursed": amount(self.disbursed),
            "available": amount(self.available),
            "calls": [
                {
                    "reference": p.call.reference,
                    "title": p.call.title,
                    "status": p.call.status,
                    "allocated": amount(p.allocated),
                    "committed": amount(p.committed),
                    "disbursed": amount(p.disbursed),
                    "available": amount(p.available),
                }
                for p in self.calls
            ],
        }


def _call_sum(kind):
    return Coalesce(Sum("ledger_entries__amount", filter=Q(ledger_entries__kind=kind)), ZERO)


def envelope_position(programme: Programme) -> EnvelopePosition:
    """The envelope overall and per call, in three queries whatever the number of calls and entries."""
    envelope = programme.envelope
    totals = balances(envelope=envelope)
    calls = (
        Call.objects.filter(programme=programme)
        .annotate(
            allocated_sum=_call_sum(LedgerKind.ALLOCATION),
            committed_sum=_call_sum(LedgerKind.COMMITMENT),
            disbursed_sum=_call_sum(LedgerKind.DISBURSEMENT),
        )
        .order_by("reference")
    )
    return EnvelopePosition(
        programme=programme,
        envelope=envelope.amount.amount,
        allocated=totals.allocated,
        committed=totals.committed,
        disbursed=totals.disbursed,
        calls=[
            CallPosition(
                call=c,
                allocated=round_money(c.allocated_sum),
                committed=round_money(c.committed_sum),
                disbursed=round_money(c.disbursed_sum),
            )
            for c in calls
        ],
    )


def programmes_with_envelope():
    return Programme.objects.filter(envelope__isnull=False).select_related("envelope").order_by("start_date", "code")
