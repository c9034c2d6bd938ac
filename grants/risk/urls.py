"""URLs of partner risk and assurance."""
from django.urls import path

from . import views

urlpatterns = [
    path("organisations/<id:pk>/risk/", views.risk_profile, name="risk_profile"),
    path("organisations/<id:pk>/risk/assessments/new/", views.assessment_new, name="risk_assessment_new"),
    path("organisations/<id:pk>/risk/assessments/import/", views.assessment_import, name="risk_assessment_import"),
    path("organisations/<id:pk>/risk/assessments/<id:assessment_pk>/report/", views.assessment_report,
         name="risk_assessment_report"),
    path("organisations/<id:pk>/risk/psea/", views.psea_self_assessment, name="psea_self_assessment"),
    path("organisations/<id:pk>/risk/psea/<id:psea_pk>/rate/", views.psea_rate, name="psea_rate"),
    path("assurance/", views.coverage, name="assurance_coverage"),
    path("assurance/grants/<str:reference>/", views.grant_assurance, name="grant_assurance"),
    path("assurance/rules/<slug:code>/", views.risk_rules, name="risk_rules"),
]
