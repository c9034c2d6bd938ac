"""The API reference page: the site's own page for the OpenAPI schema (api/reference.py), open to everyone."""
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import get_language

from .reference import reference_html


def api_reference(request):
    return render(request, "api/reference.html", {
        "reference": reference_html(language=get_language(), base_url=request.build_absolute_uri("/").removesuffix("/")),
        # A visitor is offered a token only through signing in: the tokens page is for signed-in people.
        "login_url": f"{reverse('login')}?{urlencode({'next': reverse('api_tokens')})}",
    })
