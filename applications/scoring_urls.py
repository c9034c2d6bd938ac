from django.urls import path

from . import scoring_views

urlpatterns = [
    path("reviews/assignments/<id:assignment_pk>/score/", scoring_views.review_score, name="review_score"),
    path("screening/calls/<id:call_pk>/reviews/", scoring_views.review_progress, name="review_progress"),
]
