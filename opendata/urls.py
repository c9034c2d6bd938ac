from django.urls import path

from . import views

urlpatterns = [
    path("open-data/", views.open_data, name="open_data"),
    path("open-data/<slug:code>/iati-activities.xml", views.iati_download, name="open_data_iati"),
    path("open-data/<slug:code>/360giving.json", views.giving_json_download, name="open_data_360giving_json"),
    path("open-data/<slug:code>/360giving.csv", views.giving_csv_download, name="open_data_360giving_csv"),
]
