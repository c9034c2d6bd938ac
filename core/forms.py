"""Form fields shared by every app: numbers and amounts typed the way the reader's language writes them.

A French user sees "1 000,50" in an amount field and may type it back as shown, or as "1000,50", or in the plain
machine form "1000.50"; an English user types "1,000.50" or "1000.50". Input that two readings would give two
different numbers ("1.000" in Spanish: one thousand, or one?) is refused with both forms shown, never guessed.
"""
import re
from decimal import Decimal, InvalidOperation

from babel.core import get_global
from babel.numbers import format_decimal, get_currency_name, get_decimal_symbol, get_group_symbol
from django import forms
from django.utils.translation import gettext_lazy as _

from core.converters import MAX_ID
from core.formats import locale_name

# Digits of other scripts a phone keyboard may send (Arabic-Indic, Eastern Arabic-Indic), and the Arabic separators.
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_BIDI_MARKS = dict.fromkeys(map(ord, "\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e"))
_PLAIN = re.compile(r"[+-]?\d+(?:\.\d+)?")


class AmbiguousNumber(ValueError):
    """The text reads as two different numbers (in the locale's notation and in the plain one)."""


def _local_pattern(group, decimal):
    g, d = re.escape(group), re.escape(decimal)
    return re.compile(rf"([+-]?)(\d{{1,3}}(?:{g}\d{{3}})+|\d+)(?:{d}(\d+))?")


def parse_number(text: str, locale: str | None = None) -> Decimal | None:
    """The number in `text`, read in the locale's notation or the plain '1234.50' form; None for blank.

    Raises ValueError for what is not a number, AmbiguousNumber when the two readings differ."""
    locale = locale or locale_name()
    text = (text or "").translate(_BIDI_MARKS).translate(_DIGITS).replace("٫", ".").replace("٬", ",").strip()
    if not text:
        return None
    group, decimal = get_group_symbol(locale), get_decimal_symbol(locale)
    if group.isspace():
        # People type an ordinary space where the language groups with a (narrow) no-break space.
        text = re.sub(r"\s", group, text)
    readings = set()
    if _PLAIN.fullmatch(text):
        readings.add(Decimal(text))
    local = _local_pattern(group, decimal).fullmatch(text)
    if local:
        sign, whole, fraction = local.groups()
        readings.add(Decimal(f"{sign}{whole.replace(group, '')}" + (f".{fraction}" if fraction is not None else "")))
    if not readings:
        raise ValueError(text)
    if len(readings) > 1:
        raise AmbiguousNumber(text)
    return readings.pop()


def local_example(value="1234.50") -> str:
    """How the active language writes `value`, grouped, for help texts and messages."""
    return format_decimal(Decimal(value), format="#,##0.00", locale=locale_name())


class LocalNumberInput(forms.TextInput):
    """A text box (not type=number, which refuses the locale's separators) with a decimal keypad on phones, showing
    its value in the active language's notation."""

    input_type = "text"

    def __init__(self, attrs=None, pattern="#,##0.##"):
        super().__init__({"inputmode": "decimal", "autocomplete": "off", **(attrs or {})})
        self.pattern = pattern  # CLDR number pattern: "#,##0.00" always shows cents, "#,##0.##" only what is there

    def format_value(self, value):
        if isinstance(value, (Decimal, int)) and not isinstance(value, bool):
            return format_decimal(value, format=self.pattern, locale=locale_name())
        return super().format_value(value)


class LocalDecimalField(forms.DecimalField):
    """A DecimalField that reads the active language's notation and the plain form (see `parse_number`)."""

    default_error_messages = {
        "invalid": _("Enter a number written like %(local)s or %(plain)s."),
        "ambiguous": _("“%(value)s” can be read in two ways. Write it like %(local)s or %(plain)s."),
    }

    pattern = None  # by default as many optional decimals as the field allows

    def __init__(self, **kwargs):
        kwargs.pop("localize", None)
        super().__init__(**kwargs)
        pattern = self.pattern or "#,##0" + ("." + "#" * self.decimal_places if self.decimal_places else "")
        self.widget = LocalNumberInput(attrs=self.widget.attrs, pattern=pattern)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, Decimal):
            return value
        examples = {"local": local_example(), "plain": "1234.50"}
        try:
            number = parse_number(str(value))
        except AmbiguousNumber:
            raise forms.ValidationError(
                self.error_messages["ambiguous"], code="ambiguous", params={"value": str(value).strip(), **examples}
            ) from None
        except (ValueError, InvalidOperation):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid", params=examples) from None
        return number

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.pop("step", None)
        attrs.pop("min", None)
        attrs.pop("max", None)
        return attrs


class AmountField(LocalDecimalField):
    """An amount of money: two decimals at most, shown with two."""

    pattern = "#,##0.00"

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(**kwargs)


def _current_currencies() -> list[str]:
    """ISO 4217 codes legal tender somewhere today (CLDR's territory data), EUR first."""
    codes = {code for entries in get_global("territory_currencies").values() for code, _start, end, tender in entries
             if end is None and tender}
    return ["EUR", *sorted(codes - {"EUR"})]


def currency_choices():
    """Each current currency as "NPR – roupie népalaise", named in the reader's language."""
    return [("", "—"), *((code, f"{code} – {get_currency_name(code, locale=locale_name())}") for code in _current_currencies())]


class CurrencyField(forms.ChoiceField):
    """A currency chosen from a list instead of typed; the services still check the code."""

    def __init__(self, **kwargs):
        kwargs.setdefault("choices", currency_choices)
        super().__init__(**kwargs)


class BoundedModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Django's field, where an id too large for the database is a wrong choice like any unknown one: SQLite cannot
    bind such a number and raises OverflowError as the choices are looked up (PostgreSQL finds nothing)."""

    def clean(self, value):
        try:
            return super().clean(value)
        except OverflowError:
            raise forms.ValidationError(
                forms.ModelChoiceField.default_error_messages["invalid_choice"], code="invalid_choice"
            ) from None


class IdField(forms.IntegerField):
    """An object's id sent with a form (the hidden id of a formset's row): a whole number an id column can hold, as
    ids in addresses are (core.converters), so that a longer one is a wrong value rather than a failing query."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)
