from django.urls import path

from . import entry, logframe_views, views

urlpatterns = [
    path("results/", views.results_dashboard, name="results_dashboard"),
    path("results/export.csv", views.results_csv, name="results_csv"),
    path("results/report.pdf", views.results_pdf, name="results_pdf"),
    path("grants/<str:reference>/results/<id:period_number>/", entry.results_entry, name="results_entry"),
    path("results/review/<str:reference>/<id:period_number>/", entry.results_review, name="results_review"),
    path("applications/<id:pk>/indicators/", logframe_views.application_indicators, name="application_indicators"),
]
