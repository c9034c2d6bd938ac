from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


@never_cache
@require_GET
def healthz(request):
    """Liveness and database reachability, for load balancers and uptime checks."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


@require_GET
def favicon(request):
    """Browsers and crawlers ask for /favicon.ico whatever the page links: send them to the icon, not a 404 page."""
    return redirect(static("favicon.svg"), permanent=True)


def bad_request(request, exception=None):
    """The 400 answer (handler400, and core.middleware for malformed input): the API's JSON error under /api/, a short
    page in the site's layout elsewhere. Django's own 400 page would be rendered without the request, so without the
    layout's navigation and language."""
    if request.path_info.startswith("/api/"):
        message = _("The request could not be read: it contains characters or values that are not allowed.")
        return JsonResponse({"detail": message}, status=400)
    return render(request, "400.html", status=400)
