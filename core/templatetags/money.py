"""Locale-aware money display: `{{ amount|money }}` formats in the active language (EUR 1,234.50 / 1 234,50 €)."""
from django import template
from moneyed import Money

from core.formats import money_text
from core.money import EUR, to_decimal

register = template.Library()


@register.filter
def money(value, currency=None):
    if value is None or value == "":
        return ""
    if isinstance(value, Money):
        currency = currency or str(value.currency)
    return money_text(value if not isinstance(value, Money) else value.amount, currency or EUR)


@register.filter
def percent_of(part, whole):
    """Share of `whole` taken by `part`, as a whole percentage for progress bars (0..100)."""
    whole = to_decimal(whole)
    if not whole:
        return 0
    share = to_decimal(part) * 100 / whole
    return max(0, min(100, int(share)))
