"""Recovery orders: issuing one (entered by finance, proposed from an unspent advance, or from a finding), settling
it by a refund received or by an offset against the next payment, and cancelling what is left.

Rules (each service checks them in one transaction, after locking the grant row and then the order; the ledger then
locks the envelope, so the lock order stays grant, then envelope, as for payments):
- an order is issued on a signed agreement, for at most what the grant was paid net (payments less reversals and
  less what was recovered) less what other orders still claim: never more is claimed than was paid;
- the unspent advance is the net paid less the accepted expenditure (disbursements.ApprovedExpenditure) less what
  the grant's outstanding orders already claim; an order for it is issued at closure or termination only;
- a refund or an offset never exceeds its order's outstanding amount; the ledger refuses any recovery beyond the
  grant's net disbursed (grants.ledger.recovery_add), so net disbursed never falls below zero;
- a refund's bank reference is used once across all refunds (checked here, backed by a unique index);
- an offset is recorded with the payment it reduces, in one transaction: the payment stands for the tranche's full
  amount (disbursements.services.payment_record), the offset is a recovery row, and the grantee receives the
  difference;
- money recovered from a closed or terminated grant also goes back from the grant's commitment to its call's
  allocation (grants.ledger.commitment_release), as closing does with what was never paid;
- a refund recorded by mistake is reversed by finance with a reason (grants.ledger.recovery_reverse): it no longer
  counts, the order claims it again and its status follows; an offset is reversed only with its payment
  (disbursements.services.payment_reverse calls offsets_reverse_with_payment through disbursements.payment_hooks).
  On a closed or terminated grant the money first goes back from the call to the grant's commitment
  (grants.ledger.commitment_add), undoing what the settlement released; nothing is reversed on a cancelled order;
- every change is audited; the grantee's members are notified when an order is issued, and of a payment net of an
  offset with what was offset and what they received.
"""
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import roles as R
from accounts.access import has_role
from accounts.selectors import members_of
from audit.services import audit_record
from core.errors import DomainError
from core.formats import money_text
from core.money import EUR, ZERO, MoneyValueError, exact_cents
from grants import ledger
from grants.models import AgreementStatus, Grant
from notifications.services import notify

from ..models import ApprovedExpenditure, Tranche
from ..services import payment_notify, payment_record
from .models import (
    OUTSTANDING_STATUSES, RECOVERY_TRANSITIONS, RecoveryOrder, RecoveryOrigin, RecoveryStatus, RecoverySettlement,
    SettlementKind,
)

# An order for an unspent advance is issued when the grant ends; money recovered from a grant that has ended goes
# back to its call's allocation.
ENDING_STATUSES = (AgreementStatus.CLOSING, AgreementStatus.CLOSED, AgreementStatus.TERMINATED)
ENDED_STATUSES = (AgreementStatus.CLOSED, AgreementStatus.TERMINATED)


class RecoveryError(DomainError):
    """A recovery operation was refused; nothing was written."""


def _amount(value, field="amount"):
    try:
        amount = exact_cents(value)
    except MoneyValueError as exc:
        raise RecoveryError(_("Enter an amount in euros with at most two decimals."), code="invalid_amount", field=field) from exc
    if amount <= 0:
        raise RecoveryError(_("The amount must be greater than zero."), code="invalid_amount", field=field)
    return amount


def _settled(order_ids) -> dict:
    """{order id: amount settled (reversed settlements left out)}, one grouped query."""
    rows = (
        RecoverySettlement.objects.filter(order_id__in=order_ids, reversal_entry__isnull=True).order_by().values("order_id")
        .annotate(total=Sum("amount")).values_list("order_id", "total")
    )
    return {pk: total for pk, total in rows}


def outstanding_of(order: RecoveryOrder, settled=None) -> Decimal:
    """What is still to recover on `order` (nothing once settled or cancelled)."""
    if order.status not in OUTSTANDING_STATUSES:
        return ZERO
    if settled is None:
        settled = _settled([order.pk]).get(order.pk) or ZERO
    return order.amount - settled


def claimed_by_orders(grant, *, exclude=None) -> Decimal:
    """What the grant's open and partly settled orders still claim, two queries."""
    orders = list(RecoveryOrder.objects.filter(grant=grant, status__in=OUTSTANDING_STATUSES).exclude(pk=exclude))
    settled = _settled([o.pk for o in orders])
    return sum((o.amount - (settled.get(o.pk) or ZERO) for o in orders), ZERO)


