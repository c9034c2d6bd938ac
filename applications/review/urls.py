from django.urls import path

from . import views as views

urlpatterns = [
    path("reviews/", views.reviewer_home, name="reviewer_home"),
    path("reviews/applications/<id:pk>/declare/", views.conflict_declare, name="conflict_declare"),
    path("reviews/assignments/<id:pk>/decline/", views.assignment_decline, name="assignment_decline"),
    path("screening/calls/<id:call_pk>/panel/", views.panel_manage, name="panel_manage"),
]
