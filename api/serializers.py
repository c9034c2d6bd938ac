"""Read-only serializers of the API. Money is a string with two decimals ("1234.50"), never a float.

Figures that are computed (a tranche's state, a review's total, the envelope position) are computed by the apps'
own functions; the views attach them to the objects and these serializers only present them.
"""
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from accounts.models import Organisation
from applications.models import Application, Assignment, ReviewStatus
from disbursements.models import Tranche
from disbursements.schedule import CLOSED, PAID, PAYABLE, WAITING
from grants.models import Call, Grant
from grants.selectors import CallState, call_state
from reports.models import Report


def money(**kwargs):
    """A read-only amount in EUR, as a string with two decimals."""
    return serializers.DecimalField(max_digits=16, decimal_places=2, coerce_to_string=True, read_only=True, **kwargs)


class ReadOnlyModelSerializer(serializers.ModelSerializer):
    """Every field read-only: the API reads; changes go through the pages and the services."""

    def get_fields(self):
        fields = super().get_fields()
        for field in fields.values():
            field.read_only = True
        return fields


class ErrorSerializer(serializers.Serializer):
    """What a refused request returns (401, 403, 404, 429)."""

    detail = serializers.CharField(help_text=_("Why the request was refused."))


class OrganisationRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(source="legal_name", read_only=True)


class NamedRefSerializer(serializers.Serializer):
    """A person named by their full name (or e-mail address when they have none)."""

    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(source="get_full_name", read_only=True)


# ---- calls ------------------------------------------------------------------------------------------------------


class CallSerializer(ReadOnlyModelSerializer):
    programme = serializers.CharField(source="programme.code", help_text=_("The programme's code."))
    state = serializers.SerializerMethodField(help_text=_("Where the call stands for applicants now."))
    min_grant = money(source="min_grant.amount")
    max_grant = money(source="max_grant.amount")
    countries = serializers.SerializerMethodField(help_text=_("ISO 3166 codes of the eligible countries."))
    objectives = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Call
        fields = [
            "id", "programme", "reference", "title", "description", "status", "state", "opens_at",
            "concept_note_deadline", "closes_at", "min_grant", "max_grant", "min_duration_months",
            "max_duration_months", "countries", "objectives", "eligibility",
        ]

    @extend_schema_field(serializers.ChoiceField(choices=CallState.choices))
    def get_state(self, call) -> str:
        return call_state(call, timezone.now())

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_countries(self, call) -> list:
        return [str(country.code) for country in call.countries.all()]


# ---- organisations ----------------------------------------------------------------------------------------------


class OrganisationSerializer(ReadOnlyModelSerializer):
    country = serializers.CharField(source="country.code")
    org_identifier = serializers.CharField(help_text=_("The open-data identifier (e.g. NP-SWC-1234), or empty."))
    bank_account = serializers.SerializerMethodField(
        help_text=_("The account number masked to its last four characters; only for the organisation's "
                    "administrators and finance officers, otherwise null.")
    )

    class Meta:
        model = Organisation
        fields = [
            "id", "legal_name", "acronym", "country", "registration_number", "org_identifier", "org_type",
            "year_founded", "website", "verified_at", "created_at", "bank_account",
        ]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_bank_account(self, organisation) -> str | None:
        return getattr(organisation, "bank_account_masked", None)


# ---- applications -----------------------------------------------------------------------------------------------


class CallRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    programme = serializers.CharField(source="programme.code", read_only=True)
    reference = serializers.CharField(read_only=True)


class ApplicationSerializer(ReadOnlyModelSerializer):
    call = CallRefSerializer()
    organisation = OrganisationRefSerializer()
    requested_amount = money(allow_null=True)

    class Meta:
        model = Application
        fields = [
            "id", "reference", "call", "organisation", "stage", "status", "title", "objective", "start_date",
            "end_date", "requested_amount", "created_at", "updated_at", "submitted_at", "withdrawn_at",
        ]


# ---- reviews ----------------------------------------------------------------------------------------------------


class ApplicationRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    reference = serializers.CharField(read_only=True)
    title = serializers.CharField(read_only=True)
    call = CallRefSerializer()


class AssignmentReviewSerializer(ReadOnlyModelSerializer):
    """An assignment with where its review stands. The total is the reviewer's points (score x multiplier),
    given once the review is submitted."""

    application = ApplicationRefSerializer()
    reviewer = NamedRefSerializer()
    review_status = serializers.ChoiceField(
        source="review.status", choices=ReviewStatus.choices, allow_null=True, default=None,
        help_text=_("Where the review stands; null until the reviewer opens the score sheet."),
    )
    submitted_at = serializers.DateTimeField(source="review.submitted_at", allow_null=True, default=None)
    total = serializers.SerializerMethodField(help_text=_("The review's points, once it is submitted."))
    max_points = serializers.SerializerMethodField(help_text=_("The most the scored criteria can give."))

    class Meta:
        model = Assignment
        fields = [
            "id", "application", "reviewer", "status", "assigned_at", "ended_at", "review_status", "submitted_at",
            "total", "max_points",
        ]

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_total(self, assignment) -> int | None:
        return getattr(assignment, "review_total", None)

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_max_points(self, assignment) -> int | None:
        return getattr(assignment, "review_max_points", None)


# ---- grants -----------------------------------------------------------------------------------------------------


