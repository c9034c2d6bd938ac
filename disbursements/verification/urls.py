from django.urls import path

from . import views

urlpatterns = [
    path("grants/<str:reference>/checks/", views.grant_checks, name="grant_checks"),
    path("checks/<id:pk>/", views.check_detail, name="check_detail"),
    path("findings/<id:pk>/", views.finding_detail, name="finding_detail"),
    path("findings/<id:pk>/answers/<id:response_pk>/document/", views.finding_document, name="finding_document"),
]
