"""Reads of grantee requests that pages and the finance inbox share, each in a fixed number of queries."""
from django.db.models import Count
from django.http import Http404

from accounts import roles as R
from accounts.access import has_role
from grants.access import grants_for

from .models import GrantRequest, RequestKind, RequestStatus

LIST_LIMIT = 100


def _related(queryset):
    return queryset.select_related("grant__organisation", "tranche", "requested_by", "payment")


def request_for(user, pk) -> GrantRequest:
    """One request `user` may read (staff and donor observers: any; members: their organisation's), or 404."""
    request = _related(GrantRequest.objects.filter(grant__in=grants_for(user))).filter(pk=pk).first()
    if request is None:
        raise Http404
    return request


def requests_of_grant(grant):
    return list(_related(GrantRequest.objects.filter(grant=grant)).order_by("-number"))


def kinds_decided_by(user) -> list:
    kinds = []
    if has_role(user, R.FINANCE_OFFICER):
        kinds.append(RequestKind.PAYMENT)
    if has_role(user, R.PROGRAMME_OFFICER, R.ADMINISTRATOR):
        kinds.append(RequestKind.AMENDMENT)
    return kinds


def staff_requests(kind=None):
    """Requests waiting for a decision or a payment, then the latest decided ones (two queries)."""
    queryset = _related(GrantRequest.objects.all())
    if kind:
        queryset = queryset.filter(kind=kind)
    waiting = list(queryset.filter(status__in=[RequestStatus.SUBMITTED, RequestStatus.APPROVED], payment__isnull=True)
                   .exclude(kind=RequestKind.AMENDMENT, status=RequestStatus.APPROVED).order_by("requested_at", "pk")[:LIST_LIMIT])
    done = list(queryset.exclude(pk__in=[r.pk for r in waiting]).order_by("-requested_at", "-pk")[:LIST_LIMIT])
    return waiting, done


def pending_payment_requests() -> dict:
    """{status: count} of payment requests finance has to act on: submitted (to decide) and approved (to pay)."""
    rows = (GrantRequest.objects.filter(kind=RequestKind.PAYMENT, status__in=[RequestStatus.SUBMITTED, RequestStatus.APPROVED])
            .order_by().values_list("status").annotate(n=Count("pk")))
    return dict(rows)
