"""The envelope ledger: the only writer of allocations, commitments and disbursements.

Every operation runs in one transaction that first locks the programme's envelope row (SELECT ... FOR UPDATE),
so operations on one envelope happen one at a time; it then reads the balances from the ledger rows, checks
the invariants, appends one LedgerEntry and one AuditEvent. A refused operation raises LedgerError and writes
nothing. The invariants (DESIGN.md):

    allocated to calls            <= envelope
    committed to a call's grants  <= the call's allocation   (and so <= envelope)
    disbursed to a grant          <= committed to that grant
    recovered from a grant        <= paid to it (net disbursed never below zero)

Money recovered from a grantee (a refund received, or an amount offset against a later payment: see
disbursements.recovery) is a `recovery` row, negative; one recorded by mistake is undone, at most once, by a
positive `recovery` row that `reverses` it (`recovery_reverse`), never beyond the grant's commitment. "Disbursed" is net: the disbursement rows
(payments less reversals) plus the recovery rows; `Balances.paid` and `Balances.recovered` give the two parts.
So net disbursed <= committed, and 0 <= net disbursed, at every moment; a payment may not be reversed once
the money it paid has been recovered.

Amounts are EUR with at most two decimal places: an amount with fractions of a cent is refused, not rounded.
The envelope itself changes only through `envelope_resize`, under the same lock. Every operation also moves
the envelope's `ledger_version` (`figures_changed`), which keys the cached figures (grants.selectors).
"""
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import F, Q, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _
from moneyed import Money

from audit.services import audit_record
from core.errors import DomainError
from core.formats import money_text
from core.money import EUR, ZERO, MoneyValueError, exact_cents

from .models import Call, CallStatus, Envelope, Grant, LedgerEntry, LedgerKind


class LedgerError(DomainError):
    """The ledger refused an operation; nothing was written."""


def _sum(kind):
    return Coalesce(Sum("amount", filter=Q(kind=kind)), ZERO)


@dataclass(frozen=True)
class Balances:
    allocated: Decimal
    committed: Decimal
    disbursed: Decimal  # net: paid less recovered
    paid: Decimal = ZERO  # payments less their reversals
    recovered: Decimal = ZERO  # refunds received and amounts offset, as a positive figure


def balances(**filters) -> Balances:
    """Sums of the ledger rows matching `filters` (e.g. envelope=..., call=..., grant=...), one query."""
    totals = LedgerEntry.objects.filter(**filters).aggregate(
        allocated=_sum(LedgerKind.ALLOCATION),
        committed=_sum(LedgerKind.COMMITMENT),
        paid=_sum(LedgerKind.DISBURSEMENT),
        recovery=_sum(LedgerKind.RECOVERY),
    )
    cents = {k: Decimal(v).quantize(Decimal("0.01")) for k, v in totals.items()}
    return Balances(
        allocated=cents["allocated"], committed=cents["committed"], disbursed=cents["paid"] + cents["recovery"],
        paid=cents["paid"], recovered=ZERO - cents["recovery"],
    )



def _amount(value):
    try:
        amount = exact_cents(value)
    except MoneyValueError as exc:
        raise LedgerError(_("The amount is not valid: %(reason)s") % {"reason": exc}, code="invalid_amount") from exc
    if amount <= 0:
        raise LedgerError(_("The amount must be greater than zero."), code="invalid_amount")
    return amount


def _lock_envelope(programme_id) -> Envelope:
    try:
        return Envelope.objects.select_for_update().get(programme_id=programme_id)
    except Envelope.DoesNotExist:
        raise LedgerError(_("This programme has no envelope yet."), code="no_envelope") from None


def figures_changed(*, programme_id) -> None:
    """Move the programme's ledger version, inside the writing transaction, so its cached figures are computed
    afresh. Every ledger operation calls it; so does any other service whose writes the figures read."""
    Envelope.objects.filter(programme_id=programme_id).update(ledger_version=F("ledger_version") + 1)


def figures_changed_everywhere() -> None:
    """Move every programme's ledger version, inside the writing transaction: for writes that every programme's
    figures may read, such as the monthly exchange rates."""
    Envelope.objects.update(ledger_version=F("ledger_version") + 1)


