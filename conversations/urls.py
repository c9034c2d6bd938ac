from django.urls import path

from . import views

urlpatterns = [
    path("applications/<id:pk>/messages/", views.application_messages, name="application_messages"),
    path("applications/<id:pk>/messages/<id:message_pk>/share/", views.share_with_panel, name="conversation_share"),
    path("grants/<str:reference>/messages/", views.grant_messages, name="grant_messages"),
    path("messages/<id:message_pk>/file/", views.message_file, name="conversation_file"),
]
