"""URLs of due diligence: documents, officer verification, flags and sanctions matches."""
from django.urls import path

from . import views as views

urlpatterns = [
    path("due-diligence/", views.overview, name="diligence_overview"),
    path("due-diligence/export/", views.overview_export, name="diligence_overview_export"),
    path("organisations/<id:pk>/due-diligence/", views.checklist, name="diligence_checklist"),
    path(
        "organisations/<id:pk>/due-diligence/documents/<slug:kind>/upload/", views.upload, name="diligence_upload"
    ),
    path(
        "organisations/<id:pk>/due-diligence/files/<id:document_pk>/", views.download, name="diligence_download"
    ),
    path(
        "organisations/<id:pk>/due-diligence/files/<id:document_pk>/review/", views.review, name="diligence_review"
    ),
    path("organisations/<id:pk>/due-diligence/flags/", views.flag_create, name="diligence_flag_raise"),
    path(
        "organisations/<id:pk>/due-diligence/flags/<id:flag_pk>/resolve/",
        views.flag_decide,
        name="diligence_flag_resolve",
    ),
    path("organisations/<id:pk>/due-diligence/verify/", views.verify, name="diligence_verify"),
    path("organisations/<id:pk>/due-diligence/unverify/", views.unverify, name="diligence_unverify"),
    path("organisations/<id:pk>/due-diligence/screen/", views.screen, name="diligence_screen"),
]
