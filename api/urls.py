from django.http import JsonResponse
from django.urls import include, path, re_path
from django.utils.translation import gettext as _
from csp.decorators import csp_update
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from .routes import router


def api_not_found(request, path=""):
    """Any other address under /api/ answers in JSON, as the API's own 404s do, not with the site's HTML page."""
    return JsonResponse({"detail": _("Not found.")}, status=404)


# ReDoc draws its page with <style> elements it writes while running (styled-components) and runs its search in a
# worker made from a blob: URL; the site's policy refuses both, and the page then fails to draw. This one page may
# apply inline styles and start such a worker; its scripts are still this site's files only, and it shows nothing
# but this API's schema. (Its footer's Redocly logo, from another site, stays blocked; ReDoc then leaves it out.)
REDOC_POLICY = {"style-src": "'unsafe-inline'", "worker-src": ["'self'", "blob:"]}


def redoc_policy(view):
    for report_only in (False, True):
        view = csp_update(REDOC_POLICY, REPORT_ONLY=report_only)(view)
    return view


urlpatterns = [
    path("api/v1/", include(router.urls)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    # No inline script on either page, as the Content-Security-Policy requires: the split view serves Swagger UI's
    # start-up script at /api/docs/?script; our templates drop the inline <style> of both pages.
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api_schema", template_name="api/swagger_ui.html"),
        name="api_docs",
    ),
    path(
        "api/redoc/",
        redoc_policy(SpectacularRedocView.as_view(url_name="api_schema", template_name="api/redoc.html")),
        name="api_redoc",
    ),
    path("", include("api.token_urls")),
    re_path(r"^api/(?P<path>.*)$", api_not_found),
]
