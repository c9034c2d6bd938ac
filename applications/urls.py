from django.urls import path

from . import ranking_views, views

urlpatterns = [
    path("calls/<slug:code>/<str:reference>/apply/", views.apply, name="application_apply"),
    path("applications/", views.dashboard, name="applications_dashboard"),
    path("applications/<int:pk>/", views.application_detail, name="application_detail"),
    path("applications/<int:pk>/edit/", views.application_edit, name="application_edit"),
    path("applications/<int:pk>/attachments/<int:attachment_pk>/", views.attachment_download, name="attachment_download"),
    path("applications/<int:pk>/receipt/", views.application_receipt, name="application_receipt"),
    path("applications/<int:pk>/pdf/", views.application_pdf_download, name="application_pdf"),
    path("applications/<int:pk>/withdraw/", views.application_withdraw, name="application_withdraw"),
    path("screening/", views.screening_calls, name="screening_calls"),
    path("screening/calls/<int:call_pk>/", views.screening_list, name="screening_list"),
    path("screening/applications/<int:pk>/", views.screening_detail, name="screening_detail"),
    path("screening/calls/<int:call_pk>/ranking/", ranking_views.ranking, name="ranking"),
    path("screening/calls/<int:call_pk>/ranking.csv", ranking_views.ranking_csv, name="ranking_csv"),
    path("screening/calls/<int:call_pk>/committee-report.pdf", ranking_views.committee_report, name="committee_report"),
    path("applications/<int:pk>/decision-letter.pdf", ranking_views.decision_letter, name="decision_letter"),
    path("screening/calls/<int:call_pk>/ranking/<int:application_pk>/decide/", ranking_views.decide, name="award_decide"),
    path("screening/calls/<int:call_pk>/ranking/<int:application_pk>/moderate/", ranking_views.moderate, name="score_moderate"),
]
