"""Recovery orders, computed by hand on a 36-month EUR 300,000 grant (start 1 January 2025).

Its schedule: 100,000 on signature, 100,000 after the report of period 1, 70,000 after period 2 (the 90% cap),
30,000 balance. Every refusal writes nothing."""
from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.models import AuditEvent
from disbursements.agreements import agreement_set_status
from disbursements.models import Payment, RecoveryOrder, RecoveryOrigin, RecoverySettlement, RecoveryStatus
from disbursements.recovery.services import (
    RecoveryError, recovery_offset_record, recovery_order_cancel, recovery_order_for_unspent_advance,
    recovery_order_issue, recovery_refund_record, unspent_advance,
)
from disbursements.schedule import schedule_status
from disbursements.services import expenditure_accept
from grants import ledger
from grants.models import AgreementStatus, LedgerEntry, LedgerKind
from notifications.models import Notification

from .helpers import DUE, pay

pytestmark = pytest.mark.django_db

def tranche(grant, number):
    return grant.tranches.get(number=number)


def accept(grant, period, amount, period_end, actor, final=False):
    return expenditure_accept(actor=actor, grant=grant, period_number=period, is_final=final, amount=amount,
                              period_end=period_end, source=f"Report {period}")


def nothing_written(call_, code, field=None):
    counts = (RecoveryOrder.objects.count(), RecoverySettlement.objects.count(), LedgerEntry.objects.count(),
              Payment.objects.count(), AuditEvent.objects.count())
    with pytest.raises(RecoveryError if code != "exceeds_tranche" else Exception) as exc:
        call_()
    assert exc.value.code == code
    if field:
        assert exc.value.field == field
    assert (RecoveryOrder.objects.count(), RecoverySettlement.objects.count(), LedgerEntry.objects.count(),
            Payment.objects.count(), AuditEvent.objects.count()) == counts
    return exc.value


@pytest.fixture
def terminated(grant, finance, officer):
    """Two tranches paid (200,000.00); period 1 accepted 91,234.56; terminated in month 21; the final report
    accepts 45,678.90 for the months of period 2."""
    pay(grant, 1, "100000.00", "TRF-2025-001", date(2025, 1, 15), finance)
    accept(grant, 1, "91234.56", date(2025, 12, 31), officer)
    pay(grant, 2, "100000.00", "TRF-2026-014", date(2026, 2, 10), finance)
    agreement_set_status(actor=officer, grant=grant, status=AgreementStatus.TERMINATED, reason="Grantee dissolved")
    accept(grant, 2, "45678.90", date(2026, 9, 30), officer, final=True)
    grant.refresh_from_db()
    return grant


def test_termination_with_an_unspent_advance_gives_the_right_order_to_the_cent(terminated, finance, cso_user):
    grant = terminated
    # Termination released what was never paid: 300,000.00 - 200,000.00.
    assert ledger.balances(grant=grant).committed == D("200000.00")
    advance = unspent_advance(grant)
    assert (advance.paid_net, advance.accepted, advance.claimed) == (D("200000.00"), D("136913.46"), D("0"))
    assert advance.proposed == D("63086.54")  # 200,000.00 - (91,234.56 + 45,678.90)

    order = recovery_order_for_unspent_advance(actor=finance, grant=grant, due_date=DUE)

    assert order.amount == D("63086.54") and order.origin == RecoveryOrigin.UNSPENT_ADVANCE
    assert order.status == RecoveryStatus.OPEN and order.reference == f"{grant.reference}-RO01"
    assert "200,000.00" in order.reason and "136,913.46" in order.reason
    event = AuditEvent.objects.get(verb="recovery.issue")
    assert event.amount == D("63086.54") and event.data["origin"] == "unspent_advance"
    note = Notification.objects.get(recipient=cso_user, kind="recovery_order_issued")
    assert note.url.endswith("#recoveries") and note.params["grant"] == grant.reference
    # The order claims the whole advance: a second proposal finds nothing left.
    assert unspent_advance(grant).proposed == D("0")
    nothing_written(lambda: recovery_order_for_unspent_advance(actor=finance, grant=grant, due_date=DUE),
                    "nothing_to_recover")

    first = recovery_refund_record(actor=finance, order=order, amount="40000.00", value_date=timezone.localdate(),
                                   bank_reference="IN-2026-0007")
    order.refresh_from_db()
    assert order.status == RecoveryStatus.PARTLY_SETTLED and first.ledger_entry.amount.amount == D("-40000.00")
    second = recovery_refund_record(actor=finance, order=order, amount="23086.54", value_date=timezone.localdate(),
                                    bank_reference="IN-2026-0011")
    order.refresh_from_db()
    assert order.status == RecoveryStatus.SETTLED and second.ledger_entry.kind == LedgerKind.RECOVERY

    totals = ledger.balances(grant=grant)
    assert (totals.paid, totals.recovered, totals.disbursed) == (D("200000.00"), D("63086.54"), D("136913.46"))
    # The recovered money left the ended grant's commitment and is free again in the call.
    assert totals.committed == D("136913.46") == totals.disbursed
    assert [e.amount for e in AuditEvent.objects.filter(verb="recovery.refund").order_by("pk")] == [D("40000.00"), D("23086.54")]
    assert AuditEvent.objects.filter(verb="ledger.recover").count() == 2


