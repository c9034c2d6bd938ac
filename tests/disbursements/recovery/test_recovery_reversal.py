"""Reversing what was recovered, computed by hand on a 36-month EUR 300,000 grant (start 1 January 2025; 100,000 on
signature, 100,000 after the report of period 1): a refund recorded by mistake is reversed by finance with a reason
(a positive recovery row that reverses it; the order claims the amount again); an offset only with its payment; on
a terminated grant the money first goes back from the call to the commitment. A payment net of an offset tells the
grantee what was offset and what it received."""
import io
from datetime import date
from decimal import Decimal as D

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from accounts import roles as R
from audit.models import AuditEvent
from disbursements.agreements import agreement_set_status
from disbursements.models import Payment, RecoveryOrder, RecoverySettlement, RecoveryStatus
from disbursements.recovery.services import (
    RecoveryError, outstanding_of, recovery_offset_record, recovery_order_cancel, recovery_order_for_unspent_advance,
    recovery_order_issue, recovery_refund_record, recovery_refund_reverse,
)
from disbursements.services import PaymentError, expenditure_accept, payment_record, payment_reverse
from grants import ledger
from grants.models import AgreementStatus, LedgerEntry, LedgerKind
from grants.selectors import envelope_position
from notifications.models import Notification
from tests.concurrency import race_results
from tests.conftest import login, make_user
from tests.grant_helpers import signed_grant

from .helpers import DUE, pay

pytestmark = pytest.mark.django_db

def refund(order, amount, reference, actor):
    return recovery_refund_record(actor=actor, order=order, amount=amount, value_date=timezone.localdate(),
                                  bank_reference=reference)


def counts():
    return (LedgerEntry.objects.count(), AuditEvent.objects.count(),
            RecoverySettlement.objects.filter(reversal_entry__isnull=False).count(),
            list(RecoveryOrder.objects.values_list("status", flat=True)))


def refused(call_, code, field=None):
    before = counts()
    with pytest.raises((RecoveryError, PaymentError, ledger.LedgerError)) as exc:
        call_()
    assert exc.value.code == code
    if field:
        assert exc.value.field == field
    assert counts() == before
    return exc.value


def test_a_refund_recorded_by_mistake_is_reversed_and_the_order_claims_it_again(grant, finance, officer):
    pay(grant, 1, "100000.00", "TRF-1", date(2025, 1, 15), finance)
    order = recovery_order_issue(actor=finance, grant=grant, amount="2500.00", due_date=DUE, reason="Bank charges twice")
    first = refund(order, "1000.00", "IN-1", finance)
    refund(order, "1500.00", "IN-2", finance)
    order.refresh_from_db()
    assert order.status == RecoveryStatus.SETTLED

    refused(lambda: recovery_refund_reverse(actor=finance, settlement=first, reason="  "), "reason_required", "reason")
    refused(lambda: recovery_refund_reverse(actor=officer, settlement=first, reason="Wrong order"), "forbidden")

    recovery_refund_reverse(actor=finance, settlement=first, reason="Recorded on the wrong order")

    first.refresh_from_db()
    order.refresh_from_db()
    assert first.is_reversed and first.reversal_reason == "Recorded on the wrong order"
    assert order.status == RecoveryStatus.PARTLY_SETTLED and outstanding_of(order) == D("1000.00")
    # 100,000.00 paid, 1,500.00 recovered (2,500.00 less the 1,000.00 reversed): 98,500.00 net.
    totals = ledger.balances(grant=grant)
    assert (totals.paid, totals.recovered, totals.disbursed, totals.committed) == (
        D("100000.00"), D("1500.00"), D("98500.00"), D("300000.00"))
    row = first.reversal_entry
    assert row.kind == LedgerKind.RECOVERY and row.amount.amount == D("1000.00") and row.reverses_id == first.ledger_entry_id
    event = AuditEvent.objects.get(verb="recovery.reverse_refund")
    assert (event.amount, event.amount_before, event.amount_after) == (D("1000.00"), D("0.00"), D("1000.00"))
    assert event.data["reason"] == "Recorded on the wrong order" and event.data["status"] == "partly_settled"
    assert AuditEvent.objects.get(verb="ledger.reverse_recovery").amount == D("1000.00")

    refused(lambda: recovery_refund_reverse(actor=finance, settlement=first, reason="Again"), "already_reversed")
    refused(lambda: ledger.recovery_reverse(actor=finance, entry=first.ledger_entry, memo="Again"), "already_reversed")

    # The second reversed too: nothing recovered stands, the order is open for its whole amount again.
    second = RecoverySettlement.objects.get(bank_reference="IN-2")
    recovery_refund_reverse(actor=finance, settlement=second, reason="Never received")
    order.refresh_from_db()
    assert order.status == RecoveryStatus.OPEN and outstanding_of(order) == D("2500.00")
    assert ledger.balances(grant=grant).disbursed == D("100000.00")
    # The bank reference of a reversed refund may be used again.
    refund(order, "1000.00", "in-1", finance)
    order.refresh_from_db()
    assert order.status == RecoveryStatus.PARTLY_SETTLED and outstanding_of(order) == D("1500.00")


