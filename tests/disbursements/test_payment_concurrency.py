"""Payments racing each other on PostgreSQL, with real transactions and row locks.

Each thread has its own connection, as concurrent requests do; a barrier releases them together. After every
race the ledger agrees with the payments that stand and no grant is paid beyond its commitment.
"""
from datetime import date
from decimal import Decimal as D

from django.db.models import Sum

from disbursements.models import Payment
from disbursements.services import payment_record, payment_reverse
from grants import ledger
from grants.models import LedgerEntry, LedgerKind
from tests.concurrency import RACE_MARKS, race_split
from tests.factories import CallFactory, EnvelopeFactory
from tests.grant_helpers import signed_grant

pytestmark = RACE_MARKS

PAID_ON = date(2026, 2, 2)


def pay(actor, tranche, amount, reference):
    return lambda: payment_record(actor=actor, tranche=tranche, amount=amount, value_date=PAID_ON, bank_reference=reference)


def assert_ledger_agrees(grants):
    for grant in grants:
        standing = Payment.objects.filter(grant=grant, reversal_entry__isnull=True).aggregate(s=Sum("amount"))["s"] or D(0)
        rows = LedgerEntry.objects.filter(grant=grant, kind=LedgerKind.DISBURSEMENT).aggregate(s=Sum("amount"))["s"] or D(0)
        totals = ledger.balances(grant=grant)
        assert rows == standing == totals.disbursed
        assert D(0) <= totals.disbursed <= totals.committed


def test_sixteen_payments_on_one_tranche_never_exceed_it(finance):
    grant = signed_grant()  # 120,000 pre-financing
    tranche = grant.tranches.get(number=1)

    winners, refusals = race_split([pay(finance, tranche, "10000.00", f"TRF-{i}") for i in range(16)])

    assert len(winners) == 12 and len(refusals) == 4
    assert all(e.code == "exceeds_tranche" for e in refusals)
    assert Payment.objects.filter(tranche=tranche).aggregate(s=Sum("amount"))["s"] == D("120000.00")
    assert_ledger_agrees([grant])


def test_payments_to_grants_of_one_call_near_the_envelope(finance):
    envelope = EnvelopeFactory(amount=(D("1000000.00"), "EUR"))
    call = CallFactory(programme=envelope.programme)
    # Eight grants of 125,000 commit the whole envelope; each pre-finances 100,000 (80%).
    grants = [signed_grant(call=call, amount="125000.00") for _ in range(8)]
    jobs = []
    for g, grant in enumerate(grants):
        tranche = grant.tranches.get(number=1)
        jobs += [pay(finance, tranche, "60000.00", f"G{g}-{i}") for i in range(2)]  # only one of each pair fits

    winners, refusals = race_split(jobs)

    assert len(winners) == 8 and len(refusals) == 8
    assert ledger.balances(envelope=envelope).disbursed == D("480000.00")
    assert ledger.balances(envelope=envelope).committed == D("1000000.00")
    assert_ledger_agrees(grants)


def test_reversal_racing_a_new_payment(finance):
    grants = [signed_grant() for _ in range(6)]
    jobs = []
    for g, grant in enumerate(grants):
        tranche = grant.tranches.get(number=1)
        paid = pay(finance, tranche, "120000.00", f"FIRST-{g}")()
        jobs.append(lambda p=paid: payment_reverse(actor=finance, payment=p, reason="Returned by the bank"))
        jobs.append(pay(finance, tranche, "120000.00", f"SECOND-{g}"))

    winners, refusals = race_split(jobs)

    # Every reversal wins; a new payment wins only where the reversal came first.
    assert Payment.objects.filter(reversal_entry__isnull=False).count() == 6
    assert all(e.code == "exceeds_tranche" for e in refusals)
    assert len(winners) + len(refusals) == 12
    for grant in grants:
        assert ledger.balances(grant=grant).disbursed in (D(0), D("120000.00"))
    assert_ledger_agrees(grants)