def _append(*, actor, envelope, kind, call, amount, grant=None, memo="", reverses=None):
    figures_changed(programme_id=envelope.programme_id)
    return LedgerEntry.objects.create(
        envelope=envelope,
        kind=kind,
        call=call,
        grant=grant,
        amount=amount,
        memo=memo,
        reverses=reverses,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )


def _audit(*, actor, verb, target, amount, before, entry, envelope_totals):
    audit_record(
        actor=actor,
        verb=verb,
        target=target,
        amount=amount,
        amount_before=before,
        amount_after=before + amount,
        currency=EUR,
        data={
            "ledger_entry": entry.pk,
            "envelope": str(envelope_totals.amount.amount),
            "memo": entry.memo,
        },
    )


def allocation_add(*, actor, call: Call, amount, memo="") -> LedgerEntry:
    """Allocate `amount` from the envelope to `call`."""
    amount = _amount(amount)
    with transaction.atomic():
        envelope = _lock_envelope(call.programme_id)
        call = Call.objects.get(pk=call.pk)
        if call.status == CallStatus.CLOSED:
            raise LedgerError(_("Call %(ref)s is closed: it cannot receive a new allocation.") % {"ref": call.reference}, code="call_closed")
        total = balances(envelope=envelope)
        unallocated = envelope.amount.amount - total.allocated
        if amount > unallocated:
            raise LedgerError(
                _("Allocating %(amount)s to call %(ref)s would exceed the envelope: only %(free)s of %(envelope)s is unallocated.")
                % {"amount": money_text(amount), "ref": call.reference, "free": money_text(unallocated), "envelope": money_text(envelope.amount.amount)},
                code="exceeds_envelope",
            )
        before = balances(call=call).allocated
        entry = _append(actor=actor, envelope=envelope, kind=LedgerKind.ALLOCATION, call=call, amount=amount, memo=memo)
        _audit(actor=actor, verb="ledger.allocate", target=call, amount=amount, before=before, entry=entry, envelope_totals=envelope)
    return entry


def allocation_release(*, actor, call: Call, amount, memo="") -> LedgerEntry:
    """Return `amount` of a call's allocation to the envelope; what is committed cannot be released."""
    amount = _amount(amount)
    with transaction.atomic():
        envelope = _lock_envelope(call.programme_id)
        current = balances(call=call)
        releasable = current.allocated - current.committed
        if amount > releasable:
            raise LedgerError(
                _("Cannot release %(amount)s from call %(ref)s: its allocation is %(allocated)s, of which %(committed)s is committed, so at most %(free)s can be released.")
                % {"amount": money_text(amount), "ref": call.reference, "allocated": money_text(current.allocated), "committed": money_text(current.committed), "free": money_text(releasable)},
                code="exceeds_uncommitted_allocation",
            )
        entry = _append(actor=actor, envelope=envelope, kind=LedgerKind.ALLOCATION, call=call, amount=-amount, memo=memo)
        _audit(actor=actor, verb="ledger.release_allocation", target=call, amount=-amount, before=current.allocated, entry=entry, envelope_totals=envelope)
    return entry


def commitment_add(*, actor, grant: Grant, amount, memo="") -> LedgerEntry:
    """Commit `amount` of the grant's call allocation to the grant (an award decision)."""
    amount = _amount(amount)
    with transaction.atomic():
        envelope = _lock_envelope(grant.call.programme_id)
        call = grant.call
        in_call = balances(call=call)
        free_in_call = in_call.allocated - in_call.committed
        if amount > free_in_call:
            raise LedgerError(
                _("Committing %(amount)s to %(grant)s would exceed the allocation of call %(ref)s: %(free)s of %(allocated)s is still uncommitted.")
                % {"amount": money_text(amount), "grant": grant.reference, "ref": call.reference, "free": money_text(free_in_call), "allocated": money_text(in_call.allocated)},
                code="exceeds_call_allocation",
            )
        total = balances(envelope=envelope)
        if total.committed + amount > envelope.amount.amount:
            raise LedgerError(
                _("Committing %(amount)s would exceed the envelope of %(envelope)s (%(committed)s already committed).")
                % {"amount": money_text(amount), "envelope": money_text(envelope.amount.amount), "committed": money_text(total.committed)},
                code="exceeds_envelope",
            )
        before = balances(grant=grant).committed
        entry = _append(actor=actor, envelope=envelope, kind=LedgerKind.COMMITMENT, call=call, grant=grant, amount=amount, memo=memo)
        _audit(actor=actor, verb="ledger.commit", target=grant, amount=amount, before=before, entry=entry, envelope_totals=envelope)
    return entry