def test_the_ledger_only_reverses_recoveries_and_the_database_backs_it(grant, finance):
    payment = pay(grant, 1, "100000.00", "TRF-1", date(2025, 1, 15), finance)
    refused(lambda: ledger.recovery_reverse(actor=finance, entry=payment.ledger_entry, memo="x"), "not_a_recovery")
    refused(lambda: ledger.recovery_reverse(actor=finance, entry=payment.ledger_entry, memo=" "), "reason_required")
    with pytest.raises(IntegrityError), transaction.atomic():  # a positive recovery row must reverse one
        LedgerEntry.objects.create(envelope=payment.ledger_entry.envelope, kind=LedgerKind.RECOVERY, call=grant.call,
                                   grant=grant, amount=D("10.00"))


@pytest.fixture
def terminated(grant, finance, officer):
    """Both tranches paid (200,000.00); 91,234.56 + 45,678.90 accepted; terminated: the 100,000.00 never paid went
    back to the call, and an order claims the unspent 63,086.54."""
    pay(grant, 1, "100000.00", "TRF-2025-001", date(2025, 1, 15), finance)
    expenditure_accept(actor=officer, grant=grant, period_number=1, is_final=False, amount="91234.56",
                       period_end=date(2025, 12, 31), source="Report 1")
    pay(grant, 2, "100000.00", "TRF-2026-014", date(2026, 2, 10), finance)
    agreement_set_status(actor=officer, grant=grant, status=AgreementStatus.TERMINATED, reason="Grantee dissolved")
    expenditure_accept(actor=officer, grant=grant, period_number=2, is_final=True, amount="45678.90",
                       period_end=date(2026, 9, 30), source="Report 2")
    grant.refresh_from_db()
    return grant


def test_on_a_terminated_grant_the_reversal_takes_the_money_back_from_the_call(terminated, finance):
    grant = terminated
    order = recovery_order_for_unspent_advance(actor=finance, grant=grant, due_date=DUE)
    assert order.amount == D("63086.54")
    call_before = ledger.balances(call=grant.call)
    settlement = refund(order, "40000.00", "IN-T-1", finance)
    # The refund left the ended grant's commitment: 200,000.00 - 40,000.00, free again in the call.
    assert ledger.balances(grant=grant).committed == D("160000.00")
    assert ledger.balances(call=grant.call).committed == call_before.committed - D("40000.00")

    recovery_refund_reverse(actor=finance, settlement=settlement, reason="The transfer was returned by the bank")

    totals = ledger.balances(grant=grant)
    assert (totals.paid, totals.recovered, totals.disbursed, totals.committed) == (
        D("200000.00"), D("0.00"), D("200000.00"), D("200000.00"))
    assert ledger.balances(call=grant.call) == call_before  # exactly as before the refund
    order.refresh_from_db()
    assert order.status == RecoveryStatus.OPEN and outstanding_of(order) == D("63086.54")
    event = AuditEvent.objects.get(verb="recovery.reverse_refund")
    assert event.data["recommitted"] == "40000.00"
    assert AuditEvent.objects.filter(verb="ledger.commit", target_id=str(grant.pk)).exists()
    # The invariants hold and the cached figures equal the rows.
    envelope = ledger.balances(envelope=grant.call.programme.envelope)
    assert D("0") <= totals.disbursed <= totals.committed
    assert envelope.committed <= envelope.allocated <= grant.call.programme.envelope.amount.amount
    envelope_position(grant.call.programme)
    out = io.StringIO()
    call_command("check_figures", stdout=out)
    assert "cached figure set(s) match" in out.getvalue()


def test_on_a_terminated_grant_the_reversal_is_refused_when_the_call_no_longer_has_the_money(terminated, finance):
    grant = terminated
    order = recovery_order_for_unspent_advance(actor=finance, grant=grant, due_date=DUE)
    settlement = refund(order, "40000.00", "IN-T-2", finance)
    free = ledger.balances(call=grant.call)
    ledger.allocation_release(actor=finance, call=grant.call, amount=free.allocated - free.committed, memo="Re-plan")
    refused(lambda: recovery_refund_reverse(actor=finance, settlement=settlement, reason="Returned"),
            "exceeds_call_allocation")
    settlement.refresh_from_db()
    assert not settlement.is_reversed and ledger.balances(grant=grant).recovered == D("40000.00")


