"""The calendar feed (read by calendar apps, no session: the secret address is the credential) and the account page
that makes, replaces and revokes it."""
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from core.errors import DomainError
from core.mail import language_of

from .ical import calendar
from .models import CalendarFeed
from .selectors import feed_events
from .services import feed_create, feed_revoke, token_hash

# token_urlsafe(32) is 43 characters; anything much longer is not a token, and is not hashed.
MAX_TOKEN_LENGTH = 64


@require_GET
def feed(request, token):
    if len(token) > MAX_TOKEN_LENGTH:
        raise Http404
    found = (CalendarFeed.objects.select_related("user")
             .filter(token_hash=token_hash(token), revoked_at__isnull=True, user__is_active=True).first())
    if found is None:
        raise Http404
    user = found.user
    with translation.override(language_of(user)):
        body = calendar(feed_events(user), name=_("CSO Grants: %(name)s") % {"name": user.get_full_name() or user.email},
                        now=timezone.now())
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="cso-grants.ics"'
    return response


def _render(request, *, feed_url=None, status=200):
    active = CalendarFeed.objects.filter(user=request.user, revoked_at__isnull=True).first()
    return render(request, "agenda/calendar.html", {"active": active, "feed_url": feed_url}, status=status)


@never_cache
@login_required
def account_calendar(request):
    if request.method == "POST":
        _feed, token = feed_create(actor=request.user)
        return _render(request, feed_url=settings.SITE_URL.rstrip("/") + reverse("agenda_feed", args=[token]))
    return _render(request)


@never_cache
@require_POST
@login_required
def account_calendar_revoke(request):
    try:
        feed_revoke(actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Your calendar feed was revoked: calendar apps can no longer read it."))
    return redirect("account_calendar")