def commitment_release(*, actor, grant: Grant, amount, memo="") -> LedgerEntry:
    """De-commit `amount` from a grant back to its call's allocation; what is disbursed stays committed."""
    amount = _amount(amount)
    with transaction.atomic():
        envelope = _lock_envelope(grant.call.programme_id)
        current = balances(grant=grant)
        releasable = current.committed - current.disbursed
        if amount > releasable:
            raise LedgerError(
                _("Cannot release %(amount)s from %(grant)s: %(committed)s is committed and %(disbursed)s already disbursed, so at most %(free)s can be released.")
                % {"amount": money_text(amount), "grant": grant.reference, "committed": money_text(current.committed), "disbursed": money_text(current.disbursed), "free": money_text(releasable)},
                code="exceeds_undisbursed_commitment",
            )
        entry = _append(actor=actor, envelope=envelope, kind=LedgerKind.COMMITMENT, call=grant.call, grant=grant, amount=-amount, memo=memo)
        _audit(actor=actor, verb="ledger.release_commitment", target=grant, amount=-amount, before=current.committed, entry=entry, envelope_totals=envelope)
    return entry


def disbursement_add(*, actor, grant: Grant, amount, memo="") -> LedgerEntry:
    """Record a payment of `amount` to the grantee; never more than is committed and not yet paid."""
    amount = _amount(amount)
    with transaction.atomic():
        envelope = _lock_envelope(grant.call.programme_id)
        current = balances(grant=grant)
        payable = current.committed - current.disbursed
        if amount > payable:
            raise LedgerError(
                _("Paying %(amount)s to %(grant)s would exceed its commitment: %(committed)s is committed and %(disbursed)s already paid, so at most %(free)s can be paid.")
                % {"amount": money_text(amount), "grant": grant.reference, "committed": money_text(current.committed), "disbursed": money_text(current.disbursed), "free": money_text(payable)},
                code="exceeds_commitment",
            )
        entry = _append(actor=actor, envelope=envelope, kind=LedgerKind.DISBURSEMENT, call=grant.call, grant=grant, amount=amount, memo=memo)
        _audit(actor=actor, verb="ledger.disburse", target=grant, amount=amount, before=current.disbursed, entry=entry, envelope_totals=envelope)
    return entry


def disbursement_reverse(*, actor, entry: LedgerEntry, memo) -> LedgerEntry:
    """Reverse a wrong payment with an entry of the opposite sign; the original is never edited or deleted."""
    if not memo or not memo.strip():
        raise LedgerError(_("A reversal needs a reason."), code="reason_required", field="memo")
    with transaction.atomic():
        envelope = _lock_envelope(entry.envelope.programme_id)
        original = LedgerEntry.objects.select_related("grant", "call").get(pk=entry.pk)
        if original.kind != LedgerKind.DISBURSEMENT or original.amount.amount <= 0:
            raise LedgerError(_("Only a payment can be reversed."), code="not_a_payment")
        if LedgerEntry.objects.filter(reverses=original).exists():
            raise LedgerError(_("This payment has already been reversed."), code="already_reversed")
        amount = original.amount.amount
        before = balances(grant=original.grant).disbursed
        if amount > before:
            raise LedgerError(
                _("This payment cannot be reversed: %(grant)s has %(net)s paid net of what was recovered, less than the %(amount)s it paid.")
                % {"grant": original.grant.reference, "net": money_text(before), "amount": money_text(amount)},
                code="exceeds_net_disbursed",
            )
        reversal = _append(
            actor=actor,
            envelope=envelope,
            kind=LedgerKind.DISBURSEMENT,
            call=original.call,
            grant=original.grant,
            amount=-amount,
            memo=memo.strip(),
            reverses=original,
        )
        _audit(actor=actor, verb="ledger.reverse_disbursement", target=original.grant, amount=-amount, before=before, entry=reversal, envelope_totals=envelope)
    return reversal


