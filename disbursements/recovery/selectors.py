"""Reads of the recovery pages, each at a fixed number of queries: the open orders (their list: order_list.py), one
order with its settlements, a grant's orders (the grant pages' section), the tranches an offset may be paid on."""
from dataclasses import dataclass

from django.db.models import DecimalField, ExpressionWrapper, F, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404

from core.money import ZERO
from grants.access import grants_for

from ..schedule import PAYABLE, schedule_status
from .models import OUTSTANDING_STATUSES, RecoveryOrder, RecoverySettlement, SettlementKind

MONEY = DecimalField(max_digits=14, decimal_places=2)


def with_outstanding(queryset):
    """Orders annotated with `settled` (reversed settlements left out) and `outstanding_amount`."""
    settled = Coalesce(Sum("settlements__amount", filter=Q(settlements__reversal_entry__isnull=True)), Value(ZERO),
                       output_field=MONEY)
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
    """A grant's orders with their settlements, in one query (the orders left-joined to their settlements, one row
    per settlement), so the grant pages pay a single query for the section."""
    rows = (
        RecoveryOrder.objects.filter(grant=grant)
        .annotate(s_kind=F("settlements__kind"), s_amount=F("settlements__amount"),
                  s_value_date=F("settlements__value_date"), s_reversal=F("settlements__reversal_entry"),
                  s_reversal_reason=F("settlements__reversal_reason"))
        .order_by("number", "settlements__value_date", "settlements__pk")
    )
    orders = {}
    for row in rows:
        order = orders.setdefault(row.pk, row)
        if order is row:
            order.grant = grant
            order.settlement_rows, order.settled = [], ZERO
        if row.s_kind:
            reversed_ = row.s_reversal is not None
            order.settlement_rows.append(SettlementRow(SettlementKind(row.s_kind).label, row.s_amount, row.s_value_date,
                                                       reversed_, row.s_reversal_reason))
            if not reversed_:
                order.settled += row.s_amount
    for order in orders.values():
        order.outstanding_amount = order.amount - order.settled if order.status in OUTSTANDING_STATUSES else ZERO
    orders = list(orders.values())
    return GrantOrders(orders=orders, outstanding=sum((o.outstanding_amount for o in orders), ZERO))


@dataclass(frozen=True)
class SettlementRow:
    kind_label: str
    amount: object
    value_date: object
    is_reversed: bool = False
    reversal_reason: str = ""


def with_offsets(payments) -> list:
    """`payments` (Payment objects) each given `offset_total`, `offset_orders` (the recovery orders' references)
    and `received` (the payment less what was offset against it), from one query."""
    payments = list(payments)
    offsets = {}
    settlements = (RecoverySettlement.objects.filter(payment__in=[p.pk for p in payments], reversal_entry__isnull=True)
                   .select_related("order__grant").order_by("pk"))
    for settlement in settlements:
        offsets.setdefault(settlement.payment_id, []).append(settlement)
    for payment in payments:
        rows = offsets.get(payment.pk, [])
        payment.offset_total = sum((s.amount for s in rows), ZERO)
        payment.offset_orders = ", ".join(s.order.reference for s in rows)
        payment.received = payment.amount - payment.offset_total
    return payments


def offset_tranches(grant) -> list:
    """The grant's tranches that may be paid now (an offset is recorded with such a payment)."""
    return [s for s in schedule_status(grant) if s.status == PAYABLE and s.payable > 0]
