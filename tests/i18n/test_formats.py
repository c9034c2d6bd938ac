"""Dates, numbers and money through the locale, and amounts typed as the page shows them."""
from datetime import date
from decimal import Decimal

import pytest
from django import forms
from django.template import Context, Template
from django.utils import translation

from core.formats import date_text, money_text, number_text
from core.forms import AmountField, LocalDecimalField, parse_number


def plain_spaces(text):
    return text.replace("\u202f", " ").replace("\xa0", " ")


@pytest.mark.parametrize("language, expected", [
    ("en", "€10,000,000.00"),
    ("fr", "10 000 000,00 €"),
    ("es", "10.000.000,00 €"),
    ("ru", "10 000 000,00 €"),
    ("pt", "€ 10.000.000,00"),
])
def test_money_in_each_language(language, expected):
    with translation.override(language):
        assert plain_spaces(money_text(Decimal("10000000"))) == expected


@pytest.mark.parametrize("language, amount, currency, expected", [
    ("en", "1250", "KGS", "KGS\xa01,250.00"),
    ("en", "57642631", "XOF", "F\u202fCFA\xa057,642,631"),
    ("en", "-318720", "XOF", "-F\u202fCFA\xa0318,720"),
    ("fr", "57642631", "XOF", "57\u202f642\u202f631\xa0F\u202fCFA"),
    ("en", "1250", "USD", "$1,250.00"),
])
def test_a_currency_written_in_letters_is_kept_apart_from_the_digits(language, amount, currency, expected):
    with translation.override(language):
        assert money_text(Decimal(amount), currency) == expected


def test_money_filter_and_messages_share_the_notation():
    with translation.override("fr"):
        page = Template("{% load money %}{{ amount|money }}").render(Context({"amount": Decimal("1234.5")}))
        assert page == money_text(Decimal("1234.5")) and plain_spaces(page) == "1 234,50 €"


@pytest.mark.parametrize("language, expected", [
    ("en", "1 February 2027"),
    ("fr", "1 février 2027"),
    ("es", "1 de febrero de 2027"),
    ("ru", "1 февраля 2027"),
    ("pt", "1 de fevereiro de 2027"),
    ("ar", "1 فبراير، 2027"),
])
def test_dates_in_each_language_with_the_right_grammar(language, expected):
    with translation.override(language):
        # Django's Portuguese capitalises month names ("Fevereiro"); the rest of the grammar is what matters here.
        assert date_text(date(2027, 2, 1)).lower().startswith(expected.lower())
        assert Template('{{ d|date:"DATE_FORMAT" }}').render(Context({"d": date(2027, 2, 1)})).lower().startswith(expected.lower())


def test_numbers_group_as_the_language_does():
    with translation.override("ru"):
        assert plain_spaces(number_text(Decimal("1234567.891"), 2)) == "1 234 567,89"
    with translation.override("en"):
        assert number_text(1234567) == "1,234,567"


class AmountForm(forms.Form):
    amount = AmountField(required=False)
    quantity = LocalDecimalField(required=False, max_digits=8, decimal_places=2)


@pytest.mark.parametrize("language, typed", [
    ("fr", "1 000,50"), ("fr", "1\u202f000,50"), ("fr", "1000,50"), ("fr", "1000.50"),
    ("en", "1,000.50"), ("en", "1000.50"),
    ("es", "1.000,50"), ("pt", "1.000,50"), ("ru", "1 000,50"),
    ("ar", "1,000.50"), ("ar", "١٬٠٠٠٫٥٠"), ("ar", "\u200f1,000.50"),
])
def test_amount_typed_as_the_page_shows_it_saves(language, typed):
    with translation.override(language):
        form = AmountForm({"amount": typed})
        assert form.is_valid(), form.errors
        assert form.cleaned_data["amount"] == Decimal("1000.50")


def test_amount_shown_in_the_field_reads_back_as_the_same_number():
    for language in ("en", "fr", "es", "ru", "pt", "ar"):
        with translation.override(language):
            shown = AmountForm(initial={"amount": Decimal("1234567.50")})["amount"].value()
            html = str(AmountForm(initial={"amount": Decimal("1234567.50")})["amount"])
            assert AmountField().clean(AmountField().widget.format_value(shown)) == Decimal("1234567.50")
            assert 'inputmode="decimal"' in html and 'type="text"' in html


def test_english_refuses_french_notation_with_a_clear_message():
    with translation.override("en"):
        form = AmountForm({"amount": "1.000,50"})
        assert not form.is_valid()
        assert form.errors["amount"] == ["Enter a number written like 1,234.50 or 1234.50."]


def test_ambiguous_input_is_refused_in_the_users_language():
    with translation.override("es"):
        form = AmountForm({"amount": "1.000"})
        assert not form.is_valid()
        assert "1.000" in form.errors["amount"][0] and "1.234,50" in form.errors["amount"][0]
        assert "Escríbalo" in form.errors["amount"][0]
    with translation.override("fr"):
        form = AmountForm({"amount": "beaucoup"})
        assert not form.is_valid() and form.errors["amount"][0].startswith("Saisissez un nombre")


@pytest.mark.parametrize("typed", ["1,5", "1 0", "1,00,000.00", "--1", "1e5", "NaN", "Infinity", "1.000.5"])
def test_malformed_numbers_are_refused_in_english(typed):
    with translation.override("en"):
        assert not AmountForm({"amount": typed}).is_valid()


def test_parse_number_reads_whole_and_negative_numbers():
    assert parse_number("12", "fr") == Decimal("12")
    assert parse_number("-1 234,5", "fr") == Decimal("-1234.5")
    assert parse_number("  ", "en") is None


def test_russian_date_reads_as_in_a_sentence():
    with translation.override("ru"):
        assert date_text(date(2027, 2, 1)) == "1 февраля 2027"


def test_currencies_are_chosen_from_a_list_named_in_the_readers_language():
    from core.forms import CurrencyField

    with translation.override("fr"):
        choices = dict(CurrencyField().choices)
    assert list(choices)[:2] == ["", "EUR"]
    assert choices["NPR"] == "NPR – roupie népalaise" and "XOF" in choices
    assert "ADP" not in choices  # the Andorran peseta is history
    with translation.override("fr"):
        field = CurrencyField(required=False)
        assert field.clean("NPR") == "NPR"
        with pytest.raises(forms.ValidationError):
            field.clean("XYZ")
