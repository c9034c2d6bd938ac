"""Recording and reversing payments: every refusal writes nothing; money always agrees with the ledger."""
import io
import json
from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.utils import timezone

from audit.models import AuditEvent
from core.errors import DomainError
from disbursements.models import Payment
from disbursements.payment.selectors import position_at
from disbursements.schedule import schedule_status, tranches_write
from disbursements.services import PaymentError, payment_record, payment_reverse
from grants import ledger
from grants.models import AgreementStatus, LedgerEntry, LedgerKind
from tests.grant_helpers import awarded_grant, signed_grant

pytestmark = pytest.mark.django_db

PAID_ON = date(2026, 2, 2)


@pytest.fixture
def grant(call):
    # EUR 150,000 over 12 months: 120,000 pre-financing on signature, 30,000 balance.
    return signed_grant(call=call)


@pytest.fixture
def first(grant):
    return grant.tranches.get(number=1)


def pay(tranche, actor, amount="120000.00", reference="TRF-001", value_date=PAID_ON, **local):
    return payment_record(actor=actor, tranche=tranche, amount=amount, value_date=value_date, bank_reference=reference, **local)


def refused(code, tranche, actor, **kwargs):
    before = (Payment.objects.count(), LedgerEntry.objects.filter(kind=LedgerKind.DISBURSEMENT).count())
    with pytest.raises(DomainError) as exc:
        pay(tranche, actor, **kwargs)
    assert exc.value.code == code
    assert (Payment.objects.count(), LedgerEntry.objects.filter(kind=LedgerKind.DISBURSEMENT).count()) == before
    return exc.value


def test_payment_moves_money_through_the_ledger_and_starts_implementation(first, grant, finance):
    payment = pay(first, finance)

    assert payment.ledger_entry.amount.amount == D("120000.00") and payment.ledger_entry.kind == LedgerKind.DISBURSEMENT
    assert ledger.balances(grant=grant).disbursed == D("120000.00")
    grant.refresh_from_db()
    assert grant.status == AgreementStatus.IN_IMPLEMENTATION and grant.status_changed_at is not None
    record = AuditEvent.objects.get(verb="payment.record")
    assert record.actor == finance and record.amount == D("120000.00")
    assert record.data["bank_reference"] == "TRF-001" and record.data["tranche"] == 1
    assert AuditEvent.objects.filter(verb="ledger.disburse").count() == 1
    assert AuditEvent.objects.get(verb="grant.implementation").data == {"reason": "first payment"}
    assert schedule_status(grant)[0].status == "paid"


def test_second_payment_keeps_the_status(first, grant, finance):
    pay(first, finance, amount="100000.00", reference="A")
    pay(first, finance, amount="20000.00", reference="B")
    assert AuditEvent.objects.filter(verb="grant.implementation").count() == 1
    assert ledger.balances(grant=grant).disbursed == D("120000.00")


def test_future_value_date_is_refused(first, finance):
    exc = refused("future_date", first, finance, value_date=timezone.localdate() + timedelta(days=1))
    assert exc.field == "value_date"


def test_value_date_before_signature_is_refused(first, finance):
    exc = refused("before_signature", first, finance, value_date=date(2025, 12, 31))
    assert exc.field == "value_date" and "2026-01-01" in exc.message


def test_unsigned_grant_pays_nothing(call, finance):
    draft = awarded_grant(call=call)
    tranches_write(draft)
    exc = refused("exceeds_tranche", draft.tranches.get(number=1), finance)
    assert "draft agreement" in exc.message


def test_duplicate_bank_reference_is_refused_until_the_first_is_reversed(first, finance):
    payment = pay(first, finance, amount="1000.00", reference="TRF-9")
    exc = refused("duplicate_reference", first, finance, amount="1000.00", reference=" trf-9 ")
    assert exc.field == "bank_reference"
    payment_reverse(actor=finance, payment=payment, reason="Wrong account")
    assert pay(first, finance, amount="1000.00", reference="TRF-9").pk != payment.pk


def test_more_than_the_tranche_is_refused_with_its_reasons(first, finance):
    exc = refused("exceeds_tranche", first, finance, amount="120000.01")
    assert exc.field == "amount"
    assert "may pay at most €120,000.00" in exc.message and "Pre-financing, payable on signature." in exc.message


def test_balance_tranche_waits_for_the_final_report(grant, finance):
    exc = refused("exceeds_tranche", grant.tranches.get(number=2), finance, amount="1.00")
    assert "Waits for the approved final report." in exc.message


def test_more_than_the_grant_commitment_is_refused_by_the_ledger(first, grant, finance):
    ledger.commitment_release(actor=None, grant=grant, amount="40000.00")  # 110,000 left committed
    exc = refused("exceeds_commitment", first, finance)
    assert "would exceed its commitment" in exc.message and "at most €110,000.00" in exc.message
    assert pay(first, finance, amount="110000.00").amount == D("110000.00")


def test_suspended_grant_pays_nothing(first, grant, finance):
    grant.status = AgreementStatus.SUSPENDED
    grant.save(update_fields=["status"])
    exc = refused("exceeds_tranche", first, finance, amount="1.00")
    assert "Nothing is payable while the agreement is suspended." in exc.message


