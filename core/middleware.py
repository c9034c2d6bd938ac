"""Malformed input is answered with a 400 before any view, form or query sees it.

PostgreSQL cannot store or compare text with a NUL character: a NUL in the path (`/grants/%00/`), a filter
(`?q=%00`), a form field, a cookie (the session key) or a header (the Idempotency-Key, the user agent the audit
trail records) would reach the database and end in a server error. No real browser or client sends one, so such a
request is refused as a whole, here, instead of in every view that reads input. (Bytes that are not UTF-8 need no
guard: Django reads them as replacement characters, which the database stores and compares like any other.)
"""
from django.utils import translation

from .views import bad_request

NUL = "\x00"


def _has_nul(*texts) -> bool:
    return any(NUL in text for text in texts)


def _multi_dict_has_nul(values) -> bool:
    return any(_has_nul(key, *items) for key, items in values.lists())


def is_malformed(request) -> bool:
    """A NUL anywhere the site reads text from: path, query string, headers, cookies (as Django decodes them: a
    quoted cookie may spell a NUL as \\000), form fields and the names of uploaded files."""
    headers = (value for key, value in request.META.items() if key.startswith("HTTP_") and isinstance(value, str))
    uploads = (upload.name or "" for _field, files in request.FILES.lists() for upload in files)
    return (
        _has_nul(request.path, request.path_info, *headers, *request.COOKIES.keys(), *request.COOKIES.values())
        or _multi_dict_has_nul(request.GET)
        or _multi_dict_has_nul(request.POST)
        or _has_nul(*uploads)
    )


class MalformedInputMiddleware:
    """Before the session, authentication and every view: a malformed request gets the 400 answer (a short page, or
    the API's JSON error under /api/) in the language the browser asks for, and goes no further."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if is_malformed(request):
            with translation.override(translation.get_language_from_request(request)):
                return bad_request(request)
        return self.get_response(request)