def test_an_offset_against_the_next_tranche_pays_it_net(grant, finance, officer):
    pay(grant, 1, "100000.00", "TRF-2025-001", date(2025, 1, 15), finance)
    accept(grant, 1, "95000.00", date(2025, 12, 31), officer)
    order = recovery_order_issue(actor=finance, grant=grant, amount="4321.09", due_date=DUE,
                                 reason="Hotel invoices of March 2025 without supporting documents")
    assert order.origin == RecoveryOrigin.MANUAL

    settlement = recovery_offset_record(actor=finance, order=order, tranche=tranche(grant, 2), amount="100000.00",
                                        offset="4321.09", value_date=date(2026, 2, 10), bank_reference="TRF-2026-014")

    payment = settlement.payment
    assert payment.amount == D("100000.00") and payment.bank_reference == "TRF-2026-014"
    assert payment.amount - settlement.amount == D("95678.91")  # what the grantee received
    order.refresh_from_db()
    assert order.status == RecoveryStatus.SETTLED and settlement.value_date == date(2026, 2, 10)
    totals = ledger.balances(grant=grant)
    assert (totals.paid, totals.recovered, totals.disbursed) == (D("200000.00"), D("4321.09"), D("195678.91"))
    assert totals.committed == D("300000.00")  # the grant goes on: its commitment stays
    states = schedule_status(grant)
    assert states[1].status == "paid" and states[1].paid == D("100000.00")
    event = AuditEvent.objects.get(verb="recovery.offset")
    assert event.data["payment"] == payment.pk and event.amount == D("4321.09")


def test_an_offset_refused_by_the_payment_writes_nothing(grant, finance):
    pay(grant, 1, "100000.00", "TRF-2025-001", date(2025, 1, 15), finance)
    order = recovery_order_issue(actor=finance, grant=grant, amount="1000.00", due_date=DUE, reason="Overpaid fee")
    # Tranche 2 waits for the report of period 1: the payment is refused, so is the offset.
    nothing_written(lambda: recovery_offset_record(
        actor=finance, order=order, tranche=tranche(grant, 2), amount="100000.00", offset="1000.00",
        value_date=date(2026, 2, 10), bank_reference="TRF-X"), "exceeds_tranche")
    nothing_written(lambda: recovery_offset_record(
        actor=finance, order=order, tranche=tranche(grant, 2), amount="100000.00", offset="1000.01",
        value_date=date(2026, 2, 10), bank_reference="TRF-X"), "exceeds_outstanding", "offset")


def test_an_order_never_claims_more_than_was_paid_net(grant, finance):
    pay(grant, 1, "100000.00", "TRF-2025-001", date(2025, 1, 15), finance)
    recovery_order_issue(actor=finance, grant=grant, amount="60000.00", due_date=DUE, reason="Ineligible staff costs")
    exc = nothing_written(lambda: recovery_order_issue(actor=finance, grant=grant, amount="40000.01", due_date=DUE,
                                                       reason="More"), "exceeds_paid", "amount")
    assert "40,000.00" in exc.message  # 100,000.00 paid net, 60,000.00 claimed
    recovery_order_issue(actor=finance, grant=grant, amount="40000.00", due_date=DUE, reason="The rest")


