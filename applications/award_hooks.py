"""What other apps do when an award is decided, in the award's transaction: an explicit registry instead of a signal.

`applications` may not import the apps built on it (results, …), so an app that must act on an award registers a
hook from its `AppConfig.ready` with `register_award_hook(fn)`. `applications.awards.award_decide` calls every hook
registered (`run_award_hooks`), in the order registered, inside its transaction, once the decision is saved and (for
an award) the grant created, with keyword arguments `actor`, `application`, `decision` and `grant` (None unless the
outcome is an award). A hook is a thin adapter: it passes them on to its app's service function, which holds the rule
(and its audit event); a DomainError it raises refuses the whole decision. Registering the same function again does
nothing.
"""
from collections.abc import Callable

_hooks: list[Callable] = []


def register_award_hook(fn: Callable) -> Callable:
    """Have `award_decide` call `fn(actor=, application=, decision=, grant=)` in its transaction; returns `fn`."""
    if fn not in _hooks:
        _hooks.append(fn)
    return fn


def award_hooks() -> tuple[Callable, ...]:
    return tuple(_hooks)


def run_award_hooks(*, actor, application, decision, grant) -> None:
    for hook in _hooks:
        hook(actor=actor, application=application, decision=decision, grant=grant)
