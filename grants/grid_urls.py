from django.urls import path

from . import grid_views as views

urlpatterns = [
    path("calls/<id:pk>/grid/", views.call_grid, name="call_grid"),
    path("calls/<id:pk>/grid/copy/", views.call_grid_copy, name="call_grid_copy"),
    path("calls/<id:pk>/grid/<id:grid_pk>/pass-mark/", views.call_grid_pass_mark, name="call_grid_pass_mark"),
    path("calls/<id:pk>/grid/<id:grid_pk>/sections/new/", views.section_add, name="call_grid_section_add"),
    path("calls/<id:pk>/grid/sections/<id:section_pk>/", views.section_edit, name="call_grid_section_edit"),
    path("calls/<id:pk>/grid/sections/<id:section_pk>/delete/", views.section_delete, name="call_grid_section_delete"),
    path("calls/<id:pk>/grid/sections/<id:section_pk>/criteria/new/", views.criterion_add, name="call_grid_criterion_add"),
    path("calls/<id:pk>/grid/criteria/<id:criterion_pk>/", views.criterion_edit, name="call_grid_criterion_edit"),
    path("calls/<id:pk>/grid/criteria/<id:criterion_pk>/delete/", views.criterion_delete, name="call_grid_criterion_delete"),
]
