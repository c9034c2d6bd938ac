from django.urls import path

from . import views

urlpatterns = [
    path("grants/<str:reference>/reports/", views.report_list, name="report_list"),
    path("reports/", views.report_queue, name="report_queue"),
    path("reports/<int:pk>/", views.report_edit, name="report_edit"),
    path("reports/<int:pk>/review/", views.report_review, name="report_review"),
    path("reports/<int:pk>/versions/<int:number>/", views.report_version, name="report_version"),
    path("reports/<int:pk>/attachments/<int:attachment_pk>/", views.report_attachment, name="report_attachment"),
]