@dataclass(frozen=True)
class UnspentAdvance:
    """How the unspent advance of a grant is computed: paid net (payments less reversals and recoveries), less the
    expenditure accepted, less what outstanding orders already claim."""

    paid: Decimal  # payments less reversals
    recovered: Decimal
    paid_net: Decimal
    accepted: Decimal
    claimed: Decimal
    proposed: Decimal


def unspent_advance(grant) -> UnspentAdvance:
    """The unspent advance of `grant` and how it is reached (four queries)."""
    totals = ledger.balances(grant=grant)
    accepted = ApprovedExpenditure.objects.filter(grant=grant).aggregate(total=Sum("amount"))["total"] or ZERO
    claimed = claimed_by_orders(grant)
    proposed = max(ZERO, totals.disbursed - accepted - claimed)
    return UnspentAdvance(paid=totals.paid, recovered=totals.recovered, paid_net=totals.disbursed,
                          accepted=accepted, claimed=claimed, proposed=proposed)


def _check_due_date(due_date):
    if due_date is None:
        raise RecoveryError(_("Give the date by which the amount is due."), code="due_date_required", field="due_date")
    if due_date < timezone.localdate():
        raise RecoveryError(_("The due date cannot be in the past."), code="due_date_past", field="due_date")


def _issue(*, actor, grant, amount, reason, due_date, origin, source_description="", source_reference=""):
    """Issue an order on the locked `grant` after checking it against what was paid net."""
    if grant.status == AgreementStatus.DRAFT or not grant.signed_on:
        raise RecoveryError(_("A recovery order needs a signed agreement."), code="not_signed")
    paid_net = ledger.balances(grant=grant).disbursed
    claimed = claimed_by_orders(grant)
    if amount > paid_net - claimed:
        raise RecoveryError(
            _("A recovery order of %(amount)s would claim more than %(grant)s was paid: %(net)s paid net, of which "
              "%(claimed)s is already claimed by other orders, so at most %(free)s can be claimed.")
            % {"amount": money_text(amount), "grant": grant.reference, "net": money_text(paid_net),
               "claimed": money_text(claimed), "free": money_text(max(ZERO, paid_net - claimed))},
            code="exceeds_paid", field="amount",
        )
    number = (RecoveryOrder.objects.filter(grant=grant).order_by("-number").values_list("number", flat=True).first() or 0) + 1
    order = RecoveryOrder.objects.create(
        grant=grant, number=number, origin=origin, amount=amount, reason=reason, due_date=due_date,
        source_description=source_description[:255], source_reference=source_reference[:64], issued_by=actor,
        status_changed_at=timezone.now(),
    )
    audit_record(
        actor=actor, verb="recovery.issue", target=grant, amount=amount, currency=EUR,
        data={"order": order.pk, "reference": order.reference, "origin": origin, "reason": reason,
              "due_date": due_date.isoformat(), "source": source_description, "source_reference": source_reference},
    )
    notify([m.user for m in members_of(grant.organisation)], "recovery_order_issued",
           url=reverse("my_grant", args=[grant.reference]) + "#recoveries",
           params={"grant": grant.reference, "amount": amount, "due": due_date})
    return order


def recovery_order_issue(*, actor, grant: Grant, amount, reason: str, due_date: date,
                         origin: str = RecoveryOrigin.MANUAL, source_description: str = "",
                         source_reference: str = "") -> RecoveryOrder:
    """Issue a recovery order for `amount` unduly paid to `grant`, with the reason and due date; `origin` FINDING
    with the finding's description and reference when it comes from a check (a later module links them)."""
    amount = _amount(amount)
    reason = (reason or "").strip()
    if not reason:
        raise RecoveryError(_("Give the reason for the recovery."), code="reason_required", field="reason")
    if origin not in RecoveryOrigin.values:
        raise RecoveryError(_("Choose where the recovery comes from."), code="invalid_origin", field="origin")
    _check_due_date(due_date)
    with transaction.atomic():
        grant = Grant.objects.select_for_update().select_related("call__programme", "organisation").get(pk=grant.pk)
        return _issue(actor=actor, grant=grant, amount=amount, reason=reason, due_date=due_date, origin=origin,
                      source_description=(source_description or "").strip(),
                      source_reference=(source_reference or "").strip())


