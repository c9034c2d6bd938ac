from django.urls import path

from . import views

urlpatterns = [
    path("grants/<str:reference>/reports/", views.report_list, name="report_list"),
    path("reports/", views.report_queue, name="report_queue"),
    path("reports/export/", views.report_queue_export, name="report_queue_export"),
    path("reports/<id:pk>/", views.report_edit, name="report_edit"),
    path("reports/<id:pk>/review/", views.report_review, name="report_review"),
    path("reports/<id:pk>/versions/<id:number>/", views.report_version, name="report_version"),
    path("reports/<id:pk>/versions/<id:number>/budget.csv", views.report_budget_csv, name="report_budget_csv"),
    path("reports/<id:pk>/attachments/<id:attachment_pk>/", views.report_attachment, name="report_attachment"),
]
