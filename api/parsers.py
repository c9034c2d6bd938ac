"""The API's JSON parser: DRF's, with bounds checked before anything is parsed.

Python's json module recurses once per level of nesting, so `[[[[…]]]]` a few thousand levels deep raised
RecursionError (a server error) in the middle of parsing. The body's size and its nesting are checked first, on the
text, and too much of either is a 400 like any malformed body. No request of this API nests more than two levels.
"""
import re

from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.parsers import get_encoding
from rest_framework.utils import json

MAX_BODY_BYTES = 1024 * 1024
MAX_DEPTH = 32

# A JSON string, escapes included (the brackets inside it are text, not nesting), or one bracket.
_STRING_OR_BRACKET = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)


def nested_deeper_than(text: str, limit: int) -> bool:
    """Whether the arrays and objects of a JSON text nest more than `limit` levels deep, counted without parsing."""
    depth = 0
    for token in _STRING_OR_BRACKET.finditer(text):
        bracket = token.group()
        if bracket in "[{":
            depth += 1
            if depth > limit:
                return True
        elif bracket in "]}":
            depth -= 1
    return False


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        body = stream.read(MAX_BODY_BYTES + 1)
        if len(body) > MAX_BODY_BYTES:
            raise ParseError(_("The request body is larger than %(size)d KB.") % {"size": MAX_BODY_BYTES // 1024})
        try:
            text = body.decode(get_encoding(parser_context or {}))
        except UnicodeDecodeError:
            raise ParseError(_("The request body is not text in its character set (UTF-8 unless the Content-Type names another).")) from None
        if nested_deeper_than(text, MAX_DEPTH):
            raise ParseError(_("The JSON body nests more than %(depth)d levels deep.") % {"depth": MAX_DEPTH})
        try:
            return json.loads(text, parse_constant=json.strict_constant if self.strict else None)
        except ValueError as exc:
            raise ParseError(_("The request body is not valid JSON: %(error)s.") % {"error": exc}) from None
