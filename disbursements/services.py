"""Payments to grantees and the expenditure that justifies them.

A payment is recorded against a tranche. In one transaction the service locks the grant row (so two payments to
one grant are checked one after the other), recomputes what the tranche may pay (disbursements.schedule), then
moves the money through grants.ledger, which locks the envelope and checks the grant's commitment. Lock order is
always grant, then envelope. A wrong payment is reversed by a ledger entry of the opposite sign. The sub-domains
built on payments act in the same transaction through disbursements.payment_hooks: recording a payment marks the
tranche's approved payment request paid; reversing one first reverses what was offset against it.
"""
from datetime import date
from decimal import InvalidOperation

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.selectors import members_of
from audit.services import audit_record
from core.errors import DomainError
from core.formats import money_text
from core.money import EUR, ZERO, MoneyValueError, exact_cents, round_money, to_decimal
from grants import ledger
from grants.models import AgreementStatus, Grant
from notifications.services import notify

from .fx import RATE_PLACES
from .models import ApprovedExpenditure, Payment, Tranche, TrancheKind
from .payment_hooks import run_payment_recorded_hooks, run_payment_reversal_hooks
from .schedule import schedule_status


class PaymentError(DomainError):
    """A payment or reversal was refused; nothing was written."""



def _money(value, field):
    try:
        amount = exact_cents(value)
    except MoneyValueError as exc:
        raise PaymentError(_("Enter an amount in euros with at most two decimals."), code="invalid_amount", field=field) from exc
    if amount <= 0:
        raise PaymentError(_("The amount must be greater than zero."), code="invalid_amount", field=field)
    return amount


def _local(amount, local_amount, local_currency, local_rate):
    """The local-currency side of a payment: none, or all three of amount, currency and rate (one may be derived)."""
    local_currency = (local_currency or "").strip().upper()
    if local_amount in (None, "") and local_rate in (None, ""):
        if local_currency:
            raise PaymentError(_("Give the amount received or the rate for %(cur)s.") % {"cur": local_currency}, code="local_incomplete", field="local_amount")
        return None, "", None
    if not local_currency or local_currency == EUR or len(local_currency) != 3:
        raise PaymentError(_("Give the three-letter code of the local currency (not EUR)."), code="local_currency", field="local_currency")
    try:
        local_amount = _money(local_amount, "local_amount") if local_amount not in (None, "") else None
        local_rate = to_decimal(local_rate) if local_rate not in (None, "") else None
        if local_rate is not None:
            local_rate = local_rate.quantize(RATE_PLACES)
    except (MoneyValueError, InvalidOperation) as exc:
        raise PaymentError(_("The rate must be a number."), code="invalid_rate", field="local_rate") from exc
    if local_rate is not None and local_rate <= 0:
        raise PaymentError(_("The rate must be greater than zero."), code="invalid_rate", field="local_rate")
    if local_amount is None:
        local_amount = round_money(amount * local_rate)
    if local_rate is None:
        local_rate = (local_amount / amount).quantize(RATE_PLACES)
    return local_amount, local_currency, local_rate


def payment_notify(payment: Payment, *, offset=ZERO, order_reference="") -> None:
    """Tell the grantee's members about `payment`; when `offset` of it was withheld against a recovery order, what
    was paid, what was offset against which order and what was received."""
    grant = payment.grant
    params = {"grant": grant.reference, "amount": payment.amount, "value_date": payment.value_date}
    if offset:
        params.update(outcome="offset", offset=offset, order=order_reference, received=payment.amount - offset)
    notify([m.user for m in members_of(grant.organisation)], "payment_made",
           url=reverse("my_grant", args=[grant.reference]), params=params)


