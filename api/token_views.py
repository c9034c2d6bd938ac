"""The API tokens page: each signed-in user lists, creates and revokes their own tokens.

A new key is shown once, in the response to the POST that created it: it is never put in a redirect URL, a message
or the session, and the page is sent with `Cache-Control: no-store` so the browser does not keep a copy."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.forms import show_domain_error
from core.errors import DomainError

from .models import ApiToken
from .services import token_create, token_revoke
from .token_forms import ApiTokenForm


def _render(request, *, form, new_token=None, new_key=None, error=None, status=200):
    context = {
        "tokens": ApiToken.objects.filter(user=request.user),
        "form": form,
        "new_token": new_token,
        "new_key": new_key,
        "error": error,
        "api_root": request.build_absolute_uri(reverse("api-root")),
    }
    return render(request, "api/tokens.html", context, status=status)


@never_cache
@login_required
def api_tokens(request):
    if request.method != "POST":
        return _render(request, form=ApiTokenForm())
    form = ApiTokenForm(request.POST)
    if form.is_valid():
        try:
            token, key = token_create(actor=request.user, name=form.cleaned_data["name"])
        except DomainError as error:
            show_domain_error(form, error)
        else:
            return _render(request, form=ApiTokenForm(), new_token=token, new_key=key)
    return _render(request, form=form, status=400)


@never_cache
@require_POST
@login_required
def api_token_revoke(request, pk):
    # Only the user's own tokens: another user's token id is a 404, like a token that does not exist.
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    try:
        token_revoke(actor=request.user, token=token)
    except DomainError as error:
        return _render(request, form=ApiTokenForm(), error=error.message, status=400)
    messages.success(request, _("The token “%(name)s” was revoked.") % {"name": token.name})
    return redirect("api_tokens")
