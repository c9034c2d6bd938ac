from django.urls import path

from . import views

urlpatterns = [
    path("envelope/", views.envelope, name="envelope"),
    path("envelope/allocate/", views.envelope_allocate, name="envelope_allocate"),
]
