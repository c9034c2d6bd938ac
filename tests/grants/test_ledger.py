from decimal import Decimal

import pytest

from audit.models import AuditEvent
from grants import ledger
from grants.ledger import LedgerError, balances
from grants.models import CallStatus, LedgerEntry

from ..factories import CallFactory, GrantFactory

D = Decimal


def test_allocate_commit_disburse_and_balances(officer, finance, envelope, call):
    ledger.allocation_add(actor=officer, call=call, amount="300000.00")
    grant = GrantFactory(call=call)
    ledger.commitment_add(actor=officer, grant=grant, amount="120000.00")
    ledger.disbursement_add(actor=finance, grant=grant, amount="96000.00")

    assert balances(envelope=envelope) == ledger.Balances(D("300000.00"), D("120000.00"), D("96000.00"), paid=D("96000.00"))
    assert balances(call=call).allocated == D("300000.00")
    assert balances(grant=grant).committed == D("120000.00")
    assert balances(grant=grant).disbursed == D("96000.00")


def test_each_operation_writes_one_audit_event_with_before_and_after(officer, call):
    ledger.allocation_add(actor=officer, call=call, amount="1000.00")
    ledger.allocation_add(actor=officer, call=call, amount="500.00")
    event = AuditEvent.objects.filter(verb="ledger.allocate").latest("id")
    assert (event.amount, event.amount_before, event.amount_after) == (D("500.00"), D("1000.00"), D("1500.00"))
    assert event.actor == officer
    assert event.currency == "EUR"
    assert AuditEvent.objects.filter(verb="ledger.allocate").count() == 2


def _refused(code, fn, **kwargs):
    entries, events = LedgerEntry.objects.count(), AuditEvent.objects.count()
    with pytest.raises(LedgerError) as exc:
        fn(**kwargs)
    assert exc.value.code == code
    assert str(exc.value)  # a message a person can read
    assert LedgerEntry.objects.count() == entries, "a refused operation writes nothing"
    assert AuditEvent.objects.count() == events
    return exc.value


def test_allocation_cannot_exceed_the_envelope(officer, envelope, call, programme):
    other = CallFactory(programme=programme)
    ledger.allocation_add(actor=officer, call=call, amount="600000.00")
    error = _refused("exceeds_envelope", ledger.allocation_add, actor=officer, call=other, amount="400000.01")
    assert "400,000.00" in str(error)  # tells how much is left
    ledger.allocation_add(actor=officer, call=other, amount="400000.00")  # exactly the rest is fine
    assert balances(envelope=envelope).allocated == envelope.amount.amount


def test_commitment_cannot_exceed_the_call_allocation(officer, call):
    ledger.allocation_add(actor=officer, call=call, amount="100000.00")
    first, second = GrantFactory(call=call), GrantFactory(call=call)
    ledger.commitment_add(actor=officer, grant=first, amount="70000.00")
    error = _refused("exceeds_call_allocation", ledger.commitment_add, actor=officer, grant=second, amount="30000.01")
    assert "30,000.00" in str(error)


def test_disbursement_cannot_exceed_the_commitment(officer, finance, call):
    ledger.allocation_add(actor=officer, call=call, amount="100000.00")
    grant = GrantFactory(call=call)
    ledger.commitment_add(actor=officer, grant=grant, amount="50000.00")
    ledger.disbursement_add(actor=finance, grant=grant, amount="40000.00")
    _refused("exceeds_commitment", ledger.disbursement_add, actor=finance, grant=grant, amount="10000.01")


def test_releases_cannot_go_below_what_depends_on_them(officer, finance, call):
    ledger.allocation_add(actor=officer, call=call, amount="100000.00")
    grant = GrantFactory(call=call)
    ledger.commitment_add(actor=officer, grant=grant, amount="60000.00")
    ledger.disbursement_add(actor=finance, grant=grant, amount="45000.00")
    _refused("exceeds_uncommitted_allocation", ledger.allocation_release, actor=officer, call=call, amount="40000.01")
    _refused("exceeds_undisbursed_commitment", ledger.commitment_release, actor=officer, grant=grant, amount="15000.01")
    ledger.allocation_release(actor=officer, call=call, amount="40000.00")
    ledger.commitment_release(actor=officer, grant=grant, amount="15000.00")
    assert balances(call=call) == ledger.Balances(D("60000.00"), D("45000.00"), D("45000.00"), paid=D("45000.00"))


@pytest.mark.parametrize("amount", ["0", "-5.00", "12.345", "abc", "NaN", 1.5])
def test_invalid_amounts_are_refused(officer, call, amount):
    _refused("invalid_amount", ledger.allocation_add, actor=officer, call=call, amount=amount)


