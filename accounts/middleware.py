"""Signed-in people see pages in the language of their account, whatever the browser asks for."""
from django.utils import translation


class UserLanguageMiddleware:
    """Runs after authentication; visitors keep what LocaleMiddleware chose (cookie, then Accept-Language)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.language:
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        return self.get_response(request)
