"""The officers' list of submitted reports: its columns, filters and search (lists.listing), shared by the queue
page and its exports. Drafts are left out: staff never see a report before it is submitted."""
from django.utils.translation import gettext_lazy as _

from grants.models import Call, Country
from lists.listing import Column, Filter, ListSpec

from .models import Report, ReportStatus
from .selectors import REPORT_RELATED

LIST_NAME = "reports"


def submitted_reports():
    return Report.objects.filter(submitted_at__isnull=False).select_related(*REPORT_RELATED, "grant__country")


def _calls():
    calls = Call.objects.filter(grants__reports__submitted_at__isnull=False).distinct().order_by("reference")
    return [(str(call.pk), f"{call.reference} – {call.title[:40]}") for call in calls]


def _countries():
    present = Country.objects.filter(grants__reports__submitted_at__isnull=False).distinct().order_by("name")
    return [(country.code, str(country)) for country in present]


REPORT_LIST = ListSpec(
    name=LIST_NAME,
    columns=(
        Column("report", _("Report"), str, sort=("grant__reference", "period_number")),
        Column("grantee", _("Grantee"), lambda r: r.grant.organisation.legal_name, sort=("grant__organisation__legal_name",)),
        Column("call", _("Call"), lambda r: r.grant.call.reference, sort=("grant__call__reference",)),
        Column("country", _("Country"), lambda r: str(r.grant.country) if r.grant.country else "", sort=("grant__country__name",)),
        Column("submitted", _("Submitted"), lambda r: r.submitted_at, kind="datetime", sort=("submitted_at",)),
        Column("due", _("Due"), lambda r: r.due_date, kind="date", sort=("due_date",)),
        Column("status", _("Status"), lambda r: r.get_status_display(), sort=("status",)),
    ),
    filters=(
        Filter("status", _("Status"), lambda: [(s.value, s.label) for s in ReportStatus if s != ReportStatus.DRAFT],
               lambda qs, v: qs.filter(status=v)),
        Filter("call", _("Call"), _calls, lambda qs, v: qs.filter(grant__call_id=v)),
        Filter("country", _("Country"), _countries, lambda qs, v: qs.filter(grant__country__code=v)),
    ),
    search_fields=("grant__reference", "grant__organisation__legal_name", "grant__organisation__acronym"),
    search_label=_("Grant reference or grantee"),
    default_sort="submitted",
)