class GrantSerializer(ReadOnlyModelSerializer):
    amount = money()
    country = serializers.CharField(source="country.code", allow_null=True, default=None)
    objective = serializers.IntegerField(source="objective_id", allow_null=True)
    organisation = OrganisationRefSerializer()
    call = CallRefSerializer()
    committed = money(help_text=_("Committed to the grant in the envelope ledger."))
    disbursed = money(help_text=_("Paid to the grantee, net of reversals and of amounts recovered."))

    class Meta:
        model = Grant
        fields = [
            "reference", "title", "status", "amount", "start_date", "end_date", "country", "objective",
            "organisation", "call", "signed_on", "version", "committed", "disbursed",
        ]


# ---- tranches ---------------------------------------------------------------------------------------------------


class TrancheStateSerializer(serializers.Serializer):
    """disbursements.schedule.TrancheState: what the tranche has paid, may pay now, and why."""

    status = serializers.ChoiceField(choices=[PAID, PAYABLE, WAITING, CLOSED], read_only=True)
    paid = money(help_text=_("Paid on the tranche, net of reversals."))
    due = money(help_text=_("What the tranche may pay in all, as things stand (after any reduction)."))
    payable = money(help_text=_("What may be paid on the tranche now."))
    reduction = money()
    reasons = serializers.ListField(child=serializers.CharField(), read_only=True)


class TrancheSerializer(ReadOnlyModelSerializer):
    grant = serializers.CharField(source="grant.reference", help_text=_("The grant's reference."))
    planned_amount = money()
    state = TrancheStateSerializer(source="schedule_state")

    class Meta:
        model = Tranche
        fields = ["id", "grant", "number", "kind", "planned_amount", "after_period", "expected_on", "state"]


# ---- reports ----------------------------------------------------------------------------------------------------


class ReportSerializer(ReadOnlyModelSerializer):
    grant = serializers.CharField(source="grant.reference", help_text=_("The grant's reference."))

    class Meta:
        model = Report
        fields = [
            "id", "grant", "period_number", "is_final", "period_start", "period_end", "due_date", "status",
            "submitted_at", "approved_at",
        ]


# ---- envelope ---------------------------------------------------------------------------------------------------


class CallPositionSerializer(serializers.Serializer):
    reference = serializers.CharField()
    title = serializers.CharField()
    status = serializers.CharField()
    allocated = serializers.CharField()
    committed = serializers.CharField()
    disbursed = serializers.CharField()
    paid = serializers.CharField()
    recovered = serializers.CharField()
    available = serializers.CharField()


@extend_schema_serializer(many=False)
class EnvelopeSerializer(serializers.Serializer):
    """grants.selectors.EnvelopePosition.as_dict(): the figures of `manage.py envelope --json`, amounts as strings."""

    programme = serializers.CharField()
    programme_code = serializers.CharField()
    currency = serializers.CharField()
    envelope = serializers.CharField()
    allocated = serializers.CharField()
    committed = serializers.CharField()
    disbursed = serializers.CharField(help_text=_("Paid to grantees, net of reversals and of amounts recovered."))
    paid = serializers.CharField(help_text=_("Paid to grantees, net of reversals."))
    recovered = serializers.CharField(help_text=_("Recovered from grantees: refunds received and amounts offset."))
    available = serializers.CharField(help_text=_("What is left of the envelope to allocate to calls."))
    calls = CallPositionSerializer(many=True)


# ---- results ----------------------------------------------------------------------------------------------------


class FigureSerializer(serializers.Serializer):
    """An achieved figure as the results dashboard's CSV gives it: people counts always protected."""

    value = serializers.CharField(
        allow_null=True, help_text=_("Plain digits with a dot; null when not collected or when suppressed."),
    )
    suppressed = serializers.BooleanField(
        help_text=_("Hidden by small-cell protection: a small count of people, or a figure that would reveal one."),
    )


class PeriodResultSerializer(serializers.Serializer):
    period = serializers.IntegerField(allow_null=True, help_text=_("The reporting period; null for all periods in view."))
    target = serializers.CharField(allow_null=True)
    achieved = FigureSerializer()


class IndicatorResultSerializer(serializers.Serializer):
    code = serializers.CharField()
    external_code = serializers.CharField(help_text=_("The donor's indicator code in its results framework, or empty."))
    title = serializers.CharField()
    unit = serializers.CharField(help_text=_("The unit's code (stable), or empty."))
    unit_title = serializers.CharField(help_text=_("The unit in the reader's language, or empty."))
    periods = PeriodResultSerializer(many=True)
    total = PeriodResultSerializer(help_text=_("All periods in view, combined by the indicator's rule."))


class DisaggregationRowSerializer(serializers.Serializer):
    label = serializers.CharField()
    cells = FigureSerializer(many=True)
    total = FigureSerializer()


class DisaggregationSerializer(serializers.Serializer):
    indicator = serializers.CharField(help_text=_("The code of the indicator disaggregated."))
    row_heading = serializers.CharField()
    column_heading = serializers.CharField()
    columns = serializers.ListField(child=serializers.CharField())
    rows = DisaggregationRowSerializer(many=True)
    column_totals = FigureSerializer(many=True)
    grand_total = FigureSerializer()


@extend_schema_serializer(many=False)
class ResultsSerializer(serializers.Serializer):
    """results.selectors.Dashboard as the dashboard's CSV gives it (results.views.csv_rows)."""

    programme_code = serializers.CharField()
    framework = serializers.CharField(help_text=_("The donor's results framework the external codes belong to."))
    threshold = serializers.IntegerField(help_text=_("People counts below this are not published."))
    indicators = IndicatorResultSerializer(many=True)
    disaggregation = DisaggregationSerializer(
        allow_null=True, help_text=_("The cells of the indicator asked for with ?indicator=, when it has dimensions."),
    )
