from django.urls import path

from . import views

urlpatterns = [
    path("requests/", views.request_list, name="grant_request_list"),
    path("requests/<id:pk>/", views.request_detail, name="grant_request_detail"),
    path("requests/<id:pk>/statement/", views.request_statement, name="grant_request_statement"),
    path("my/grants/<str:reference>/requests/", views.my_requests, name="my_grant_requests"),
    path("my/grants/<str:reference>/requests/payment/", views.payment_request_new, name="payment_request_new"),
    path("my/grants/<str:reference>/requests/amendment/", views.amendment_request_new, name="amendment_request_new"),
]
