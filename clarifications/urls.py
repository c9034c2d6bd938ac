from django.urls import path

from . import views

urlpatterns = [
    path("calls/<slug:programme_code>/<str:reference>/questions/ask/", views.question_ask, name="call_question_ask"),
    path("screening/calls/<id:call_pk>/questions/", views.call_questions, name="call_questions"),
    path("screening/questions/<id:pk>/<slug:action>/", views.question_act, name="call_question_act"),
]
