from django.contrib import admin
from django.urls import include, path

from core.views import favicon, healthz

from . import outbox_views, views

handler400 = "core.views.bad_request"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", healthz, name="healthz"),
    # Browsers and crawlers ask for /favicon.ico whatever the page says; send them to the icon, not a 404 page.
    path("favicon.ico", favicon),
    path("audit/", views.audit_log, name="audit_log"),
    path("audit/export/", views.audit_log_export, name="audit_log_export"),
    path("outbox/", outbox_views.outbox, name="outbox"),
    path("outbox/export/", outbox_views.outbox_export, name="outbox_export"),
    path("outbox/<id:pk>/retry/", outbox_views.outbox_message_retry, name="outbox_message_retry"),
    path("outbox/retry-failed/", outbox_views.outbox_retry_all, name="outbox_retry_all"),
    path("", include("notifications.urls")),
    path("", include("lists.urls")),
    path("", include("accounts.urls")),
    path("", include("accounts.diligence.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("grants.grid_urls")),  # before grants.urls, whose public call pages would catch calls/<pk>/grid/
    path("", include("grants.urls")),
    path("", include("grants.risk.urls")),
    path("", include("clarifications.urls")),
    path("", include("applications.urls")),
    path("", include("applications.scoring_urls")),
    path("", include("applications.review.urls")),
    path("", include("disbursements.agreement.urls")),
    path("", include("disbursements.payment.urls")),
    path("", include("disbursements.recovery.urls")),
    path("", include("disbursements.verification.urls")),
    path("", include("disbursements.requests.urls")),
    path("", include("disbursements.programme_rules.urls")),
    path("", include("disbursements.dashboard_urls")),
    path("", include("reports.urls")),
    path("", include("reports.portal_urls")),
    path("", include("results.urls")),
    path("", include("agenda.urls")),
    path("", include("conversations.urls")),
    path("", include("opendata.urls")),
    path("", include("api.urls")),
    path("admin/", admin.site.urls),
]