def recovery_add(*, actor, grant: Grant, amount, memo="") -> LedgerEntry:
    """Record `amount` recovered from the grantee (a refund received or an amount offset against a payment) as a
    negative `recovery` row: never more than the grant was paid net, so net disbursed never falls below zero."""
    amount = _amount(amount)
    with transaction.atomic():
        envelope = _lock_envelope(grant.call.programme_id)
        current = balances(grant=grant)
        if amount > current.disbursed:
            raise LedgerError(
                _("Recovering %(amount)s from %(grant)s would exceed what it was paid: %(paid)s paid and %(recovered)s already recovered, so at most %(free)s can be recovered.")
                % {"amount": money_text(amount), "grant": grant.reference, "paid": money_text(current.paid),
                   "recovered": money_text(current.recovered), "free": money_text(current.disbursed)},
                code="exceeds_net_disbursed",
            )
        entry = _append(actor=actor, envelope=envelope, kind=LedgerKind.RECOVERY, call=grant.call, grant=grant, amount=-amount, memo=memo)
        _audit(actor=actor, verb="ledger.recover", target=grant, amount=-amount, before=current.disbursed, entry=entry, envelope_totals=envelope)
    return entry


def recovery_reverse(*, actor, entry: LedgerEntry, memo) -> LedgerEntry:
    """Reverse a recovery recorded by mistake with a positive `recovery` row that `reverses` it, at most once: the
    grant's net disbursed goes back up, never above its commitment (an ended grant's money first goes back from
    its call to its commitment: commitment_add)."""
    if not memo or not memo.strip():
        raise LedgerError(_("A reversal needs a reason."), code="reason_required", field="memo")
    with transaction.atomic():
        envelope = _lock_envelope(entry.envelope.programme_id)
        original = LedgerEntry.objects.select_related("grant", "call").get(pk=entry.pk)
        if original.kind != LedgerKind.RECOVERY or original.amount.amount >= 0:
            raise LedgerError(_("Only a recovery can be reversed this way."), code="not_a_recovery")
        if LedgerEntry.objects.filter(reverses=original).exists():
            raise LedgerError(_("This recovery has already been reversed."), code="already_reversed")
        amount = -original.amount.amount
        current = balances(grant=original.grant)
        if current.disbursed + amount > current.committed:
            raise LedgerError(
                _("This recovery cannot be reversed: %(grant)s would have %(net)s paid net, more than the %(committed)s committed to it.")
                % {"grant": original.grant.reference, "net": money_text(current.disbursed + amount),
                   "committed": money_text(current.committed)},
                code="exceeds_commitment",
            )
        reversal = _append(
            actor=actor, envelope=envelope, kind=LedgerKind.RECOVERY, call=original.call, grant=original.grant,
            amount=amount, memo=memo.strip()[:255], reverses=original,
        )
        _audit(actor=actor, verb="ledger.reverse_recovery", target=original.grant, amount=amount,
               before=current.disbursed, entry=reversal, envelope_totals=envelope)
    return reversal


def envelope_resize(*, actor, envelope: Envelope, amount, memo) -> Envelope:
    """Change the envelope (a donor amendment). It can never fall below what is already allocated to calls."""
    amount = _amount(amount)
    if not memo or not memo.strip():
        raise LedgerError(_("Changing the envelope needs a reason."), code="reason_required", field="memo")
    with transaction.atomic():
        envelope = _lock_envelope(envelope.programme_id)
        allocated = balances(envelope=envelope).allocated
        if amount < allocated:
            raise LedgerError(
                _("The envelope cannot be set to %(amount)s: %(allocated)s is already allocated to calls.")
                % {"amount": money_text(amount), "allocated": money_text(allocated)},
                code="below_allocated",
                field="amount",
            )
        before = envelope.amount.amount
        envelope.amount = Money(amount, EUR)
        envelope.save(update_fields=["amount", "amount_currency"])
        figures_changed(programme_id=envelope.programme_id)
        audit_record(
            actor=actor, verb="ledger.resize_envelope", target=envelope, amount=amount - before,
            amount_before=before, amount_after=amount, currency=EUR, data={"memo": memo.strip()},
        )
    return envelope
