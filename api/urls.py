from django.http import JsonResponse
from django.urls import include, path, re_path
from django.utils.translation import gettext as _
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView

from .reference_views import api_reference
from .routes import router


def api_not_found(request, path=""):
    """Any other address under /api/ answers in JSON, as the API's own 404s do, not with the site's HTML page."""
    return JsonResponse({"detail": _("Not found.")}, status=404)


urlpatterns = [
    path("api/v1/", include(router.urls)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("api/docs/", api_reference, name="api_docs"),
    # The ReDoc viewer's old address: its links lead to the reference page.
    path("api/redoc/", RedirectView.as_view(pattern_name="api_docs", permanent=True), name="api_redoc"),
    path("", include("api.token_urls")),
    re_path(r"^api/(?P<path>.*)$", api_not_found),
]
