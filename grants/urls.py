from django.urls import path

from . import views

urlpatterns = [
    path("envelope/", views.envelope, name="envelope"),
    path("envelope/allocate/", views.envelope_allocate, name="envelope_allocate"),
    path("calls/", views.call_list, name="call_list"),
    path("calls/<slug:programme_code>/<str:reference>/", views.call_detail, name="call_detail"),
    path(
        "calls/<slug:programme_code>/<str:reference>/documents/<id:pk>/", views.call_document, name="call_document"
    ),
]
