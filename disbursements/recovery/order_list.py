"""The finance list of open recovery orders (open or partly settled): columns, filters and search (lists.listing),
shared by the page and its exports. Rows are orders annotated with what is settled and outstanding
(selectors.open_orders)."""
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grants.models import Call
from lists.listing import Column, Filter, ListSpec

from .models import OUTSTANDING_STATUSES, RecoveryOrigin, RecoveryStatus

LIST_NAME = "recovery_orders"
OVERDUE, NOT_DUE = "overdue", "not_due"


def _due(queryset, value):
    today = timezone.localdate()
    return queryset.filter(due_date__lt=today) if value == OVERDUE else queryset.filter(due_date__gte=today)


def _calls():
    return [(c.pk, f"{c.reference} – {c.title}")
            for c in Call.objects.filter(grants__recovery_orders__status__in=OUTSTANDING_STATUSES).distinct().order_by("reference")]


RECOVERY_ORDERS = ListSpec(
    name=LIST_NAME,
    columns=(
        Column("reference", _("Order"), lambda o: o.reference, sort=("grant__reference", "number")),
        Column("organisation", _("Organisation"), lambda o: o.grant.organisation.legal_name,
               sort=("grant__organisation__legal_name",)),
        Column("origin", _("Origin"), lambda o: o.get_origin_display()),
        Column("status", _("Status"), lambda o: o.get_status_display()),
        Column("amount", _("Amount (EUR)"), lambda o: o.amount, kind="money", sort=("amount",)),
        Column("outstanding", _("Outstanding (EUR)"), lambda o: o.outstanding_amount, kind="money",
               sort=("outstanding_amount",)),
        Column("due_date", _("Due date"), lambda o: o.due_date, kind="date", sort=("due_date",)),
    ),
    filters=(
        Filter("call", _("Call"), _calls, lambda qs, v: qs.filter(grant__call_id=v)),
        Filter("origin", _("Origin"), lambda: list(RecoveryOrigin.choices), lambda qs, v: qs.filter(origin=v)),
        Filter("status", _("Status"), lambda: [(s, RecoveryStatus(s).label) for s in OUTSTANDING_STATUSES],
               lambda qs, v: qs.filter(status=v)),
        Filter("due", _("Due"), lambda: [(OVERDUE, _("Overdue")), (NOT_DUE, _("Not yet due"))], _due),
    ),
    search_fields=("grant__reference", "grant__organisation__legal_name"),
    search_label=_("Grant reference or organisation"),
    default_sort="due_date",
)
