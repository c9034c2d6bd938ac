from django.urls import path

from . import views

urlpatterns = [path("envelope/", views.envelope, name="envelope")]