def recovery_order_for_unspent_advance(*, actor, grant: Grant, due_date: date, reason: str = "") -> RecoveryOrder:
    """Issue the order for the grant's unspent advance (paid net less accepted expenditure less what other orders
    claim), computed under the grant's lock. Only when the agreement is closing, closed or terminated."""
    _check_due_date(due_date)
    with transaction.atomic():
        grant = Grant.objects.select_for_update().select_related("call__programme", "organisation").get(pk=grant.pk)
        if grant.status not in ENDING_STATUSES:
            raise RecoveryError(
                _("An unspent advance is recovered when the agreement is closing, closed or terminated."),
                code="not_ending",
            )
        advance = unspent_advance(grant)
        if advance.proposed <= 0:
            raise RecoveryError(
                _("Nothing is left to recover: %(net)s paid net, %(accepted)s of expenditure accepted and %(claimed)s already claimed.")
                % {"net": money_text(advance.paid_net), "accepted": money_text(advance.accepted),
                   "claimed": money_text(advance.claimed)},
                code="nothing_to_recover",
            )
        text = _("Unspent advance: %(net)s paid net less %(accepted)s of expenditure accepted.") % {
            "net": money_text(advance.paid_net), "accepted": money_text(advance.accepted)}
        if advance.claimed:
            text += " " + _("Less %(claimed)s claimed by other orders.") % {"claimed": money_text(advance.claimed)}
        reason = (reason or "").strip()
        return _issue(actor=actor, grant=grant, amount=advance.proposed, reason=f"{text} {reason}".strip(),
                      due_date=due_date, origin=RecoveryOrigin.UNSPENT_ADVANCE)


def _lock(order):
    grant = Grant.objects.select_for_update().select_related("call__programme", "organisation").get(pk=order.grant_id)
    order = RecoveryOrder.objects.select_for_update().get(pk=order.pk)
    order.grant = grant
    return grant, order


def _check_settleable(order, amount, field):
    if order.status not in OUTSTANDING_STATUSES:
        raise RecoveryError(
            _("Recovery order %(ref)s is %(status)s: nothing more can be recovered on it.")
            % {"ref": order.reference, "status": order.get_status_display().lower()},
            code="not_outstanding",
        )
    outstanding = outstanding_of(order)
    if amount > outstanding:
        raise RecoveryError(
            _("%(amount)s is more than the %(outstanding)s outstanding on recovery order %(ref)s.")
            % {"amount": money_text(amount), "outstanding": money_text(outstanding), "ref": order.reference},
            code="exceeds_outstanding", field=field,
        )
    return outstanding


def _settle(*, actor, grant, order, outstanding, kind, amount, value_date, bank_reference="", payment=None):
    """Move the money through the ledger, store the settlement, move the order's status; audited."""
    entry = ledger.recovery_add(
        actor=actor, grant=grant, amount=amount,
        memo=f"{order.reference} {SettlementKind(kind).label} {bank_reference}".strip()[:255],
    )
    settlement = RecoverySettlement.objects.create(
        order=order, kind=kind, amount=amount, value_date=value_date, bank_reference=bank_reference,
        payment=payment, ledger_entry=entry, recorded_by=actor,
    )
    status = RecoveryStatus.SETTLED if amount == outstanding else RecoveryStatus.PARTLY_SETTLED
    if status not in RECOVERY_TRANSITIONS[RecoveryStatus(order.status)]:
        raise RecoveryError(_("This recovery order cannot change status now."), code="invalid_transition")
    order.status = status
    order.status_changed_at = timezone.now()
    order.save(update_fields=["status", "status_changed_at"])
    if grant.status in ENDED_STATUSES:
        ledger.commitment_release(actor=actor, grant=grant, amount=amount,
                                  memo=f"{order.reference}: recovered from an ended agreement"[:255])
    audit_record(
        actor=actor, verb=f"recovery.{kind}", target=grant, amount=amount, amount_before=outstanding,
        amount_after=outstanding - amount, currency=EUR,
        data={"order": order.pk, "reference": order.reference, "settlement": settlement.pk, "status": status,
              "value_date": value_date.isoformat(), "bank_reference": bank_reference,
              "payment": payment.pk if payment else None, "ledger_entry": entry.pk},
    )
    return settlement


