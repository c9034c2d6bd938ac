from django.urls import path

from . import views

urlpatterns = [
    path("lists/views/", views.saved_view_save_view, name="saved_view_save"),
    path("lists/views/<id:pk>/delete/", views.saved_view_delete_view, name="saved_view_delete"),
    path("lists/jobs/<id:pk>/", views.bulk_job, name="bulk_job"),
]
