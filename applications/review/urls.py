from django.urls import path

from . import views as views

urlpatterns = [
    path("reviews/", views.reviewer_home, name="reviewer_home"),
    path("reviews/applications/<int:pk>/declare/", views.conflict_declare, name="conflict_declare"),
    path("reviews/assignments/<int:pk>/decline/", views.assignment_decline, name="assignment_decline"),
    path("screening/calls/<int:call_pk>/panel/", views.panel_manage, name="panel_manage"),
]
