from django.urls import path

from . import call_list_views, ranking_views, views

urlpatterns = [
    path("calls/<slug:code>/<str:reference>/apply/", views.apply, name="application_apply"),
    path("applications/", views.dashboard, name="applications_dashboard"),
    path("applications/<id:pk>/", views.application_detail, name="application_detail"),
    path("applications/<id:pk>/edit/", views.application_edit, name="application_edit"),
    path("applications/<id:pk>/attachments/<id:attachment_pk>/", views.attachment_download, name="attachment_download"),
    path("applications/<id:pk>/submit/", views.application_submit, name="application_submit"),
    path("applications/<id:pk>/receipt/", views.application_receipt, name="application_receipt"),
    path("applications/<id:pk>/pdf/", views.application_pdf_download, name="application_pdf"),
    path("applications/<id:pk>/withdraw/", views.application_withdraw, name="application_withdraw"),
    path("screening/", views.screening_calls, name="screening_calls"),
    path("screening/calls/<id:call_pk>/", call_list_views.screening_list, name="screening_list"),
    path("screening/calls/<id:call_pk>/export/", call_list_views.screening_export, name="screening_export"),
    path("screening/calls/<id:call_pk>/bulk/", call_list_views.screening_bulk, name="screening_bulk"),
    path("screening/applications/<id:pk>/", views.screening_detail, name="screening_detail"),
    path("screening/calls/<id:call_pk>/ranking/", ranking_views.ranking, name="ranking"),
    path("screening/calls/<id:call_pk>/ranking/confirm/", ranking_views.confirm_proposal, name="ranking_confirm"),
    path("screening/calls/<id:call_pk>/ranking.csv", ranking_views.ranking_csv, name="ranking_csv"),
    path("screening/calls/<id:call_pk>/committee-report.pdf", ranking_views.committee_report, name="committee_report"),
    path("applications/<id:pk>/decision-letter.pdf", ranking_views.decision_letter, name="decision_letter"),
    path("screening/calls/<id:call_pk>/ranking/<id:application_pk>/decide/", ranking_views.decide, name="award_decide"),
    path("screening/calls/<id:call_pk>/ranking/<id:application_pk>/moderate/", ranking_views.moderate, name="score_moderate"),
]
