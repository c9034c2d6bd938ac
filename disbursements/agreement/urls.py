from django.urls import path

from . import views as views

urlpatterns = [
    path("grants/", views.grant_list, name="grant_list"),
    path("grants/export/", views.grant_list_export, name="grant_list_export"),
    path("grants/<str:reference>/", views.grant_detail, name="grant_detail"),
    path("grants/<str:reference>/edit/", views.grant_edit, name="grant_edit"),
    path("grants/<str:reference>/sign/", views.grant_sign, name="grant_sign"),
    path("grants/<str:reference>/status/", views.grant_status, name="grant_status"),
    path("grants/<str:reference>/amend/<str:kind>/", views.grant_amend, name="grant_amend"),
    path("grants/<str:reference>/agreement.pdf", views.agreement_pdf, name="agreement_pdf"),
    path("grants/<str:reference>/agreement/v<id:number>.pdf", views.agreement_version_pdf, name="agreement_version_pdf"),
]
