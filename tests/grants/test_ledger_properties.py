"""Property test: any sequence of ledger operations keeps the invariants and matches a simple model."""
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from grants import ledger
from grants.ledger import LedgerError, balances
from grants.models import LedgerEntry

from ..factories import CallFactory, EnvelopeFactory, GrantFactory

ENVELOPE = Decimal("1000000.00")
amounts = st.integers(min_value=1, max_value=60_000_000).map(lambda cents: Decimal(cents) / 100)


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        # A fresh envelope per example: the ledger is per envelope, so examples never see each other's rows.
        self.envelope = EnvelopeFactory(amount=(ENVELOPE, "EUR"))
        programme = self.envelope.programme
        self.calls = [CallFactory(programme=programme), CallFactory(programme=programme)]
        self.grants = [GrantFactory(call=self.calls[0]), GrantFactory(call=self.calls[0]), GrantFactory(call=self.calls[1])]
        self.allocated = {c.pk: Decimal(0) for c in self.calls}
        self.committed = {g.pk: Decimal(0) for g in self.grants}
        self.disbursed = {g.pk: Decimal(0) for g in self.grants}  # net: paid less recovered
        self.recovered = {g.pk: Decimal(0) for g in self.grants}
        self.payments = []

    def _committed_in(self, call):
        return sum((self.committed[g.pk] for g in self.grants if g.call_id == call.pk), Decimal(0))

    def _apply(self, expected_ok, operation, **kwargs):
        """Run the operation; it must succeed exactly when the model says the rules allow it."""
        try:
            entry = operation(actor=None, **kwargs)
        except LedgerError:
            assert not expected_ok, f"{operation.__name__}({kwargs}) was refused but the rules allow it"
            return None
        assert expected_ok, f"{operation.__name__}({kwargs}) was accepted but breaks a rule"
        return entry

    @rule(i=st.integers(0, 1), amount=amounts)
    def allocate(self, i, amount):
        call = self.calls[i]
        ok = sum(self.allocated.values()) + amount <= ENVELOPE
        if self._apply(ok, ledger.allocation_add, call=call, amount=amount):
            self.allocated[call.pk] += amount

    @rule(i=st.integers(0, 1), amount=amounts)
    def release_allocation(self, i, amount):
        call = self.calls[i]
        ok = self.allocated[call.pk] - amount >= self._committed_in(call)
        if self._apply(ok, ledger.allocation_release, call=call, amount=amount):
            self.allocated[call.pk] -= amount

    @rule(j=st.integers(0, 2), amount=amounts)
    def commit(self, j, amount):
        grant = self.grants[j]
        call = self.calls[0] if grant.call_id == self.calls[0].pk else self.calls[1]
        ok = self._committed_in(call) + amount <= self.allocated[call.pk]
        if self._apply(ok, ledger.commitment_add, grant=grant, amount=amount):
            self.committed[grant.pk] += amount

    @rule(j=st.integers(0, 2), amount=amounts)
    def release_commitment(self, j, amount):
        grant = self.grants[j]
        ok = self.committed[grant.pk] - amount >= self.disbursed[grant.pk]
        if self._apply(ok, ledger.commitment_release, grant=grant, amount=amount):
            self.committed[grant.pk] -= amount

    @rule(j=st.integers(0, 2), amount=amounts)
    def disburse(self, j, amount):
        grant = self.grants[j]
        ok = self.disbursed[grant.pk] + amount <= self.committed[grant.pk]
        entry = self._apply(ok, ledger.disbursement_add, grant=grant, amount=amount)
        if entry:
            self.disbursed[grant.pk] += amount
            self.payments.append(entry)

    @precondition(lambda self: self.payments)
    @rule(k=st.integers(0, 1000))
    def reverse(self, k):
        payment = self.payments[k % len(self.payments)]
        # A payment whose money was partly recovered cannot be reversed below zero net.
        ok = payment.amount.amount <= self.disbursed[payment.grant_id]
        if self._apply(ok, lambda actor, **kw: ledger.disbursement_reverse(actor=actor, memo="property test", **kw),
                       entry=payment):
            self.payments.remove(payment)
            self.disbursed[payment.grant_id] -= payment.amount.amount

    @rule(j=st.integers(0, 2), amount=amounts)
    def recover(self, j, amount):
        grant = self.grants[j]
        ok = amount <= self.disbursed[grant.pk]
        if self._apply(ok, ledger.recovery_add, grant=grant, amount=amount):
            self.disbursed[grant.pk] -= amount
            self.recovered[grant.pk] += amount

    @invariant()
    def invariants_hold_in_the_database(self):
        total = balances(envelope=self.envelope)
        assert Decimal(0) <= total.allocated <= ENVELOPE
        assert total.committed <= total.allocated
        assert total.disbursed <= total.committed
        for call in self.calls:
            b = balances(call=call)
            assert Decimal(0) <= b.committed <= b.allocated
            assert b.allocated == self.allocated[call.pk]
        for grant in self.grants:
            b = balances(grant=grant)
            assert Decimal(0) <= b.disbursed <= b.committed
            assert (b.committed, b.disbursed) == (self.committed[grant.pk], self.disbursed[grant.pk])
            assert b.recovered == self.recovered[grant.pk] and b.paid - b.recovered == b.disbursed
        assert not LedgerEntry.objects.filter(envelope=self.envelope, amount=0).exists()
        assert not LedgerEntry.objects.filter(envelope=self.envelope, kind="recovery", amount__gte=0).exists()


@pytest.mark.django_db
def test_any_sequence_of_ledger_operations_keeps_the_invariants():
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=40,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