def recovery_refund_record(*, actor, order: RecoveryOrder, amount, value_date: date, bank_reference: str) -> RecoverySettlement:
    """Record a refund received from the grantee on `order`: never more than its outstanding amount, a bank
    reference used by no other refund, a value date not in the future."""
    amount = _amount(amount)
    bank_reference = (bank_reference or "").strip()
    if not bank_reference:
        raise RecoveryError(_("Give the bank's reference of the transfer."), code="reference_required", field="bank_reference")
    if value_date is None:
        raise RecoveryError(_("Give the value date of the transfer."), code="date_required", field="value_date")
    if value_date > timezone.localdate():
        raise RecoveryError(_("The value date cannot be in the future: record a refund once it is received."),
                            code="future_date", field="value_date")
    duplicate = _("A refund with the bank reference %(ref)s is already recorded.")
    with transaction.atomic():
        grant, order = _lock(order)
        outstanding = _check_settleable(order, amount, "amount")
        if RecoverySettlement.objects.filter(kind=SettlementKind.REFUND, bank_reference__iexact=bank_reference,
                                             reversal_entry__isnull=True).exists():
            raise RecoveryError(duplicate % {"ref": bank_reference}, code="duplicate_reference", field="bank_reference")
        try:
            with transaction.atomic():
                return _settle(actor=actor, grant=grant, order=order, outstanding=outstanding, kind=SettlementKind.REFUND,
                               amount=amount, value_date=value_date, bank_reference=bank_reference)
        except IntegrityError as exc:  # the same reference recorded meanwhile on another order
            raise RecoveryError(duplicate % {"ref": bank_reference}, code="duplicate_reference", field="bank_reference") from exc


def recovery_offset_record(*, actor, order: RecoveryOrder, tranche: Tranche, amount, offset, value_date: date,
                           bank_reference: str, local_amount=None, local_currency="", local_rate=None) -> RecoverySettlement:
    """Pay `tranche` its `amount` net of `offset` recovered on `order`: the payment is recorded for the full
    amount (its own rules: what the tranche may pay, the bank reference, the value date), the offset is recovered
    in the same transaction and the grantee receives `amount - offset`, which its notification states."""
    offset = _amount(offset, "offset")
    gross = _amount(amount)
    if offset > gross:
        raise RecoveryError(_("The offset cannot be more than the payment."), code="offset_above_payment", field="offset")
    with transaction.atomic():
        grant, order = _lock(order)
        if tranche.grant_id != grant.pk:
            raise RecoveryError(_("This tranche belongs to another grant."), code="other_grant", field="tranche")
        outstanding = _check_settleable(order, offset, "offset")
        payment = payment_record(actor=actor, tranche=tranche, amount=gross, value_date=value_date,
                                 bank_reference=bank_reference, local_amount=local_amount,
                                 local_currency=local_currency, local_rate=local_rate, notify_grantee=False)
        grant.refresh_from_db(fields=["status"])
        settlement = _settle(actor=actor, grant=grant, order=order, outstanding=outstanding, kind=SettlementKind.OFFSET,
                             amount=offset, value_date=payment.value_date, bank_reference=payment.bank_reference,
                             payment=payment)
        payment_notify(payment, offset=offset, order_reference=order.reference)
    return settlement