def payment_record(*, actor, tranche: Tranche, amount, value_date: date, bank_reference: str,
                   local_amount=None, local_currency="", local_rate=None, notify_grantee=True) -> Payment:
    """Record a payment of `amount` EUR on `tranche`. Refused, with nothing written, beyond what the tranche may
    pay now (its plan, the 70% rule, the reports it waits for), beyond the grant's commitment, or when the bank
    reference was already used on another payment that stands. The grantee is notified unless `notify_grantee` is
    false (a payment net of an offset is notified with its offset: payment_notify)."""
    amount = _money(amount, "amount")
    bank_reference = (bank_reference or "").strip()
    if not bank_reference:
        raise PaymentError(_("Give the bank's reference of the transfer."), code="reference_required", field="bank_reference")
    if value_date is None:
        raise PaymentError(_("Give the value date of the transfer."), code="date_required", field="value_date")
    if value_date > timezone.localdate():
        raise PaymentError(_("The value date cannot be in the future: record a payment once it is made."), code="future_date", field="value_date")
    local_amount, local_currency, local_rate = _local(amount, local_amount, local_currency, local_rate)
    with transaction.atomic():
        grant = Grant.objects.select_for_update().select_related("call__programme").get(pk=tranche.grant_id)
        if value_date < (grant.signed_on or value_date):
            raise PaymentError(_("The value date cannot be before the agreement was signed (%(d)s).") % {"d": grant.signed_on}, code="before_signature", field="value_date")
        duplicate = _("A payment with the bank reference %(ref)s is already recorded.")
        if Payment.objects.filter(bank_reference__iexact=bank_reference, reversal_entry__isnull=True).exists():
            raise PaymentError(duplicate % {"ref": bank_reference}, code="duplicate_reference", field="bank_reference")
        state = next((s for s in schedule_status(grant) if s.tranche.pk == tranche.pk), None)
        if state is None:
            raise PaymentError(_("This tranche is not in the grant's schedule any more."), code="no_tranche")
        if state.tranche.kind == TrancheKind.BALANCE:
            from .verification.services import balance_gate  # verification imports this module
            balance_gate(grant)
        if amount > state.payable:
            reasons = " ".join(str(r) for r in state.reasons)
            raise PaymentError(
                _("Tranche %(n)s of %(grant)s may pay at most %(payable)s now. %(reasons)s")
                % {"n": state.tranche.number, "grant": grant.reference, "payable": money_text(state.payable), "reasons": reasons},
                code="exceeds_tranche", field="amount",
            )
        entry = ledger.disbursement_add(
            actor=actor, grant=grant, amount=amount, memo=f"Tranche {state.tranche.number} {bank_reference}"[:255]
        )
        try:
            with transaction.atomic():
                payment = Payment.objects.create(
                    grant=grant, tranche=state.tranche, amount=amount, value_date=value_date, bank_reference=bank_reference,
                    local_amount=local_amount, local_currency=local_currency, local_rate=local_rate, ledger_entry=entry,
                    recorded_by=actor,
                )
        except IntegrityError as exc:  # the same reference recorded meanwhile on another grant
            raise PaymentError(duplicate % {"ref": bank_reference}, code="duplicate_reference", field="bank_reference") from exc
        audit_record(
            actor=actor, verb="payment.record", target=grant, amount=amount, currency=EUR,
            data={"payment": payment.pk, "tranche": state.tranche.number, "value_date": value_date.isoformat(),
                  "bank_reference": bank_reference, "local_amount": str(local_amount) if local_amount else None,
                  "local_currency": local_currency, "local_rate": str(local_rate) if local_rate else None},
        )
        if grant.status == AgreementStatus.SIGNED:
            grant.status = AgreementStatus.IN_IMPLEMENTATION
            grant.status_changed_at = timezone.now()
            grant.save(update_fields=["status", "status_changed_at"])
            audit_record(actor=actor, verb="grant.implementation", target=grant, data={"reason": "first payment"})
        run_payment_recorded_hooks(actor=actor, payment=payment)
        if notify_grantee:
            payment_notify(payment)
    return payment


def payment_reverse(*, actor, payment: Payment, reason: str) -> Payment:
    """Reverse a wrong payment: a ledger entry of the opposite sign, the payment marked with the reason. What was
    offset against it is reversed first (the grantee never received the payment, so nothing was withheld: the
    recovery orders claim it again). The tranche may then be paid again."""
    reason = (reason or "").strip()
    if not reason:
        raise PaymentError(_("Give the reason for the reversal."), code="reason_required", field="reason")
    with transaction.atomic():
        Grant.objects.select_for_update().get(pk=payment.grant_id)
        payment = Payment.objects.select_for_update().select_related("ledger_entry", "grant").get(pk=payment.pk)
        if payment.reversal_entry_id:
            raise PaymentError(_("This payment has already been reversed."), code="already_reversed")
        run_payment_reversal_hooks(actor=actor, payment=payment, reason=reason)
        reversal = ledger.disbursement_reverse(actor=actor, entry=payment.ledger_entry, memo=reason)
        payment.reversal_entry = reversal
        payment.reversal_reason = reason
        payment.save(update_fields=["reversal_entry", "reversal_reason"])
        audit_record(
            actor=actor, verb="payment.reverse", target=payment.grant, amount=-payment.amount, currency=EUR,
            data={"payment": payment.pk, "bank_reference": payment.bank_reference, "reason": reason},
        )
    return payment


def expenditure_accept(*, actor, grant: Grant, period_number: int, is_final: bool, amount, period_end: date,
                       source: str) -> ApprovedExpenditure:
    """Accept the expenditure of an approved report (called by reports.services in its transaction). Further
    tranches and the balance read it; so does the outstanding-advances view."""
    try:
        amount = exact_cents(amount)
    except MoneyValueError as exc:
        raise PaymentError(str(exc), code="invalid_amount") from exc
    if amount < 0:
        raise PaymentError(_("Expenditure cannot be negative."), code="invalid_amount")
    with transaction.atomic():
        grant = Grant.objects.select_for_update().get(pk=grant.pk)
        try:
            with transaction.atomic():
                row = ApprovedExpenditure.objects.create(
                    grant=grant, period_number=period_number, is_final=is_final, amount=amount, period_end=period_end,
                    source=source[:80], approved_at=timezone.now(), approved_by=actor,
                )
        except IntegrityError as exc:
            raise PaymentError(_("Expenditure for this reporting period is already approved."), code="already_approved") from exc
        ledger.figures_changed(programme_id=grant.call.programme_id)  # the advances and their ageing read it
        audit_record(
            actor=actor, verb="expenditure.accept", target=grant, amount=amount, currency=EUR,
            data={"period": period_number, "final": is_final, "source": source},
        )
    return row
