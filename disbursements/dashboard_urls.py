from django.urls import path

from . import dashboard_views

urlpatterns = [
    path("envelope/dashboard/", dashboard_views.envelope_dashboard, name="envelope_dashboard"),
    path("envelope/status.pdf", dashboard_views.dashboard_pdf, name="dashboard_pdf"),
    path("envelope/status.csv", dashboard_views.dashboard_csv, name="dashboard_csv"),
]
