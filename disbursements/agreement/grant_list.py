"""The staff list of grants: its columns, filters and search (lists.listing), shared by the page and its exports."""
from django.db.models import DecimalField, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from core.money import ZERO
from grants.access import grants_for
from grants.models import AgreementStatus, Call, Country, LedgerEntry, LedgerKind
from lists.listing import Column, Filter, ListSpec

LIST_NAME = "grants"


def grant_rows(user):
    """The grants `user` may read, with what a row shows. `paid` (net of reversals) is a subquery rather than a
    grouped join, so counting the matches needs no join with the ledger."""
    paid = (
        LedgerEntry.objects.filter(grant=OuterRef("pk"), kind=LedgerKind.DISBURSEMENT)
        .values("grant").annotate(total=Sum("amount")).values("total")
    )
    return (
        grants_for(user).select_related("call", "organisation", "country")
        .annotate(paid=Coalesce(Subquery(paid, output_field=DecimalField(max_digits=14, decimal_places=2)), ZERO))
    )


def _calls():
    return [(c.pk, f"{c.reference} – {c.title}") for c in Call.objects.filter(grants__isnull=False).distinct().order_by("reference")]


def _countries():
    return [(c.pk, c.name) for c in Country.objects.filter(grants__isnull=False).distinct().order_by("name")]


GRANT_LIST = ListSpec(
    name=LIST_NAME,
    columns=(
        Column("reference", _("Reference"), lambda g: g.reference, sort=("reference",)),
        Column("title", _("Title"), lambda g: g.title, sort=("title",)),
        Column("organisation", _("Organisation"), lambda g: g.organisation.legal_name, sort=("organisation__legal_name",)),
        Column("call", _("Call"), lambda g: g.call.reference, sort=("call__reference",)),
        Column("country", _("Country"), lambda g: g.country.name if g.country else "", sort=("country__name",)),
        Column("status", _("Status"), lambda g: g.get_status_display(), sort=("status",)),
        Column("amount", _("Amount (EUR)"), lambda g: g.amount, kind="money", sort=("amount",)),
        Column("paid", _("Paid (EUR)"), lambda g: g.paid, kind="money", sort=("paid",)),
        Column("start", _("Start date"), lambda g: g.start_date, kind="date", sort=("start_date",)),
        Column("end", _("End date"), lambda g: g.end_date, kind="date", sort=("end_date",)),
    ),
    filters=(
        Filter("call", _("Call"), _calls, lambda qs, v: qs.filter(call_id=v)),
        Filter("status", _("Status"), lambda: AgreementStatus.choices, lambda qs, v: qs.filter(status=v)),
        Filter("country", _("Country"), _countries, lambda qs, v: qs.filter(country_id=v)),
    ),
    search_fields=("reference", "organisation__legal_name", "title"),
    search_label=_("Reference, organisation or title"),
    default_sort="reference",
)
