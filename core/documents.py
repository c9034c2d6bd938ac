"""Documents sent to a browser: the language they are written in, and the response that carries them."""
from django.conf import settings
from django.http import HttpResponse
from django.utils import translation


def document_language(request, default: str | None = None) -> str:
    """The one asked for (`?lang=fr`), else `default`, else the page's language."""
    asked = request.GET.get("lang", "")
    if asked in dict(settings.LANGUAGES):
        return asked
    return default or translation.get_language() or settings.LANGUAGE_CODE


def pdf_response(content: bytes, filename: str) -> HttpResponse:
    """A PDF downloaded as a file (phones keep it; no viewer opens it in the page), never kept by a cache: some hold
    bank details or reviewers' names."""
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response
