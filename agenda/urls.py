from django.urls import path

from . import views

urlpatterns = [
    path("agenda/<slug:token>.ics", views.feed, name="agenda_feed"),
    path("account/calendar/", views.account_calendar, name="account_calendar"),
    path("account/calendar/revoke/", views.account_calendar_revoke, name="account_calendar_revoke"),
]
