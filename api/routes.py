"""The /api/v1/ routes (api.urls mounts them)."""
from rest_framework.routers import DefaultRouter

from . import views
from .payments import PaymentViewSet

router = DefaultRouter()
router.register("calls", views.CallViewSet, basename="call")
router.register("organisations", views.OrganisationViewSet, basename="organisation")
router.register("applications", views.ApplicationViewSet, basename="application")
router.register("reviews", views.ReviewViewSet, basename="review")
router.register("grants", views.GrantViewSet, basename="grant")
router.register("tranches", views.TrancheViewSet, basename="tranche")
router.register("reports", views.ReportViewSet, basename="report")
router.register("payments", PaymentViewSet, basename="payment")
router.register("envelope", views.EnvelopeViewSet, basename="envelope")
router.register("results", views.ResultsViewSet, basename="results")
