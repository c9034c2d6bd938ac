"""Reads of applications, with permissions applied and a fixed number of queries per page."""
from django.db.models import Count, Prefetch, Q
from django.http import Http404

from accounts import roles as R
from accounts.access import has_role, objects_for
from accounts.models import Organisation

from .models import Application, ApplicationStatus

LIST_RELATED = ("call", "call__programme", "organisation")


def member_organisations(user, perm="view_organisation"):
    # Object permissions on an organisation come only with a membership (accounts.services), so only the
    # organisations the user belongs to are checked, not every organisation in the database.
    return objects_for(user, f"accounts.{perm}", Organisation.objects.filter(memberships__user_id=user.pk))


def applications_of_member(user):
    """Applications of the organisations the user belongs to (drafts included)."""
    return Application.objects.filter(organisation__in=member_organisations(user)).select_related(*LIST_RELATED)


def application_for_member(user, pk, *, edit=False):
    """One of the user's organisations' applications, or 404; `edit` needs the edit_applications permission."""
    organisations = member_organisations(user, "edit_applications" if edit else "view_organisation")
    try:
        return Application.objects.select_related(*LIST_RELATED).get(pk=pk, organisation__in=organisations)
    except Application.DoesNotExist:
        raise Http404 from None


# Applications that were submitted (whatever became of them since): what programme staff may read.
SUBMITTED = ~Q(status=ApplicationStatus.DRAFT) & Q(submitted_at__isnull=False)


def submitted_applications():
    return Application.objects.filter(SUBMITTED)


def application_for_staff(user, pk):
    """A submitted (or later) application for programme staff, or 404. Staff never see drafts."""
    if not has_role(user, *R.STAFF_ROLES):
        raise Http404
    try:
        return submitted_applications().select_related(*LIST_RELATED, "submitted_by").get(pk=pk)
    except Application.DoesNotExist:
        raise Http404 from None


def with_details(queryset):
    """What a full application page or PDF shows, prefetched."""
    from .models import Attachment

    return queryset.prefetch_related(
        "countries", "budget_lines", "logframe_rows", Prefetch("attachments", queryset=Attachment.objects.order_by("uploaded_at", "id"))
    )


def status_counts(call):
    """Counts per status for a call (what donor observers may see: numbers, never drafts' content)."""
    rows = Application.objects.filter(call=call).values("status").annotate(n=Count("id"))
    return {row["status"]: row["n"] for row in rows}