def test_refusals_write_nothing(grant, finance):
    pay(grant, 1, "100000.00", "TRF-2025-001", date(2025, 1, 15), finance)
    order = recovery_order_issue(actor=finance, grant=grant, amount="5000.00", due_date=DUE, reason="Overpaid")
    today = timezone.localdate()
    nothing_written(lambda: recovery_refund_record(actor=finance, order=order, amount="5000.01", value_date=today,
                                                   bank_reference="IN-1"), "exceeds_outstanding", "amount")
    recovery_refund_record(actor=finance, order=order, amount="3000.00", value_date=today, bank_reference="IN-1")
    nothing_written(lambda: recovery_refund_record(actor=finance, order=order, amount="2000.01", value_date=today,
                                                   bank_reference="IN-2"), "exceeds_outstanding", "amount")
    # The bank reference of a refund is used once, whatever its case, on any order.
    other = recovery_order_issue(actor=finance, grant=grant, amount="1000.00", due_date=DUE, reason="Other")
    nothing_written(lambda: recovery_refund_record(actor=finance, order=other, amount="10.00", value_date=today,
                                                   bank_reference="in-1"), "duplicate_reference", "bank_reference")
    nothing_written(lambda: recovery_refund_record(actor=finance, order=order, amount="10.00",
                                                   value_date=today + timedelta(days=1), bank_reference="IN-3"),
                    "future_date", "value_date")
    nothing_written(lambda: recovery_refund_record(actor=finance, order=order, amount="10.001", value_date=today,
                                                   bank_reference="IN-3"), "invalid_amount", "amount")
    nothing_written(lambda: recovery_order_issue(actor=finance, grant=grant, amount="10.00", due_date=DUE, reason=" "),
                    "reason_required", "reason")
    nothing_written(lambda: recovery_order_issue(actor=finance, grant=grant, amount="10.00", reason="x",
                                                 due_date=today - timedelta(days=1)), "due_date_past", "due_date")
    # An unspent advance is recovered at closure or termination only.
    nothing_written(lambda: recovery_order_for_unspent_advance(actor=finance, grant=grant, due_date=DUE), "not_ending")


def test_cancelling_writes_off_the_outstanding_amount(grant, finance):
    pay(grant, 1, "100000.00", "TRF-2025-001", date(2025, 1, 15), finance)
    order = recovery_order_issue(actor=finance, grant=grant, amount="5000.00", due_date=DUE, reason="Overpaid",
                                 origin=RecoveryOrigin.FINDING, source_description="Spot check 2026-1, finding 2",
                                 source_reference="finding:2")
    assert order.source_reference == "finding:2"
    recovery_refund_record(actor=finance, order=order, amount="1000.00", value_date=timezone.localdate(),
                           bank_reference="IN-9")
    nothing_written(lambda: recovery_order_cancel(actor=finance, order=order, reason=""), "reason_required", "reason")
    recovery_order_cancel(actor=finance, order=order, reason="Written off: grantee insolvent")
    order.refresh_from_db()
    assert order.status == RecoveryStatus.CANCELLED and order.cancel_reason.startswith("Written off")
    assert ledger.balances(grant=grant).recovered == D("1000.00")  # what was recovered stays
    nothing_written(lambda: recovery_refund_record(actor=finance, order=order, amount="1.00",
                                                   value_date=timezone.localdate(), bank_reference="IN-10"),
                    "not_outstanding")
    nothing_written(lambda: recovery_order_cancel(actor=finance, order=order, reason="again"), "invalid_transition")
    assert AuditEvent.objects.get(verb="recovery.cancel").amount == D("4000.00")


def test_a_recovered_payment_can_no_longer_be_reversed(grant, finance):
    payment = pay(grant, 1, "100000.00", "TRF-2025-001", date(2025, 1, 15), finance)
    order = recovery_order_issue(actor=finance, grant=grant, amount="100.00", due_date=DUE, reason="Bank charges")
    recovery_refund_record(actor=finance, order=order, amount="100.00", value_date=timezone.localdate(),
                           bank_reference="IN-1")
    from disbursements.services import payment_reverse
    with pytest.raises(ledger.LedgerError) as exc:
        payment_reverse(actor=finance, payment=payment, reason="Wrong account")
    assert exc.value.code == "exceeds_net_disbursed"
    assert ledger.balances(grant=grant).disbursed == D("99900.00")


def test_database_refuses_a_refund_reference_twice(grant, finance):
    pay(grant, 1, "100000.00", "TRF-2025-001", date(2025, 1, 15), finance)
    order = recovery_order_issue(actor=finance, grant=grant, amount="100.00", due_date=DUE, reason="Bank charges")
    settlement = recovery_refund_record(actor=finance, order=order, amount="50.00", value_date=timezone.localdate(),
                                        bank_reference="IN-1")
    with pytest.raises(IntegrityError), transaction.atomic():
        RecoverySettlement.objects.create(
            order=order, kind="refund", amount=D("1.00"), value_date=settlement.value_date, bank_reference="in-1",
            ledger_entry=ledger.recovery_add(actor=finance, grant=grant, amount="1.00"), recorded_by=finance,
        )