@pytest.fixture
def offset(grant, finance, officer):
    """Tranche 1 paid; period 1 accepted; tranche 2 paid 100,000.00 net of 4,321.09 offset on an order."""
    pay(grant, 1, "100000.00", "TRF-2025-001", date(2025, 1, 15), finance)
    expenditure_accept(actor=officer, grant=grant, period_number=1, is_final=False, amount="95000.00",
                       period_end=date(2025, 12, 31), source="Report 1")
    order = recovery_order_issue(actor=finance, grant=grant, amount="4321.09", due_date=DUE, reason="Hotel invoices")
    return recovery_offset_record(actor=finance, order=order, tranche=grant.tranches.get(number=2), amount="100000.00",
                                  offset="4321.09", value_date=date(2026, 2, 10), bank_reference="TRF-2026-014")


def test_a_payment_net_of_an_offset_tells_the_grantee_what_it_received(grant, finance, officer, cso_user,
                                                                        django_capture_on_commit_callbacks):
    pay(grant, 1, "100000.00", "TRF-2025-001", date(2025, 1, 15), finance)
    expenditure_accept(actor=officer, grant=grant, period_number=1, is_final=False, amount="95000.00",
                       period_end=date(2025, 12, 31), source="Report 1")
    order = recovery_order_issue(actor=finance, grant=grant, amount="4321.09", due_date=DUE, reason="Hotel invoices")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        recovery_offset_record(actor=finance, order=order, tranche=grant.tranches.get(number=2), amount="100000.00",
                               offset="4321.09", value_date=date(2026, 2, 10), bank_reference="TRF-2026-014")
    [note] = Notification.objects.filter(recipient=cso_user, kind="payment_made", params__value_date="2026-02-10")
    assert note.params == {"grant": grant.reference, "amount": "100000.00", "value_date": "2026-02-10",
                           "outcome": "offset", "offset": "4321.09", "order": order.reference, "received": "95678.91"}
    [message] = [m for m in mail.outbox if cso_user.email in m.to]
    assert message.subject == (
        f"A payment of €100,000.00 was made on grant {grant.reference}, value date 10 February 2026: €4,321.09 of it "
        f"was offset against recovery order {order.reference}, so you received €95,678.91.")


def test_the_grantee_pages_say_what_was_offset_and_what_was_received(client, offset, grant, cso_user, finance):
    login(client, cso_user)
    page = client.get(reverse("my_grant", args=[grant.reference])).content.decode()
    assert "4,321.09" in page and offset.order.reference in page and "95,678.91" in page
    login(client, finance)
    page = client.get(reverse("grant_detail", args=[grant.reference])).content.decode()
    assert "95,678.91" in page


def test_the_payment_order_tells_the_bank_the_amount_to_transfer(client, offset, finance):
    from tests.disbursements.test_payment_pages import pdf_text

    login(client, finance)
    text = " ".join(pdf_text(client.get(reverse("payment_order_pdf", args=[offset.payment_id]))).split())
    assert "€100,000.00" in text and f"Offset against recovery order {offset.order.reference}" in text
    assert "€4,321.09" in text and "Amount to transfer" in text and "€95,678.91" in text


def test_reversing_a_payment_reverses_what_was_offset_against_it(offset, grant, finance):
    order, payment = offset.order, offset.payment
    refused(lambda: recovery_refund_reverse(actor=finance, settlement=offset, reason="Wrong"), "offset_with_payment")

    payment_reverse(actor=finance, payment=payment, reason="Wrong account")

    offset.refresh_from_db()
    order.refresh_from_db()
    assert offset.is_reversed and offset.reversal_reason == "Payment TRF-2026-014 reversed: Wrong account"
    assert order.status == RecoveryStatus.OPEN and outstanding_of(order) == D("4321.09")
    # Only tranche 1 stands: 100,000.00 paid, nothing recovered.
    totals = ledger.balances(grant=grant)
    assert (totals.paid, totals.recovered, totals.disbursed) == (D("100000.00"), D("0.00"), D("100000.00"))
    verbs = list(AuditEvent.objects.filter(verb__in=["recovery.reverse_offset", "ledger.reverse_recovery",
                                                     "ledger.reverse_disbursement", "payment.reverse"])
                 .order_by("pk").values_list("verb", flat=True))
    assert verbs == ["ledger.reverse_recovery", "recovery.reverse_offset", "ledger.reverse_disbursement", "payment.reverse"]


