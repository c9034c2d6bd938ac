from decimal import Decimal

from django.utils import translation

from core.templatetags.money import money, percent_of


def test_money_is_formatted_for_the_active_language():
    amount = Decimal("1234567.5")
    with translation.override("en"):
        assert money(amount) == "€1,234,567.50"
    with translation.override("fr"):
        assert money(amount).replace("\u202f", " ").replace("\xa0", " ") == "1 234 567,50 €"
    with translation.override("ar"):
        assert "1,234,567.50" in money(amount) or "١" in money(amount)


def test_percent_of_is_bounded():
    assert percent_of(Decimal("2000000"), Decimal("10000000")) == 20
    assert percent_of(5, 0) == 0
    assert percent_of(20, 10) == 100
