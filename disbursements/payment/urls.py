from django.urls import path

from . import views as views

urlpatterns = [
    path("payments/", views.payment_queue, name="payment_queue"),
    path("payments/export/", views.payment_queue_export, name="payment_queue_export"),
    path("payments/new/<id:tranche_id>/", views.payment_new, name="payment_new"),
    path("payments/<id:pk>/", views.payment_detail, name="payment_detail"),
    path("payments/<id:pk>/order.pdf", views.payment_order, name="payment_order_pdf"),
    path("fx-rates/", views.fx_rates, name="fx_rates"),
    path("fx-rates/import/", views.fx_rates_import, name="fx_rates_import"),
]
