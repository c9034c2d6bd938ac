"""The finance list of grants in the payment queue: its columns, filters and search (lists.listing), shared by the
page and its exports. A row is a `selectors.QueueGrant`: tranche states are computed only for the grants shown or
exported; the "payable now" filter is a query (`schedule.payable_grant_ids`)."""
from django.utils.translation import gettext_lazy as _

from grants.models import Country
from lists.listing import Column, Filter, ListSpec

from .selectors import has_payable_tranche, queue_calls

LIST_NAME = "payment_queue"
PAYABLE_NOW, WAITING = "payable", "waiting"


def _payability(queryset, value):
    return queryset.filter(has_payable_tranche()) if value == PAYABLE_NOW else queryset.exclude(has_payable_tranche())


def _countries():
    return [(c.pk, c.name) for c in Country.objects.filter(grants__isnull=False).distinct().order_by("name")]


def _numbers(states):
    return ", ".join(str(s.tranche.number) for s in states)


def _why(states):
    return "; ".join(f"{s.tranche.number}: {' '.join(s.reasons)}" for s in states)


PAYMENT_QUEUE = ListSpec(
    name=LIST_NAME,
    columns=(
        Column("reference", _("Grant"), lambda r: r.grant.reference, sort=("reference",)),
        Column("organisation", _("Organisation"), lambda r: r.grant.organisation.legal_name, sort=("organisation__legal_name",)),
        Column("call", _("Call"), lambda r: r.grant.call.reference, sort=("call__reference",)),
        Column("country", _("Country"), lambda r: r.grant.country.name if r.grant.country else ""),
        Column("payable", _("May pay now (EUR)"), lambda r: r.payable_total, kind="money"),
        Column("payable_tranches", _("Tranches payable"), lambda r: _numbers(r.payable)),
        Column("waiting", _("Tranches waiting, and why"), lambda r: _why(r.waiting)),
    ),
    filters=(
        Filter("call", _("Call"), lambda: [(c.pk, f"{c.reference} – {c.title}") for c in queue_calls()],
               lambda qs, v: qs.filter(call_id=v)),
        Filter("country", _("Country"), _countries, lambda qs, v: qs.filter(country_id=v)),
        Filter("payability", _("Payable"), lambda: [(PAYABLE_NOW, _("Payable now")), (WAITING, _("Nothing payable now"))],
               _payability),
    ),
    search_fields=("reference", "organisation__legal_name"),
    search_label=_("Grant reference or organisation"),
    default_sort="reference",
)
