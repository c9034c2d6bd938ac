"""The `<id:…>` path converter for database ids in page addresses.

Django's `<int:…>` matches any number of digits, so `/applications/<40 digits>/` reached the views with a number
no id column can hold. An id is 1 to 18 ASCII digits (every such number fits the 64-bit id columns); anything longer
is not an address of the site and is a 404.
"""
from django.urls.converters import IntConverter

ID_PATTERN = "[0-9]{1,18}"


class IdConverter(IntConverter):
    regex = ID_PATTERN
