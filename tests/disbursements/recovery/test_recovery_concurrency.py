"""Refunds, payments and reversals racing on one grant, on PostgreSQL with real transactions and row locks.

Each thread has its own connection, as concurrent requests do; a barrier releases them together. Whatever the
interleaving, the ledger must equal the records: paid = the standing payments, recovered = the settlements, net
disbursed = paid - recovered, never below zero and never above the commitment; no order is settled beyond its
amount."""
from datetime import date, timedelta
from decimal import Decimal as D

from django.db.models import Sum
from django.utils import timezone

from disbursements.models import Payment, RecoveryOrder, RecoverySettlement, RecoveryStatus
from disbursements.recovery.services import recovery_order_issue, recovery_refund_record
from disbursements.services import payment_record, payment_reverse
from grants import ledger
from grants.models import LedgerEntry
from tests.concurrency import RACE_MARKS, race_results
from tests.factories import UserFactory
from tests.grant_helpers import signed_grant

pytestmark = RACE_MARKS

THREADS = 16


race = race_results


def test_refunds_payments_and_reversals_racing_on_one_grant_keep_the_invariants():
    finance = UserFactory()
    grant = signed_grant(amount="300000.00", start=date(2025, 1, 1), end=date(2027, 12, 31), signed_on=date(2025, 1, 1))
    first = grant.tranches.get(number=1)  # 100,000.00 on signature
    paid_on = date(2025, 1, 15)
    standing = [payment_record(actor=finance, tranche=first, amount=amount, value_date=paid_on, bank_reference=ref)
                for amount, ref in (("30000.00", "P-A"), ("10000.00", "P-B"), ("10000.00", "P-C"))]
    due = timezone.localdate() + timedelta(days=30)
    orders = [recovery_order_issue(actor=finance, grant=grant, amount="9000.00", due_date=due, reason=f"Order {n}")
              for n in range(4)]
    today = timezone.localdate()

    jobs = []
    for n in range(8):  # two threads per order, each asking the whole 9,000.00: one of them at most can win
        order = orders[n % 4]
        jobs.append(lambda order=order, n=n: recovery_refund_record(
            actor=finance, order=order, amount="9000.00", value_date=today, bank_reference=f"IN-{n}"))
    for n in range(6):  # 90,000.00 asked of the 50,000.00 the tranche may still pay (more after a reversal)
        jobs.append(lambda n=n: payment_record(actor=finance, tranche=first, amount="15000.00", value_date=paid_on,
                                               bank_reference=f"P-N{n}"))
    for payment in standing[1:]:
        jobs.append(lambda payment=payment: payment_reverse(actor=finance, payment=payment, reason="Wrong account"))
    assert len(jobs) == THREADS

    results = race(jobs)

    refunds = [r for r in results[:8] if r[0] == "ok"]
    assert len(refunds) == 4, "exactly one refund per order wins"
    assert {r[1].code for r in results[:8] if r[0] == "refused"} <= {"exceeds_outstanding", "not_outstanding"}
    assert set(RecoveryOrder.objects.values_list("status", flat=True)) == {RecoveryStatus.SETTLED}
    for order in RecoveryOrder.objects.all():
        assert order.settlements.aggregate(total=Sum("amount"))["total"] == order.amount

    totals = ledger.balances(grant=grant)
    standing_paid = Payment.objects.filter(grant=grant, reversal_entry__isnull=True).aggregate(t=Sum("amount"))["t"]
    refunded = RecoverySettlement.objects.filter(order__grant=grant).aggregate(t=Sum("amount"))["t"]
    assert totals.paid == standing_paid
    assert totals.recovered == refunded == D("36000.00")
    assert totals.disbursed == standing_paid - refunded
    assert D("0") <= totals.disbursed <= totals.committed == D("300000.00")
    assert standing_paid <= first.planned_amount, "the tranche never paid beyond its plan"
    assert LedgerEntry.objects.filter(grant=grant, kind="recovery").count() == 4
    assert not LedgerEntry.objects.filter(grant=grant, kind="recovery", amount__gte=0).exists()