def test_closed_call_gets_no_new_allocation(officer, programme):
    closed = CallFactory(programme=programme, status=CallStatus.CLOSED)
    _refused("call_closed", ledger.allocation_add, actor=officer, call=closed, amount="10.00")


def test_reversal_restores_balances_and_happens_once(officer, finance, call):
    ledger.allocation_add(actor=officer, call=call, amount="100000.00")
    grant = GrantFactory(call=call)
    ledger.commitment_add(actor=officer, grant=grant, amount="50000.00")
    payment = ledger.disbursement_add(actor=finance, grant=grant, amount="40000.00")
    reversal = ledger.disbursement_reverse(actor=finance, entry=payment, memo="Paid to the wrong account")
    assert reversal.reverses == payment
    assert reversal.amount.amount == D("-40000.00")
    assert balances(grant=grant).disbursed == D("0.00")
    assert LedgerEntry.objects.filter(pk=payment.pk).exists(), "the original is kept"
    _refused("already_reversed", ledger.disbursement_reverse, actor=finance, entry=payment, memo="again")
    _refused("not_a_payment", ledger.disbursement_reverse, actor=finance, entry=reversal, memo="reverse the reversal")
    _refused("reason_required", ledger.disbursement_reverse, actor=finance, entry=payment, memo="  ")


def test_recovery_reduces_the_net_disbursed_and_never_goes_below_zero(officer, finance, call):
    ledger.allocation_add(actor=officer, call=call, amount="100000.00")
    grant = GrantFactory(call=call)
    ledger.commitment_add(actor=officer, grant=grant, amount="50000.00")
    payment = ledger.disbursement_add(actor=finance, grant=grant, amount="40000.00")

    entry = ledger.recovery_add(actor=finance, grant=grant, amount="12500.00", memo="refund")

    assert entry.kind == "recovery" and entry.amount.amount == D("-12500.00")
    b = balances(grant=grant)
    assert (b.paid, b.recovered, b.disbursed, b.committed) == (D("40000.00"), D("12500.00"), D("27500.00"), D("50000.00"))
    assert balances(call=call).disbursed == D("27500.00")
    event = AuditEvent.objects.get(verb="ledger.recover")
    assert (event.amount, event.amount_before, event.amount_after) == (D("-12500.00"), D("40000.00"), D("27500.00"))
    exc = _refused("exceeds_net_disbursed", ledger.recovery_add, actor=finance, grant=grant, amount="27500.01")
    assert "27,500.00" in exc.message
    # The payment cannot be reversed: 27,500.00 paid net is less than its 40,000.00.
    _refused("exceeds_net_disbursed", ledger.disbursement_reverse, actor=finance, entry=payment, memo="wrong")
    # What was recovered may be paid again within the commitment, and released from it.
    ledger.disbursement_add(actor=finance, grant=grant, amount="22500.00")
    _refused("exceeds_commitment", ledger.disbursement_add, actor=finance, grant=grant, amount="0.01")
    ledger.recovery_add(actor=finance, grant=grant, amount="50000.00")
    assert balances(grant=grant).disbursed == D("0.00")
    ledger.commitment_release(actor=officer, grant=grant, amount="50000.00")
    assert balances(grant=grant) == ledger.Balances(D("0.00"), D("0.00"), D("0.00"), paid=D("62500.00"), recovered=D("62500.00"))


def test_database_constraints_back_the_service(call, envelope):
    """Even a writer that bypasses the service cannot store a zero amount or a commitment without a grant."""
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(envelope=envelope, kind="allocation", call=call, amount=(D("0"), "EUR"))
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(envelope=envelope, kind="commitment", call=call, amount=(D("5"), "EUR"))
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(envelope=envelope, kind="allocation", call=call, amount=(D("5"), "USD"))
    grant = GrantFactory(call=call)
    with pytest.raises(IntegrityError), transaction.atomic():  # money recovered is always negative
        LedgerEntry.objects.create(envelope=envelope, kind="recovery", call=call, grant=grant, amount=(D("5"), "EUR"))
    with pytest.raises(IntegrityError), transaction.atomic():  # and belongs to a grant
        LedgerEntry.objects.create(envelope=envelope, kind="recovery", call=call, amount=(D("-5"), "EUR"))


def test_only_the_ledger_module_writes_ledger_entries():
    """The ledger service is the single writer: no other project module creates LedgerEntry rows."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    writes = re.compile(r"LedgerEntry\.objects\.(create|bulk_create|get_or_create|update_or_create)|(?<!class )LedgerEntry\(")
    writers = sorted(
        path.relative_to(root).as_posix()
        for top in root.iterdir()
        if top.is_dir() and not top.name.startswith(".") and top.name != "tests"
        for path in top.rglob("*.py")
        if "migrations" not in path.parts and writes.search(path.read_text(encoding="utf-8"))
    )
    assert writers == ["grants/ledger.py"]
