"""Locale-aware money display: `{{ amount|money }}` formats in the active language (EUR 1,234.50 / 1 234,50 €)."""
from babel.numbers import format_currency
from django import template
from django.utils import translation
from moneyed import Money

from core.money import EUR, round_money, to_decimal

register = template.Library()


def _locale():
    return translation.to_locale(translation.get_language() or "en")


@register.filter
def money(value, currency=None):
    if value is None or value == "":
        return ""
    if isinstance(value, Money):
        currency = currency or str(value.currency)
    amount = round_money(to_decimal(value))
    return format_currency(amount, currency or EUR, locale=_locale())


@register.filter
def percent_of(part, whole):
    """Share of `whole` taken by `part`, as a whole percentage for progress bars (0..100)."""
    whole = to_decimal(whole)
    if not whole:
        return 0
    share = to_decimal(part) * 100 / whole
    return max(0, min(100, int(share)))
