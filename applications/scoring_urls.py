from django.urls import path

from . import scoring_views

urlpatterns = [
    path("reviews/assignments/<int:assignment_pk>/score/", scoring_views.review_score, name="review_score"),
    path("screening/calls/<int:call_pk>/reviews/", scoring_views.review_progress, name="review_progress"),
]
