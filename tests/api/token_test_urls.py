"""The project's URLs plus a tiny DRF view that says who a request authenticated as."""
from django.urls import include, path
from rest_framework.response import Response
from rest_framework.views import APIView


class WhoAmI(APIView):
    """Uses the project's default authentication and permission classes (IsAuthenticated), like every API view."""

    def get(self, request):
        return Response({"email": request.user.email})


urlpatterns = [
    path("", include("config.urls")),
    path("test/whoami/", WhoAmI.as_view(), name="test_whoami"),
]
