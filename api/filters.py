"""Filter sets and ordering of the API lists.

A filter value the schema allows never gives an error: an identifier or code that matches nothing gives an empty
list (so another organisation's objects cannot be probed through a 400). A value the schema forbids (a status not
in the list, letters for an id) gives 400.
"""
import django_filters
from django import forms
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework.filters import OrderingFilter

from applications.models import Application, ApplicationStatus, Assignment
from disbursements.models import Tranche
from disbursements.schedule import CLOSED, PAID, PAYABLE, WAITING
from grants.models import AgreementStatus, Call, Grant
from grants.selectors import PUBLIC_STATUSES
from reports.models import Report, ReportStatus

# Database ids are positive 32-bit integers everywhere in the project.
MAX_ID = 2**31 - 1


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ID})
class IdFilter(django_filters.Filter):
    """An object id: a whole number from 1 (letters or out-of-range numbers are a 400)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class StableOrderingFilter(OrderingFilter):
    """?ordering=field or -field; the primary key breaks ties so that pages never repeat or skip a row."""

    def get_ordering(self, request, queryset, view):
        ordering = list(super().get_ordering(request, queryset, view) or [])
        return [*ordering, "pk"] if "pk" not in ordering and "-pk" not in ordering else ordering


class CallFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=[(s.value, s.label) for s in PUBLIC_STATUSES])
    country = django_filters.CharFilter(method="filter_country", help_text=_("ISO 3166 code of an eligible country."))
    objective = IdFilter(method="filter_objective", help_text=_("Id of an objective of the call."))

    class Meta:
        model = Call
        fields = ["status", "country", "objective"]

    # Exists() rather than a join, as grants.selectors.public_calls does: no duplicate rows.
    def filter_country(self, queryset, name, value):
        through = Call.countries.through
        return queryset.filter(Exists(through.objects.filter(call=OuterRef("pk"), country__code=value.upper())))

    def filter_objective(self, queryset, name, value):
        through = Call.objectives.through
        return queryset.filter(Exists(through.objects.filter(call=OuterRef("pk"), objective_id=value)))


class ApplicationFilter(django_filters.FilterSet):
    call = IdFilter(field_name="call_id")
    status = django_filters.ChoiceFilter(choices=ApplicationStatus.choices)

    class Meta:
        model = Application
        fields = ["call", "status"]


class ReviewFilter(django_filters.FilterSet):
    call = IdFilter(field_name="application__call_id")

    class Meta:
        model = Assignment
        fields = ["call"]


class GrantFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=AgreementStatus.choices)
    call = IdFilter(field_name="call_id")
    country = django_filters.CharFilter(method="filter_country", help_text=_("ISO 3166 code of the grant's country."))
    organisation = IdFilter(field_name="organisation_id")

    class Meta:
        model = Grant
        fields = ["status", "call", "country", "organisation"]

    def filter_country(self, queryset, name, value):
        return queryset.filter(country__code=value.upper())


# What disbursements.schedule says of a tranche; computed, so the view filters on it after the schedule is read.
TRANCHE_STATES = [(PAID, PAID), (PAYABLE, PAYABLE), (WAITING, WAITING), (CLOSED, CLOSED)]


class TrancheFilter(django_filters.FilterSet):
    grant = django_filters.CharFilter(field_name="grant__reference", help_text=_("The grant's reference."))
    state = django_filters.ChoiceFilter(
        choices=TRANCHE_STATES, method="filter_state",
        help_text=_("The tranche's state in the payment schedule (paid, payable now, waiting, closed)."),
    )

    class Meta:
        model = Tranche
        fields = ["grant", "state"]

    def filter_state(self, queryset, name, value):
        """Validated here, applied by the view once disbursements.schedule has computed the states."""
        return queryset


class ReportFilter(django_filters.FilterSet):
    grant = django_filters.CharFilter(field_name="grant__reference", help_text=_("The grant's reference."))
    status = django_filters.ChoiceFilter(choices=ReportStatus.choices)
    is_final = django_filters.BooleanFilter()

    class Meta:
        model = Report
        fields = ["grant", "status", "is_final"]
