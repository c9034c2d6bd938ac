from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from .access import can_on, organisation_for
from .models import Membership


@login_required
def organisation_detail(request, pk):
    organisation = organisation_for(request.user, pk)
    memberships = Membership.objects.filter(organisation=organisation).select_related("user").order_by("user__email")
    return render(
        request,
        "accounts/organisation_detail.html",
        {
            "organisation": organisation,
            "memberships": memberships,
            "can_manage_members": can_on(request.user, "manage_members", organisation),
        },
    )
