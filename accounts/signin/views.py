"""Sign-in pages."""
from django.contrib.auth import views as auth_views

from .services import signin_unlock


class NewPasswordView(auth_views.PasswordResetConfirmView):
    """The page of the e-mailed reset link. Setting a new password there also lifts a sign-in pause on the account:
    the link proves that the person holds the address."""

    def form_valid(self, form):
        response = super().form_valid(form)
        signin_unlock(actor=form.user, email=form.user.email, via="password_reset")
        return response
