from django.urls import path

from . import views

urlpatterns = [
    path("accounts/login/code/", views.signin_code, name="signin_code"),
    path("account/two-factor/", views.two_factor, name="two_factor"),
    # The admin site signs people in through the same two steps (config/urls.py includes this before the admin's
    # own login page). A signed-in person without admin access sees the form, as on the admin's page.
    path("admin/login/", views.SignInView.as_view()),
]
