from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views
from .forms import PasswordResetInLanguageForm
from .signin.views import NewPasswordView, SignInView

urlpatterns = [
    path("accounts/login/", SignInView.as_view(redirect_authenticated_user=True), name="login"),
    path("", include("accounts.signin.urls")),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password-reset/",
        auth_views.PasswordResetView.as_view(form_class=PasswordResetInLanguageForm),
        name="password_reset",
    ),
    path("accounts/password-reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "accounts/password-reset/<uidb64>/<token>/",
        NewPasswordView.as_view(),
        name="password_reset_confirm",
    ),
    path("accounts/password-reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("accounts/signup/", views.signup, name="signup"),
    path("accounts/signup/sent/", views.signup_sent, name="signup_sent"),
    path("account/", views.account, name="account"),
    path("i18n/setlang/", views.set_language, name="set_language"),
    path("accounts/verify/", views.check_email, name="check_email"),
    path("accounts/verify/resend/", views.verification_resend, name="verification_resend"),
    path("accounts/verify/<str:token>/", views.verify_email, name="verify_email"),
    path("organisations/<id:pk>/", views.organisation_detail, name="organisation_detail"),
    path("organisations/<id:pk>/edit/", views.organisation_edit, name="organisation_edit"),
    path("organisations/<id:pk>/bank/", views.organisation_bank, name="organisation_bank"),
    path("organisations/<id:pk>/invitations/", views.invitation_new, name="invitation_new"),
    path(
        "organisations/<id:pk>/invitations/<id:invitation_pk>/withdraw/",
        views.invitation_withdraw,
        name="invitation_withdraw",
    ),
    path("organisations/<id:pk>/members/role/", views.member_role, name="member_role"),
    path("organisations/<id:pk>/members/remove/", views.member_remove, name="member_remove"),
    path("invitations/<str:token>/", views.invitation, name="invitation"),
]
