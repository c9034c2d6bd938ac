"""Who may see which grants: programme staff and donor observers see all; a grantee's members see their own.

Built on accounts.access, so a grant of another organisation is a 404, exactly like a missing one.
"""
from django.http import Http404

from accounts import roles as R
from accounts.access import can_on, has_role, organisations_for

from .models import Grant


def grants_for(user):
    """The grants `user` may read."""
    grants = Grant.objects.all()
    if has_role(user, *R.ENVELOPE_READERS):
        return grants
    return grants.filter(organisation__in=organisations_for(user))


def grant_for(user, reference, queryset=None):
    """One grant `user` may read, by reference, or 404. `queryset` may add select_related/prefetch."""
    queryset = queryset if queryset is not None else Grant.objects.all()
    try:
        return queryset.filter(pk__in=grants_for(user).values("pk")).get(reference=reference)
    except Grant.DoesNotExist:
        raise Http404 from None


def can_report_for(user, grant) -> bool:
    """Whether `user` may write the grantee's reports: an org admin or editor of the grantee."""
    return can_on(user, "edit_applications", grant.organisation)


def may_read_grants(user) -> bool:
    """Whether `user` may use the grant pages at all: staff and donors read every grant, a member of some
    organisation its own (404 for others); anyone else (a reviewer, an applicant without an organisation) not."""
    return has_role(user, *R.ENVELOPE_READERS) or organisations_for(user).exists()
