"""Pages that draw on several apps: the home page (the work inbox of each role the person holds, then a dashboard
per role) and the staff audit log."""
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts import roles as R
from accounts.access import has_role, organisations_for, require_role
from applications.selectors import applications_of_member
from .audit_list import AUDIT_LIST, COUNT_LIMIT, audit_rows
from grants.selectors import envelope_position, open_calls, programmes_with_envelope
from inbox.selectors import inbox_for, is_member
from inbox.services import visit_record
from lists.export import list_export
from lists.listing import list_page


def home(request):
    """Anonymous visitors see the programme and a sign-in form; signed-in users a page for their role."""
    if not request.user.is_authenticated:
        return render(request, "home_anonymous.html", {"form": AuthenticationForm(request), "open_calls": open_calls()})
    user = request.user
    now = timezone.now()
    # A donor observer's inbox lists what changed since the visit before this one.
    since = visit_record(actor=user, now=now).previous_at if has_role(user, R.DONOR_OBSERVER) else None
    member = is_member(user)
    context = {"open_calls": open_calls(), "inbox": inbox_for(user, now=now, member=member, since=since)}
    if has_role(user, *R.ENVELOPE_READERS):
        programme = programmes_with_envelope().first()
        context["position"] = envelope_position(programme) if programme else None
    if member:
        context["my_organisations"] = organisations_for(user).filter(memberships__user=user).distinct()
        context["my_applications"] = applications_of_member(user).order_by("-updated_at")[:5]
    return render(request, "home.html", context)


@require_GET
@login_required
def audit_log(request):
    require_role(request.user, *R.STAFF_ROLES)
    listing = list_page(AUDIT_LIST, request, audit_rows())
    return render(request, "audit/log.html", {
        "listing": listing, "export_url": reverse("audit_log_export"), "count_limit": COUNT_LIMIT,
    })


@require_GET
@login_required
def audit_log_export(request):
    require_role(request.user, *R.STAFF_ROLES)
    return list_export(AUDIT_LIST, request, audit_rows(), "audit-log")
