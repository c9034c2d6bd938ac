"""Database ids read from requests: the `<id:…>` path converter, and `as_id` for ids in query strings and forms.

Django's `<int:…>` matches any number of digits, so `/applications/<40 digits>/` reached the views with a number
no id column can hold; and `str.isdigit()` is true of "²" and of 5000 digits, which `int()` then refuses. An id is 1
to 18 ASCII digits (every such number fits the 64-bit id columns); anything else is no id: a 404 in an address, and
no object (or no filter) in a query string or form.
"""
import re

from django.urls.converters import IntConverter

ID_PATTERN = "[0-9]{1,18}"
MAX_ID = 10**18 - 1


class IdConverter(IntConverter):
    regex = ID_PATTERN


def as_id(text) -> int | None:
    """The id `text` spells, or None when it is not one."""
    return int(text) if isinstance(text, str) and re.fullmatch(ID_PATTERN, text) else None