def test_a_payment_whose_offset_settled_a_cancelled_order_is_not_reversed(grant, finance, officer):
    pay(grant, 1, "100000.00", "TRF-2025-001", date(2025, 1, 15), finance)
    expenditure_accept(actor=officer, grant=grant, period_number=1, is_final=False, amount="95000.00",
                       period_end=date(2025, 12, 31), source="Report 1")
    order = recovery_order_issue(actor=finance, grant=grant, amount="5000.00", due_date=DUE, reason="Overpaid")
    settlement = recovery_offset_record(actor=finance, order=order, tranche=grant.tranches.get(number=2),
                                        amount="100000.00", offset="1000.00", value_date=date(2026, 2, 10),
                                        bank_reference="TRF-2026-014")
    recovery_order_cancel(actor=finance, order=order, reason="Written off")
    exc = refused(lambda: payment_reverse(actor=finance, payment=settlement.payment, reason="Wrong account"),
                  "order_cancelled")
    assert order.reference in exc.message
    assert not Payment.objects.get(pk=settlement.payment_id).is_reversed


def test_the_reverse_form_on_the_order_page(client, grant, finance, officer, cso_user, other_cso_user):
    pay(grant, 1, "100000.00", "TRF-1", date(2025, 1, 15), finance)
    order = recovery_order_issue(actor=finance, grant=grant, amount="2500.00", due_date=DUE, reason="Bank charges twice")
    settlement = refund(order, "2500.00", "IN-P-1", finance)
    url = reverse("recovery_detail", args=[order.pk])
    data = {"action": "reverse", "settlement": settlement.pk, "reason": "Not our transfer", "confirm": "on"}
    for user in (officer, cso_user, other_cso_user):  # a wrong role may neither see nor post the form
        login(client, user)
        assert client.post(url, data).status_code == 403
    login(client, finance)
    page = client.get(url)
    assert page.status_code == 200 and "Reverse a refund recorded by mistake" in page.content.decode()
    unconfirmed = client.post(url, {**data, "confirm": ""})
    assert unconfirmed.status_code == 400 and unconfirmed.context["forms"]["reverse"].errors["confirm"]
    no_reason = client.post(url, {**data, "reason": " "})
    assert no_reason.status_code == 400 and no_reason.context["forms"]["reverse"].errors["reason"]
    assert client.post(url, {**data, "settlement": settlement.pk + 999}).status_code == 400
    assert client.post(reverse("recovery_detail", args=[order.pk + 1000]), data).status_code == 404
    settlement.refresh_from_db()
    assert not settlement.is_reversed

    response = client.post(url, data)
    assert response.status_code == 302
    settlement.refresh_from_db()
    assert settlement.is_reversed and settlement.reversal_reason == "Not our transfer"
    page = client.get(url).content.decode()
    assert "<s>" in page and "Not our transfer" in page and "Reverse a refund recorded by mistake" not in page
    # The grantee reads it struck, with the reason; another organisation gets 404.
    login(client, cso_user)
    page = client.get(reverse("my_grant", args=[grant.reference])).content.decode()
    assert "<s>" in page and "Not our transfer" in page
    login(client, other_cso_user)
    assert client.get(reverse("my_grant", args=[grant.reference])).status_code == 404


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_reversals_of_one_refund_at_once_one_wins():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite has no row locks and serialises whole-database writes")
    finance = make_user(R.FINANCE_OFFICER)
    grant = signed_grant(amount="300000.00", start=date(2025, 1, 1), end=date(2027, 12, 31), signed_on=date(2025, 1, 1))
    payment_record(actor=finance, tranche=grant.tranches.get(number=1), amount="100000.00",
                   value_date=date(2025, 1, 15), bank_reference="P-R")
    order = recovery_order_issue(actor=finance, grant=grant, amount="9000.00", due_date=DUE, reason="Overpaid")
    settlement = refund(order, "9000.00", "IN-R", finance)

    results = race_results([lambda n=n: recovery_refund_reverse(actor=finance, settlement=settlement, reason=f"Twice {n}")
                            for n in range(2)])

    assert sorted(r[0] for r in results) == ["ok", "refused"]
    assert [r[1].code for r in results if r[0] == "refused"] == ["already_reversed"]
    assert LedgerEntry.objects.filter(grant=grant, kind=LedgerKind.RECOVERY, amount__gt=0).count() == 1
    totals = ledger.balances(grant=grant)
    assert (totals.recovered, totals.disbursed) == (D("0.00"), D("100000.00"))
    order.refresh_from_db()
    assert order.status == RecoveryStatus.OPEN and outstanding_of(order) == D("9000.00")
