"""Money in one place: parsing, the single rounding rule, and EUR values.

Every amount is a Decimal (or a django-money `Money` in EUR). Floats are refused outright: a float has
already lost cents before any rounding could save them.
"""
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation

from moneyed import Money

EUR = "EUR"
CENT = Decimal("0.01")
ZERO = Decimal("0.00")


class MoneyValueError(ValueError):
    """Raised for a value that is not an exact amount of money."""


def to_decimal(value) -> Decimal:
    """An exact Decimal from a Decimal, int, str or Money; never from a float."""
    if isinstance(value, Money):
        value = value.amount
    if isinstance(value, bool) or isinstance(value, float):
        raise MoneyValueError("Amounts must be Decimal, int or str, never float.")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation as exc:
            raise MoneyValueError(f"{value!r} is not a number.") from exc
    else:
        raise MoneyValueError(f"Cannot read an amount from {type(value).__name__}.")
    if not result.is_finite():
        raise MoneyValueError("Amounts must be finite numbers.")
    return result


def round_money(value, *, down=False) -> Decimal:
    """Round to cents, half-up (0.005 -> 0.01, -0.005 -> -0.01). The only rounding rule in the project.

    `down=True` truncates instead, for ceilings that must never be exceeded (a 90% cap of EUR 100,000.03 is
    EUR 90,000.02, not 90,000.03)."""
    return to_decimal(value).quantize(CENT, rounding=ROUND_DOWN if down else ROUND_HALF_UP)


def exact_cents(value) -> Decimal:
    """The amount as a Decimal with two places, refusing anything finer than a cent instead of rounding it."""
    amount = to_decimal(value)
    if amount != amount.quantize(CENT, rounding=ROUND_HALF_UP):
        raise MoneyValueError(f"{amount} has more than two decimal places.")
    return amount.quantize(CENT)


def eur(value) -> Money:
    """A Money in euros, rounded to cents."""
    return Money(round_money(value), EUR)


def format_amount(value) -> str:
    """Plain machine format with two decimals and no grouping, as used in JSON and CSV: '10000000.00'."""
    return f"{round_money(value):.2f}"
