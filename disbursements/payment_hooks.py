"""What the parts of this app built on payments do when a payment is recorded or reversed, in its transaction: an
explicit registry instead of a signal (as applications.award_hooks).

disbursements.services may not import the sub-domains built on it (disbursements.requests and
disbursements.recovery import payment_record), so each registers its hooks from `DisbursementsConfig.ready`:
- `register_payment_recorded_hook(fn)`: `payment_record` calls `fn(actor=, payment=)` once the payment and its ledger
  row are written (an approved payment request of the tranche becomes paid);
- `register_payment_reversal_hook(fn)`: `payment_reverse` calls `fn(actor=, payment=, reason=)` before the payment's
  ledger row is reversed (the amounts offset against it are reversed first, so net disbursed never falls below
  zero).
A hook is a thin adapter to its sub-domain's service function, which holds the rule and its audit event; a
DomainError it raises refuses the whole operation. Registering the same function again does nothing.
"""
from collections.abc import Callable

_recorded: list[Callable] = []
_reversal: list[Callable] = []


def register_payment_recorded_hook(fn: Callable) -> Callable:
    if fn not in _recorded:
        _recorded.append(fn)
    return fn


def register_payment_reversal_hook(fn: Callable) -> Callable:
    if fn not in _reversal:
        _reversal.append(fn)
    return fn


def run_payment_recorded_hooks(*, actor, payment) -> None:
    for hook in _recorded:
        hook(actor=actor, payment=payment)


def run_payment_reversal_hooks(*, actor, payment, reason) -> None:
    for hook in _reversal:
        hook(actor=actor, payment=payment, reason=reason)