def _reverse(*, actor, grant, order, settlement, reason):
    """Reverse `settlement` of the locked `order` on the locked `grant`: the money back through the ledger (and,
    on an ended grant, first from the call back to the grant's commitment), the settlement marked, the order's
    status recomputed; audited."""
    if order.status == RecoveryStatus.CANCELLED:
        raise RecoveryError(
            _("Recovery order %(ref)s is cancelled: what was recovered on it can no longer be reversed.")
            % {"ref": order.reference},
            code="order_cancelled",
        )
    before = outstanding_of(order)
    current = ledger.balances(grant=grant)
    shortfall = current.disbursed + settlement.amount - current.committed
    if shortfall > 0 and grant.status in ENDED_STATUSES:
        ledger.commitment_add(actor=actor, grant=grant, amount=shortfall,
                              memo=f"{order.reference}: recovery reversed on an ended agreement"[:255])
    entry = ledger.recovery_reverse(
        actor=actor, entry=settlement.ledger_entry,
        memo=f"{order.reference} {SettlementKind(settlement.kind).label}: {reason}"[:255],
    )
    settlement.reversal_entry, settlement.reversal_reason = entry, reason
    settlement.save(update_fields=["reversal_entry", "reversal_reason"])
    standing = _settled([order.pk]).get(order.pk) or ZERO
    status = RecoveryStatus.PARTLY_SETTLED if standing else RecoveryStatus.OPEN
    if status not in RECOVERY_TRANSITIONS[RecoveryStatus(order.status)]:
        raise RecoveryError(_("This recovery order cannot change status now."), code="invalid_transition")
    order.status = status
    order.status_changed_at = timezone.now()
    order.save(update_fields=["status", "status_changed_at"])
    audit_record(
        actor=actor, verb=f"recovery.reverse_{settlement.kind}", target=grant, amount=settlement.amount,
        amount_before=before, amount_after=order.amount - standing, currency=EUR,
        data={"order": order.pk, "reference": order.reference, "settlement": settlement.pk, "status": status,
              "reason": reason, "bank_reference": settlement.bank_reference, "payment": settlement.payment_id,
              "ledger_entry": entry.pk, "recommitted": str(shortfall) if shortfall > 0 else None},
    )
    return settlement


def recovery_refund_reverse(*, actor, settlement: RecoverySettlement, reason: str) -> RecoverySettlement:
    """Reverse a refund recorded by mistake (finance, with a reason): it no longer counts as recovered and its
    order claims the amount again. An offset is reversed by reversing its payment."""
    reason = (reason or "").strip()
    if not reason:
        raise RecoveryError(_("Give the reason for the reversal."), code="reason_required", field="reason")
    if not has_role(actor, R.FINANCE_OFFICER):
        raise RecoveryError(_("Only finance officers reverse refunds."), code="forbidden")
    with transaction.atomic():
        grant, order = _lock(settlement.order)
        settlement = RecoverySettlement.objects.select_for_update().select_related("ledger_entry__envelope").get(pk=settlement.pk)
        if settlement.kind != SettlementKind.REFUND:
            raise RecoveryError(
                _("An amount offset against a payment is reversed by reversing that payment (%(ref)s).")
                % {"ref": settlement.bank_reference},
                code="offset_with_payment",
            )
        if settlement.is_reversed:
            raise RecoveryError(_("This refund has already been reversed."), code="already_reversed")
        return _reverse(actor=actor, grant=grant, order=order, settlement=settlement, reason=reason)


def offsets_reverse_with_payment(*, actor, payment, reason):
    """Reverse what was offset against `payment`, which is being reversed (disbursements.services.payment_reverse,
    through disbursements.payment_hooks, with the payment's grant locked)."""
    for settlement in RecoverySettlement.objects.filter(payment=payment, reversal_entry__isnull=True).order_by("pk"):
        grant, order = _lock(settlement.order)
        settlement = RecoverySettlement.objects.select_for_update().select_related("ledger_entry__envelope").get(pk=settlement.pk)
        _reverse(actor=actor, grant=grant, order=order, settlement=settlement,
                 reason=_("Payment %(ref)s reversed: %(reason)s") % {"ref": payment.bank_reference, "reason": reason})


def recovery_order_cancel(*, actor, order: RecoveryOrder, reason: str) -> RecoveryOrder:
    """Cancel an order with a reason: what is outstanding is no longer claimed; what was recovered stays."""
    reason = (reason or "").strip()
    if not reason:
        raise RecoveryError(_("Give the reason for the cancellation."), code="reason_required", field="reason")
    with transaction.atomic():
        grant, order = _lock(order)
        if RecoveryStatus.CANCELLED not in RECOVERY_TRANSITIONS[RecoveryStatus(order.status)]:
            raise RecoveryError(
                _("Recovery order %(ref)s is %(status)s: it cannot be cancelled.")
                % {"ref": order.reference, "status": order.get_status_display().lower()},
                code="invalid_transition",
            )
        outstanding = outstanding_of(order)
        order.status = RecoveryStatus.CANCELLED
        order.cancel_reason = reason
        order.status_changed_at = timezone.now()
        order.save(update_fields=["status", "cancel_reason", "status_changed_at"])
        audit_record(
            actor=actor, verb="recovery.cancel", target=grant, amount=outstanding, currency=EUR,
            data={"order": order.pk, "reference": order.reference, "reason": reason},
        )
    return order
