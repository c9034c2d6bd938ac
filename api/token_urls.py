from django.urls import path

from . import token_views

urlpatterns = [
    path("account/api-tokens/", token_views.api_tokens, name="api_tokens"),
    path("account/api-tokens/<id:pk>/revoke/", token_views.api_token_revoke, name="api_token_revoke"),
]
