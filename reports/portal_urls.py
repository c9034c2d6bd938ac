from django.urls import path

from . import portal_views

urlpatterns = [
    path("my/grants/", portal_views.my_grants, name="my_grants"),
    path("my/grants/<str:reference>/", portal_views.my_grant, name="my_grant"),
]
