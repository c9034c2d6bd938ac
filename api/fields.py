"""Input fields of the API that read exactly what docs/API.md documents, and nothing Python would also accept.

DRF's DecimalField hands the text to Python's Decimal, which reads "1_000", " +100.00 ", Arabic-Indic digits and
JSON numbers (a float has lost the exact amount before it arrives); PrimaryKeyRelatedField hands the value to the
database, which reads 1.5 and true as the id 1.
"""
import re

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import serializers


class DecimalString(serializers.DecimalField):
    """A decimal sent as a JSON string: ASCII digits, an optional minus sign and point, at most `decimal_places`
    decimals and `max_digits - decimal_places` digits before the point, e.g. "83541.78". Whether a negative value
    makes sense is for the service to say, with its own message."""

    default_error_messages = {
        "format": _(
            'Send the number as a string of digits, at most {whole} before the point and {places} after it, e.g. '
            '"1234.50" (not a JSON number).'
        ),
    }

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.pattern = re.compile(rf"-?[0-9]{{1,{self.max_whole_digits}}}(?:\.[0-9]{{1,{self.decimal_places}}})?")

    def to_internal_value(self, data):
        if not isinstance(data, str) or not self.pattern.fullmatch(data):
            self.fail("format", whole=self.max_whole_digits, places=self.decimal_places)
        return super().to_internal_value(data)


class MoneyString(DecimalString):
    """An amount of money: two decimals, at most 12 digits before the point unless `max_digits` allows more."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(**kwargs)


class DecimalStringScheme(OpenApiSerializerFieldExtension):
    """The schema shows the pattern the field enforces (drf-spectacular's default also allows "", "-" and "5.")."""

    target_class = DecimalString
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        return {**schema, "pattern": f"^{self.target.pattern.pattern}$"}


class IdRelatedField(serializers.PrimaryKeyRelatedField):
    """An object by its id, sent as a JSON integer: not a string, a fraction (1.5 was read as 1) or a boolean."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("incorrect_type", data_type=type(data).__name__)
        return super().to_internal_value(data)
