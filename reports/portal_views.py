"""The grantee portal: a CSO member's grants, what was received, what comes next and which report is due.

Access: only members of an organisation (any member role) use these pages, and see their own organisations'
grants; another organisation's grant is a 404. Programme staff and donor observers read grants on the staff pages,
so the grant page sends them to `grant_detail`; anyone else who belongs to no organisation gets 403.
"""
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render

from accounts import roles as R
from accounts.access import has_role
from grants.access import can_report_for, grant_for

from .portal_selectors import grant_payments, grant_views, member_grants, member_organisations


def _require_member(user):
    if not member_organisations(user).exists():
        raise PermissionDenied


@login_required
def my_grants(request):
    _require_member(request.user)
    views = grant_views(member_grants(request.user).order_by("-created_at", "reference"))
    return render(request, "reports/portal_grants.html", {"views": views})


@login_required
def my_grant(request, reference):
    user = request.user
    try:
        grant = grant_for(user, reference, queryset=member_grants(user))
    except Http404:
        if has_role(user, *R.ENVELOPE_READERS):
            grant_for(user, reference)  # a missing grant stays a 404
            return redirect("grant_detail", reference=reference)
        _require_member(user)
        raise
    view = grant_views([grant])[0]
    return render(request, "reports/portal_grant.html", {
        "view": view,
        "grant": grant,
        "states": view.states,
        "payments": grant_payments(grant),
        "versions": list(grant.versions.order_by("number")),
        "can_report": can_report_for(user, grant),
    })
