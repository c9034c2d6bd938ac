from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from moneyed import Money

from core.money import MoneyValueError, eur, exact_cents, format_amount, round_money, to_decimal


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0.005", "0.01"),
        ("0.004", "0.00"),
        ("1.015", "1.02"),  # a float 1.015 is 1.01499..., which is why floats are refused
        ("2.675", "2.68"),
        ("-0.005", "-0.01"),  # half-up means away from zero, symmetrically
        ("-1.015", "-1.02"),
        ("10000000", "10000000.00"),
        (Decimal("33.333333"), "33.33"),
        (7, "7.00"),
    ],
)
def test_round_money_is_half_up_to_cents(value, expected):
    assert round_money(value) == Decimal(expected)
    assert str(round_money(value)) == expected


def test_floats_are_refused():
    with pytest.raises(MoneyValueError):
        round_money(1.015)
    with pytest.raises(MoneyValueError):
        to_decimal(True)


@pytest.mark.parametrize("bad", ["abc", "", "NaN", "Infinity", "1,5", None, [1]])
def test_non_numbers_are_refused(bad):
    with pytest.raises(MoneyValueError):
        to_decimal(bad)


def test_exact_cents_refuses_over_precise_amounts_instead_of_rounding():
    assert exact_cents("12.30") == Decimal("12.30")
    assert exact_cents("12.3") == Decimal("12.30")
    assert exact_cents("12.300") == Decimal("12.30")
    with pytest.raises(MoneyValueError):
        exact_cents("12.345")


def test_eur_and_format():
    assert eur("1.005") == Money(Decimal("1.01"), "EUR")
    assert to_decimal(Money("5.5", "EUR")) == Decimal("5.5")
    assert format_amount("10000000") == "10000000.00"


@given(st.decimals(min_value=-10**9, max_value=10**9, allow_nan=False, allow_infinity=False, places=6))
def test_rounding_error_never_exceeds_half_a_cent(value):
    rounded = round_money(value)
    assert abs(rounded - value) <= Decimal("0.005")
    assert rounded == rounded.quantize(Decimal("0.01"))
