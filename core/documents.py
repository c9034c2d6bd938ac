"""The language a document is written in: the one asked for (`?lang=fr`), else the given default, else the page's."""
from django.conf import settings
from django.utils import translation


def document_language(request, default: str | None = None) -> str:
    asked = request.GET.get("lang", "")
    if asked in dict(settings.LANGUAGES):
        return asked
    return default or translation.get_language() or settings.LANGUAGE_CODE
