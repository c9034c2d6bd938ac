"""Reads of the recovery pages, each at a fixed number of queries: the open orders (their list: order_list.py), one
order with its settlements, a grant's orders (the grant pages' section), the tranches an offset may be paid on."""
from dataclasses import dataclass

from django.db.models import DecimalField, ExpressionWrapper, F, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404

from core.money import ZERO
from grants.access import grants_for

from ..schedule import PAYABLE, schedule_status
from .models import OUTSTANDING_STATUSES, RecoveryOrder, RecoverySettlement

MONEY = DecimalField(max_digits=14, decimal_places=2)


def with_outstanding(queryset):
    """Orders annotated with `settled` and `outstanding_amount` (nothing outstanding once settled or cancelled)."""
    settled = Coalesce(Sum("settlements__amount"), Value(ZERO), output_field=MONEY)
    return queryset.annotate(
        settled=settled,
        outstanding_amount=ExpressionWrapper(F("amount") - settled, output_field=MONEY),
    )


def orders_readable_by(user):
    return RecoveryOrder.objects.filter(grant__in=grants_for(user).values("pk"))


def open_orders(user):
    """The open and partly settled orders `user` may read, for the list of open orders."""
    return with_outstanding(
        orders_readable_by(user).filter(status__in=OUTSTANDING_STATUSES)
        .select_related("grant__organisation", "grant__call")
    )


def order_for(user, pk) -> RecoveryOrder:
    """One order `user` may read, with its grant, or 404."""
    try:
        return with_outstanding(orders_readable_by(user).select_related(
            "grant__organisation", "grant__call__programme", "issued_by")).get(pk=pk)
    except RecoveryOrder.DoesNotExist:
        raise Http404 from None


def settlements_of(order):
    return list(RecoverySettlement.objects.filter(order=order).select_related("payment", "recorded_by").order_by("value_date", "pk"))


@dataclass
class GrantOrders:
    orders: list
    outstanding: object


def grant_orders(grant) -> GrantOrders:
    """A grant's orders with their settlements, two queries."""
    orders = list(with_outstanding(RecoveryOrder.objects.filter(grant=grant)).order_by("number"))
    by_order = {}
    for s in RecoverySettlement.objects.filter(order__grant=grant).select_related("payment").order_by("value_date", "pk"):
        by_order.setdefault(s.order_id, []).append(s)
    for order in orders:
        order.grant = grant
        order.settlement_rows = by_order.get(order.pk, [])
        if order.status not in OUTSTANDING_STATUSES:
            order.outstanding_amount = ZERO
    return GrantOrders(orders=orders, outstanding=sum((o.outstanding_amount for o in orders), ZERO))


def offset_tranches(grant) -> list:
    """The grant's tranches that may be paid now (an offset is recorded with such a payment)."""
    return [s for s in schedule_status(grant) if s.status == PAYABLE and s.payable > 0]
