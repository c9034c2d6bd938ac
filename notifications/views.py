"""A person's notifications (`/notifications/`) and how they want to hear of each kind (`/account/notifications/`)."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.errors import DomainError

from .forms import PreferencesForm
from .selectors import notification_for, notifications_of, preferences_of
from .services import mark_all_read, mark_read, role_names, set_preferences

PAGE_SIZE = 25


@require_GET
@login_required
def notification_list(request):
    page = Paginator(notifications_of(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "notifications/list.html", {"page": page})


@require_http_methods(["GET", "POST"])
@login_required
def notification_open(request, pk):
    """Mark the notification read and go to what it is about. Someone else's is a 404."""
    notification = notification_for(request.user, pk)
    mark_read(actor=request.user, notification=notification)
    url = notification.url
    if not url_has_allowed_host_and_scheme(url, allowed_hosts=set()):  # stored as a path; never leave the site
        url = "notifications"
    return redirect(url)


@require_POST
@login_required
def notification_mark_all_read(request):
    count = mark_all_read(actor=request.user)
    messages.success(request, ngettext("%(count)d notification marked as read.",
                                       "%(count)d notifications marked as read.", count) % {"count": count})
    return redirect("notifications")


@require_http_methods(["GET", "POST"])
@login_required
def notification_preferences(request):
    form = PreferencesForm(
        request.POST if request.method == "POST" else None,
        preferences=preferences_of(request.user, role_names(request.user)),
    )
    if request.method == "POST" and form.is_valid():
        try:
            set_preferences(actor=request.user, choices=form.cleaned_data)
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, _("Your notification choices are saved."))
            return redirect("notification_preferences")
    return render(request, "notifications/preferences.html", {"form": form}, status=400 if form.errors else 200)
