from django.urls import path

from . import views

urlpatterns = [
    path("programmes/<slug:code>/rules/", views.programme_rules, name="programme_rules"),
]
