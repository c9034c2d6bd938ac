from django.urls import path

from . import views

urlpatterns = [
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/<id:pk>/open/", views.notification_open, name="notification_open"),
    path("notifications/read-all/", views.notification_mark_all_read, name="notification_mark_all_read"),
    path("account/notifications/", views.notification_preferences, name="notification_preferences"),
]
