"""Dates, numbers and money for people, in the active language: one function per kind.

Pages, rule messages, e-mails and PDFs all go through these, so "10 000 000,00 €" in French and "€10,000,000.00"
in English come from the same place (Babel's CLDR data for numbers and money, Django's localized formats for dates).
Machine formats (CSV, JSON, IATI) use `core.money.format_amount` and ISO dates instead.
"""

import re
from datetime import timezone as dt_timezone

from babel.numbers import format_currency, format_decimal
from django.utils import formats, translation

from core.money import EUR, round_money, to_decimal


def locale_name() -> str:
    """The active language as a Babel/CLDR locale name ("fr", "pt", "ar")."""
    return translation.to_locale(translation.get_language() or "en")


# CLDR's currency spacing, which Babel does not apply: a symbol made of letters ("KGS", "F CFA") is kept apart from
# the digits by a no-break space ("KGS 1,250.00", not "KGS1,250.00"); "€" and "$" stay against them.
_LETTER_THEN_DIGIT = re.compile(r"(?<=[^\W\d_])(?=\d)|(?<=\d)(?=[^\W\d_])")


def money_text(amount, currency: str = EUR) -> str:
    """An amount of money rounded to cents, in the active language's notation; '' for None."""
    if amount is None or amount == "":
        return ""
    text = format_currency(round_money(to_decimal(amount)), currency or EUR, locale=locale_name())
    return _LETTER_THEN_DIGIT.sub("\u00a0", text)


def number_text(value, places: int | None = None) -> str:
    """A number with the active language's grouping and decimal sign; `places` fixes the decimals."""
    if value is None or value == "":
        return ""
    number = to_decimal(value)
    pattern = None if places is None else "#,##0" + ("." + "0" * places if places else "")
    return format_decimal(number, format=pattern, locale=locale_name())


def date_text(value) -> str:
    """A date in the active language's long form ("1 février 2027", "1 февраля 2027"); '' for None."""
    return formats.date_format(value, "DATE_FORMAT") if value else ""


def datetime_text(value) -> str:
    """A moment in the active language's long form, in the current time zone."""
    return formats.date_format(value, "DATETIME_FORMAT") if value else ""


def utc_text(moment, *, zone=True) -> str:
    """A moment in UTC, as the long date of the active language and a 24-hour time: "1 février 2027, 12:00 UTC"."""
    if not moment:
        return ""
    moment = moment.astimezone(dt_timezone.utc)
    return f"{date_text(moment.date())}, {moment:%H:%M}" + (" UTC" if zone else "")