@pytest.mark.parametrize(
    ("local", "code", "field"),
    [
        ({"local_amount": "1000.00", "local_currency": "EUR"}, "local_currency", "local_currency"),
        ({"local_amount": "1000.00", "local_currency": "NP"}, "local_currency", "local_currency"),
        ({"local_amount": "1000.00"}, "local_currency", "local_currency"),
        ({"local_currency": "NPR"}, "local_incomplete", "local_amount"),
        ({"local_currency": "NPR", "local_rate": "abc"}, "invalid_rate", "local_rate"),
        ({"local_currency": "NPR", "local_rate": "0"}, "invalid_rate", "local_rate"),
        ({"local_currency": "NPR", "local_rate": "-140"}, "invalid_rate", "local_rate"),
        ({"local_currency": "NPR", "local_amount": "-5"}, "invalid_amount", "local_amount"),
    ],
)
def test_invalid_local_side_is_refused(first, finance, local, code, field):
    assert refused(code, first, finance, **local).field == field


@pytest.mark.parametrize(
    ("amount", "code"), [("0", "invalid_amount"), ("-1", "invalid_amount"), ("10.001", "invalid_amount"), ("x", "invalid_amount")]
)
def test_invalid_amounts_are_refused(first, finance, amount, code):
    assert refused(code, first, finance, amount=amount).field == "amount"


def test_missing_reference_is_refused(first, finance):
    assert refused("reference_required", first, finance, reference="  ").field == "bank_reference"


def test_local_amount_is_derived_from_the_rate(first, finance):
    payment = pay(first, finance, local_currency="npr", local_rate="143.255")
    assert (payment.local_currency, payment.local_rate, payment.local_amount) == ("NPR", D("143.255000"), D("17190600.00"))


def test_rate_is_derived_from_the_local_amount(first, finance):
    payment = pay(first, finance, amount="30000.00", local_currency="MAD", local_amount="327500.00")
    assert payment.local_rate == D("10.916667")  # 327,500 / 30,000, six places
    assert payment.local_amount == D("327500.00")


def test_reversal_restores_balances_and_lets_the_tranche_be_paid_again(first, grant, finance):
    before = ledger.balances(grant=grant)
    payment = pay(first, finance)
    reversed_payment = payment_reverse(actor=finance, payment=payment, reason="Paid to the wrong account")

    assert ledger.balances(grant=grant) == before
    assert reversed_payment.is_reversed and reversed_payment.reversal_reason == "Paid to the wrong account"
    assert reversed_payment.reversal_entry.reverses_id == payment.ledger_entry_id
    assert schedule_status(grant)[0].payable == D("120000.00")
    event = AuditEvent.objects.get(verb="payment.reverse")
    assert event.amount == D("-120000.00") and event.data["reason"] == "Paid to the wrong account"
    pay(first, finance, reference="TRF-002")
    assert ledger.balances(grant=grant).disbursed == D("120000.00")


def test_reversal_twice_is_refused(first, finance):
    payment = pay(first, finance)
    payment_reverse(actor=finance, payment=payment, reason="Duplicate")
    with pytest.raises(PaymentError) as exc:
        payment_reverse(actor=finance, payment=Payment.objects.get(pk=payment.pk), reason="Again")
    assert exc.value.code == "already_reversed"
    # A stale copy of the payment is caught too: the service re-reads it under the lock.
    with pytest.raises(PaymentError):
        payment_reverse(actor=finance, payment=payment, reason="Again")
    assert LedgerEntry.objects.filter(reverses__isnull=False).count() == 1


def test_reversal_needs_a_reason(first, finance):
    payment = pay(first, finance)
    with pytest.raises(PaymentError) as exc:
        payment_reverse(actor=finance, payment=payment, reason="  ")
    assert exc.value.field == "reason" and not Payment.objects.get(pk=payment.pk).is_reversed


def test_position_at_a_payment_ignores_later_rows(first, grant, finance):
    early = pay(first, finance, amount="20000.00", reference="A")
    pay(first, finance, amount="30000.00", reference="B")
    payment_reverse(actor=finance, payment=early, reason="Wrong")
    position = position_at(early)
    assert (position.committed, position.paid, position.remaining) == (D("150000.00"), D("20000.00"), D("130000.00"))


def test_envelope_command_agrees_with_the_ledger_rows_after_payments_and_reversals(call, programme, finance):
    grants = [signed_grant(call=call, amount=amount) for amount in ("150000.00", "90000.00")]
    payments = [
        pay(grants[0].tranches.get(number=1), finance, amount="50000.00", reference="R1"),
        pay(grants[0].tranches.get(number=1), finance, amount="70000.00", reference="R2"),
        pay(grants[1].tranches.get(number=1), finance, amount="72000.00", reference="R3"),
    ]
    payment_reverse(actor=finance, payment=payments[1], reason="Returned by the bank")

    out = io.StringIO()
    call_command("envelope", "--json", "--programme", programme.code, stdout=out)
    data = json.loads(out.getvalue())

    rows = LedgerEntry.objects.filter(envelope__programme=programme)

    def total(kind):
        return f"{rows.filter(kind=kind).aggregate(s=Sum('amount'))['s']:.2f}"

    assert data["allocated"] == total(LedgerKind.ALLOCATION) == "240000.00"
    assert data["committed"] == total(LedgerKind.COMMITMENT) == "240000.00"
    assert data["disbursed"] == total(LedgerKind.DISBURSEMENT) == "122000.00"
    standing = Payment.objects.filter(reversal_entry__isnull=True).aggregate(s=Sum("amount"))["s"]
    assert f"{standing:.2f}" == data["disbursed"]
    assert data["available"] == f"{D(data['envelope']) - D(data['allocated']):.2f}"
