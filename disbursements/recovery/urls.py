from django.urls import path

from . import views

urlpatterns = [
    path("recoveries/", views.recovery_list, name="recovery_list"),
    path("recoveries/export/", views.recovery_list_export, name="recovery_list_export"),
    path("recoveries/<id:pk>/", views.recovery_detail, name="recovery_detail"),
    path("grants/<str:reference>/recoveries/new/", views.recovery_new, name="recovery_new"),
]
