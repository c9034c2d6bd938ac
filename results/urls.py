from django.urls import path

from . import views

urlpatterns = [
    path("results/", views.results_dashboard, name="results_dashboard"),
    path("results/export.csv", views.results_csv, name="results_csv"),
]
