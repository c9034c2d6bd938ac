"""Concurrent requests against one envelope, on PostgreSQL with real transactions and row locks.

Each thread has its own database connection, as concurrent web requests do. A barrier releases them at the
same moment so the service calls overlap; only the envelope row lock serialises them.
"""
from decimal import Decimal


from audit.models import AuditEvent
from grants import ledger
from grants.ledger import LedgerError, balances
from grants.models import LedgerEntry

from ..concurrency import RACE_MARKS, race_results
from ..factories import CallFactory, EnvelopeFactory, GrantFactory

pytestmark = RACE_MARKS

THREADS = 24


def race(jobs):
    """Run each job in its own thread, all released together; return (winners, losers) as (index, value) lists."""
    results = race_results(jobs, refused=LedgerError)
    winners = [(i, r[1]) for i, r in enumerate(results) if r[0] == "ok"]
    losers = [(i, r[1]) for i, r in enumerate(results) if r[0] == "refused"]
    return winners, losers


def test_racing_allocations_never_exceed_the_envelope():
    envelope = EnvelopeFactory(amount=(Decimal("1000000.00"), "EUR"))
    calls = [CallFactory(programme=envelope.programme) for _ in range(THREADS)]
    amount = Decimal("100000.00")  # 24 x 100,000 asked of 1,000,000: exactly 10 can win

    winners, losers = race([lambda c=c: ledger.allocation_add(actor=None, call=c, amount=amount) for c in calls])

    assert len(winners) == 10 and len(losers) == THREADS - 10
    assert balances(envelope=envelope).allocated == Decimal("1000000.00")
    recorded = set(LedgerEntry.objects.filter(envelope=envelope).values_list("call_id", flat=True))
    assert recorded == {calls[i].pk for i, _ in winners}, "exactly the winners' allocations are recorded"
    assert all(e.code == "exceeds_envelope" and "would exceed the envelope" in e.message for _, e in losers)
    assert AuditEvent.objects.filter(verb="ledger.allocate").count() == 10


def test_racing_commitments_never_exceed_the_call_allocation():
    envelope = EnvelopeFactory(amount=(Decimal("1000000.00"), "EUR"))
    call = CallFactory(programme=envelope.programme)
    ledger.allocation_add(actor=None, call=call, amount="500000.00")
    grants = [GrantFactory(call=call) for _ in range(THREADS)]
    amount = Decimal("45000.00")  # 11 x 45,000 = 495,000 fit; a 12th would need 540,000

    winners, losers = race([lambda g=g: ledger.commitment_add(actor=None, grant=g, amount=amount) for g in grants])

    assert len(winners) == 11 and len(losers) == THREADS - 11
    assert balances(call=call).committed == Decimal("495000.00")
    recorded = set(LedgerEntry.objects.filter(kind="commitment").values_list("grant_id", flat=True))
    assert recorded == {grants[i].pk for i, _ in winners}
    assert all(e.code == "exceeds_call_allocation" and "5,000.00" in e.message for _, e in losers)


def test_racing_mixed_operations_keep_every_invariant():
    """Allocations, commitments, releases and payments on two calls at once; afterwards every sum still holds."""
    envelope = EnvelopeFactory(amount=(Decimal("300000.00"), "EUR"))
    a, b = CallFactory(programme=envelope.programme), CallFactory(programme=envelope.programme)
    ledger.allocation_add(actor=None, call=a, amount="150000.00")
    grant_a, grant_b = GrantFactory(call=a), GrantFactory(call=b)
    ledger.commitment_add(actor=None, grant=grant_a, amount="100000.00")

    jobs = []
    for i in range(THREADS):
        kind = i % 4
        if kind == 0:
            jobs.append(lambda: ledger.allocation_add(actor=None, call=b, amount="40000.00"))
        elif kind == 1:
            jobs.append(lambda: ledger.commitment_add(actor=None, grant=grant_b, amount="30000.00"))
        elif kind == 2:
            jobs.append(lambda: ledger.disbursement_add(actor=None, grant=grant_a, amount="30000.00"))
        else:
            jobs.append(lambda: ledger.allocation_release(actor=None, call=a, amount="20000.00"))
    winners, losers = race(jobs)

    assert winners and losers
    total = balances(envelope=envelope)
    assert total.allocated <= Decimal("300000.00")
    for call in (a, b):
        bal = balances(call=call)
        assert Decimal(0) <= bal.committed <= bal.allocated
    for grant in (grant_a, grant_b):
        bal = balances(grant=grant)
        assert Decimal(0) <= bal.disbursed <= bal.committed
    assert balances(grant=grant_a).disbursed == Decimal("90000.00"), "3 payments of 30,000 fit in 100,000"
    assert LedgerEntry.objects.count() == 2 + len(winners)
