"""The officers' list of organisations and their due-diligence progress: its columns, filters and search
(lists.listing), shared by the page and its exports."""
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_countries import countries

from lists.listing import Column, Filter, ListSpec

from ..models import Organisation
from .services import diligence_overview, diligence_summaries

LIST_NAME = "diligence"
VERIFIED, UNVERIFIED, OPEN = "verified", "unverified", "open"


def organisation_rows():
    """Every organisation, annotated with what a line of the list needs (`diligence_summaries`)."""
    return diligence_overview()


def _countries_present():
    present = Organisation.objects.order_by().values_list("country", flat=True).distinct()
    return sorted(((code, countries.name(code)) for code in present if code), key=lambda choice: str(choice[1]))


def _verification(line):
    if line.organisation.verified_at:
        return _("Verified")
    if line.can_be_verified:
        return _("Ready to verify")
    n = len(line.blocking_reasons)
    return ngettext("%(n)s item to do", "%(n)s items to do", n) % {"n": n}


def organisation_list_spec(*, last_import_at) -> ListSpec:
    """`last_import_at` (the latest sanctions list import) decides each organisation's screening state."""

    def line(org):
        return diligence_summaries([org], last_import_at=last_import_at)[0]

    return ListSpec(
        name=LIST_NAME,
        columns=(
            Column("organisation", _("Organisation"), lambda o: o.legal_name, sort=("legal_name",)),
            Column("registration", _("Registration number"), lambda o: o.registration_number, sort=("registration_number",)),
            Column("country", _("Country"), lambda o: o.country.name, sort=("country",)),
            Column("documents", _("Documents accepted"), lambda o: line(o).accepted_documents, kind="number"),
            Column("screening", _("Sanctions screening"), lambda o: line(o).screening.label),
            Column("flags", _("Open flags"), lambda o: o.open_flags, kind="number", sort=("open_flags",)),
            Column("verification", _("Verification"), lambda o: _verification(line(o)), sort=("verified_at",)),
        ),
        filters=(
            Filter(
                "verification", _("Verification"),
                lambda: [(UNVERIFIED, _("Not verified")), (VERIFIED, _("Verified"))],
                lambda qs, v: qs.filter(verified_at__isnull=v == UNVERIFIED),
            ),
            Filter("flags", _("Flags"), lambda: [(OPEN, _("With open flags"))], lambda qs, v: qs.filter(open_flags__gt=0)),
            Filter("country", _("Country"), _countries_present, lambda qs, v: qs.filter(country=v)),
        ),
        search_fields=("legal_name", "acronym", "registration_number"),
        search_label=_("Legal name, acronym or registration number"),
        default_sort="organisation",
    )

