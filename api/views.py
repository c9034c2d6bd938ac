"""Read-only API endpoints. Each decides exactly as the pages do, through the same access functions and selectors:
a role that may not use a list gets 403; another organisation's object is a 404, like a missing one.

Every list costs a fixed number of queries: rows come with select_related/prefetch, and what is computed per row
(a tranche's schedule state, a review's points, bank-detail masks) is computed for the whole page at once in
`decorate`.
"""
import re

from django.db.models import OuterRef, Prefetch, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response

from accounts import roles as R
from accounts.access import bank_details_handled_by, has_role, organisations_for
from accounts.models import BankDetails, Organisation
from accounts.selectors import masked_account
from applications.models import Application, Assignment, ReviewStatus, Score
from applications.scoring import SheetSection
from applications.selectors import LIST_RELATED, SUBMITTED, member_organisations
from core.converters import as_id
from core.money import ZERO
from disbursements.models import Tranche
from disbursements.payment.selectors import tranche_for, tranche_state
from disbursements.schedule import facts_for_many, schedule_status
from grants.access import grant_for, grants_for
from grants.models import Call, Grant, LedgerEntry, LedgerKind
from grants.selectors import PUBLIC_STATUSES, envelope_position, programmes_with_envelope
from reports.models import Report
from reports.selectors import report_for, reports_for
from results.selectors import FILTERS, dashboard
from results.views import plain_number

from . import filters, permissions, serializers as s
from .filters import MAX_ID

# 401: no or a bad bearer token (with no session); 403: a role that may not use the endpoint; 404: not there, or
# not the user's to see; 429: over a rate limit (api.throttling), with Retry-After.
ERRORS = {401: s.ErrorSerializer, 403: s.ErrorSerializer, 404: s.ErrorSerializer, 429: s.ErrorSerializer}
# A filter value outside the schema (a status not listed, letters for an id): {parameter: [messages]}.
LIST_ERRORS = {**ERRORS, 400: OpenApiTypes.OBJECT}
# Grant references: programme code, year, call reference and number (GLOACT-2026-C01-0007); never starting with a
# dot, so that "." and ".." cannot be read as path segments.
REFERENCE_PATTERN = r"[A-Za-z0-9_-][A-Za-z0-9_.-]*"


def documented(serializer, **detail_parameters):
    """The responses of a list and a detail view, errors included, so that clients (and the schema tests) know
    every status the endpoint answers with."""
    detail = {"responses": {200: serializer, **ERRORS}}
    if detail_parameters:
        detail["parameters"] = [OpenApiParameter(**detail_parameters)]
    return extend_schema_view(
        list=extend_schema(responses={200: serializer, **LIST_ERRORS}),
        retrieve=extend_schema(**detail),
    )


class ReadOnlyViewSet(viewsets.ReadOnlyModelViewSet):
    filter_backends = [DjangoFilterBackend, filters.StableOrderingFilter]
    # Anything up to the next slash reaches the view, so that a malformed id is this API's JSON 404 rather than
    # the site's HTML page; the views turn it away themselves.
    lookup_value_regex = "[^/]+"

    def decorate(self, objects):
        """Attach what the serializer shows but the rows do not hold, for a page of objects at once."""

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        if page is not None:
            self.decorate(page)
        return page

    def get_object(self):
        self._pk()  # a malformed id is a 404 before any query
        obj = super().get_object()
        self.decorate([obj])
        return obj

    def _pk(self):
        """The pk from the URL, or 404 for anything but an id as page addresses take it (core.converters): 1 to 18
        ASCII digits, so neither "١" (an Arabic-Indic one) nor 40 digits reach a query."""
        pk = as_id(self.kwargs[self.lookup_url_kwarg or self.lookup_field])
        if pk is None:
            raise Http404
        return pk


# ---- calls ------------------------------------------------------------------------------------------------------


@documented(s.CallSerializer)
class CallViewSet(ReadOnlyViewSet):
    """Calls for proposals, as the public call pages show them: published and closed ones, never drafts. Open to
    everyone, signed in or not. Looked up by id."""

    permission_classes = [AllowAny]
    serializer_class = s.CallSerializer
    queryset = (
        Call.objects.filter(status__in=PUBLIC_STATUSES)
        .select_related("programme")
        .prefetch_related("countries", "objectives")
    )
    filterset_class = filters.CallFilter
    ordering_fields = ["closes_at", "reference"]
    ordering = ["closes_at", "reference"]


# ---- organisations ----------------------------------------------------------------------------------------------


@documented(s.OrganisationSerializer)
class OrganisationViewSet(ReadOnlyViewSet):
    """Organisations: a member's own; all of them for programme staff and donor observers
    (accounts.access.organisations_for). Bank details only masked, and only for those who may handle them."""

    permission_classes = [IsAuthenticated, permissions.ReadsGrantees]
    serializer_class = s.OrganisationSerializer
    queryset = Organisation.objects.none()
    ordering_fields = ["legal_name", "created_at"]
    ordering = ["legal_name"]

    def get_queryset(self):
        return organisations_for(self.request.user)

    def decorate(self, organisations):
        """The organisation's administrators and finance officers see the account's last four characters, as on
        the organisation page (accounts.access.may_handle_bank_details)."""
        allowed = bank_details_handled_by(self.request.user, organisations)
        accounts = dict(BankDetails.objects.filter(organisation_id__in=allowed).values_list("organisation_id", "iban"))
        for organisation in organisations:
            iban = accounts.get(organisation.pk)
            organisation.bank_account_masked = masked_account(iban) if iban else None


# ---- applications -----------------------------------------------------------------------------------------------


@documented(s.ApplicationSerializer)
class ApplicationViewSet(ReadOnlyViewSet):
    """Applications: those of the user's organisations, drafts included; for programme staff, every submitted one
    (never a draft), as applications.selectors.application_for_member / application_for_staff decide."""

    permission_classes = [IsAuthenticated, permissions.ApplicationReaders]
    serializer_class = s.ApplicationSerializer
    queryset = Application.objects.none()
    filterset_class = filters.ApplicationFilter
    ordering_fields = ["submitted_at", "reference", "updated_at"]
    ordering = ["-updated_at", "-id"]

    def get_queryset(self):
        user = self.request.user
        readable = Q(organisation__in=member_organisations(user))
        if has_role(user, *R.STAFF_ROLES):
            readable |= SUBMITTED
        return Application.objects.filter(readable).select_related(*LIST_RELATED)


# ---- reviews ----------------------------------------------------------------------------------------------------


@documented(s.AssignmentReviewSerializer)
class ReviewViewSet(ReadOnlyViewSet):
    """Review assignments: a reviewer's own (active and ended) with where the review stands and its points once
    submitted; officers who run the panels see every assignment (filter by call)."""

    permission_classes = [IsAuthenticated, permissions.ReviewReaders]
    serializer_class = s.AssignmentReviewSerializer
    queryset = Assignment.objects.none()
    filterset_class = filters.ReviewFilter
    ordering_fields = ["assigned_at"]
    ordering = ["assigned_at"]

    def get_queryset(self):
        user = self.request.user
        assignments = Assignment.objects.select_related(
            "application__call__programme", "reviewer", "review"
        ).prefetch_related(Prefetch("review__scores", queryset=Score.objects.select_related("criterion")))
        if has_role(user, R.PROGRAMME_OFFICER, R.ADMINISTRATOR):
            return assignments
        return assignments.filter(reviewer=user)

    def decorate(self, assignments):
        """Points as the score sheet adds them (applications.scoring.SheetSection), for submitted reviews only."""
        for assignment in assignments:
            review = getattr(assignment, "review", None)
            if review is not None and review.status == ReviewStatus.SUBMITTED:
                sheet = SheetSection(section=None, scores=list(review.scores.all()))
                assignment.review_total, assignment.review_max_points = sheet.points, sheet.max_points


# ---- grants -----------------------------------------------------------------------------------------------------


def _ledger_sum(*kinds):
    """The grant's ledger rows of `kinds`, summed in a correlated subquery: the database sums them only for the rows
    of the page it returns (a join with GROUP BY would sum every grant's rows before cutting the page)."""
    rows = LedgerEntry.objects.filter(grant=OuterRef("pk"), kind__in=kinds).order_by().values("grant")
    return Coalesce(Subquery(rows.annotate(total=Sum("amount")).values("total")[:1]), ZERO)


def _with_figures(grants):
    """Grants with what the list shows: committed and disbursed from the ledger, in the same query."""
    return grants.select_related("call__programme", "organisation", "country").annotate(
        committed=_ledger_sum(LedgerKind.COMMITMENT),
        disbursed=_ledger_sum(LedgerKind.DISBURSEMENT, LedgerKind.RECOVERY),  # net of recoveries
    )


@documented(s.GrantSerializer, name="reference", type=str, location=OpenApiParameter.PATH,
            pattern=f"^{REFERENCE_PATTERN}$", description=_("The grant's reference, e.g. GLOACT-2026-C01-0007."))
class GrantViewSet(ReadOnlyViewSet):
    """Grants (agreements) the user may read (grants.access.grants_for): all for programme staff and donor
    observers, their own organisations' for members. Looked up by reference."""

    permission_classes = [IsAuthenticated, permissions.ReadsGrantees]
    serializer_class = s.GrantSerializer
    queryset = Grant.objects.none()
    lookup_field = "reference"
    filterset_class = filters.GrantFilter
    ordering_fields = ["reference", "start_date", "amount"]
    ordering = ["reference"]

    def get_queryset(self):
        return _with_figures(grants_for(self.request.user))

    def get_object(self):
        reference = self.kwargs["reference"]
        if not re.fullmatch(REFERENCE_PATTERN, reference):
            raise Http404
        return grant_for(self.request.user, reference, queryset=_with_figures(Grant.objects.all()))


# ---- tranches ---------------------------------------------------------------------------------------------------


@documented(s.TrancheSerializer)
class TrancheViewSet(ReadOnlyViewSet):
    """Tranches of the grants the user may read, each with its schedule state: what it has paid, what it may pay
    now and why (disbursements.schedule.schedule_status)."""

    permission_classes = [IsAuthenticated, permissions.ReadsGrantees]
    serializer_class = s.TrancheSerializer
    queryset = Tranche.objects.none()
    filterset_class = filters.TrancheFilter
    ordering_fields = ["expected_on"]
    ordering = ["grant__reference", "number"]

    def get_queryset(self):
        return Tranche.objects.filter(grant__in=grants_for(self.request.user)).select_related(
            "grant__call__programme", "grant__organisation"
        )

    def filter_queryset(self, queryset):
        """The state is computed, not stored: with ?state=, the schedules of every matching tranche are read (in
        a fixed number of queries) and the list is cut to that state before it is paginated."""
        queryset = super().filter_queryset(queryset)
        state = self.request.query_params.get("state")
        if not state:
            return queryset
        tranches = list(queryset)
        self.decorate(tranches)
        return [t for t in tranches if t.schedule_state.status == state]

    def decorate(self, tranches):
        pending = [t for t in tranches if not hasattr(t, "schedule_state")]
        grants = list({t.grant_id: t.grant for t in pending}.values())
        facts = facts_for_many(grants)
        states = {state.tranche.pk: state for grant in grants for state in schedule_status(grant, facts[grant.pk])}
        for tranche in pending:
            tranche.schedule_state = states[tranche.pk]

    def get_object(self):
        tranche = tranche_for(self.request.user, self._pk())
        tranche.schedule_state = tranche_state(tranche)
        return tranche


# ---- reports ----------------------------------------------------------------------------------------------------


@documented(s.ReportSerializer)
class ReportViewSet(ReadOnlyViewSet):
    """Reports of the grants the user may read. Programme staff and donor observers never see a report that was
    not submitted (reports.selectors.report_for); the grantee's members see their drafts too."""

    permission_classes = [IsAuthenticated, permissions.ReadsGrantees]
    serializer_class = s.ReportSerializer
    queryset = Report.objects.none()
    filterset_class = filters.ReportFilter
    ordering_fields = ["due_date"]
    ordering = ["due_date"]

    def get_queryset(self):
        return reports_for(self.request.user)

    def get_object(self):
        return report_for(self.request.user, self._pk())


# ---- envelope ---------------------------------------------------------------------------------------------------


class EnvelopeQuerySerializer(serializers.Serializer):
    programme = serializers.SlugField(
        required=False, max_length=16,
        help_text=_("The programme's code; without it, the first programme (as `manage.py envelope`)."),
    )


class EnvelopeViewSet(viewsets.ViewSet):
    """The envelope position of a programme: the figures of `manage.py envelope --json`, for programme staff and
    donor observers."""

    permission_classes = [IsAuthenticated, permissions.EnvelopeReaders]
    pagination_class = None

    @extend_schema(
        parameters=[EnvelopeQuerySerializer],
        responses={200: s.EnvelopeSerializer, 400: OpenApiTypes.OBJECT, **ERRORS},
    )
    def list(self, request):
        query = EnvelopeQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return Response(s.EnvelopeSerializer(envelope_position(_programme(query)).as_dict()).data)


def _programme(query):
    """The programme a checked query names (?programme=), else the first; 404 when there is none."""
    programmes = programmes_with_envelope().select_related("results_settings")
    code = query.validated_data.get("programme")
    programme = programmes.filter(code__iexact=code).first() if code else programmes.first()
    if programme is None:
        raise NotFound(_("No programme with this code has an envelope."))
    return programme


# ---- results ----------------------------------------------------------------------------------------------------


def _id_param(help_text):
    return serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID, help_text=help_text)


class ResultsQuerySerializer(EnvelopeQuerySerializer):
    """The results dashboard's filters; an id that matches nothing leaves no grant, so no figure."""

    country = _id_param(_("Id of the grants' country."))
    objective = _id_param(_("Id of the grants' objective."))
    call = _id_param(_("Id of the grants' call."))
    period = serializers.IntegerField(required=False, min_value=1, max_value=32767, help_text=_("A reporting period."))
    indicator = serializers.RegexField(
        r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$", required=False, max_length=32,
        help_text=_("The code of an indicator whose disaggregation to add."),
    )


def _figure(cell) -> dict:
    return {"value": None if cell.suppressed else plain_number(cell.value) or None, "suppressed": cell.suppressed}


def _period(figure) -> dict:
    return {"period": figure.number, "target": plain_number(figure.target) or None, "achieved": _figure(figure.achieved)}


def _results(d) -> dict:
    """The dashboard's figures (results.selectors.Dashboard) as ResultsSerializer gives them."""
    t = d.disaggregation
    return {
        "programme_code": d.programme.code, "framework": d.framework, "threshold": d.threshold,
        "indicators": [{
            "code": r.indicator.code, "external_code": r.indicator.external_code, "title": r.indicator.title(),
            "unit": r.indicator.unit.code if r.indicator.unit else "", "unit_title": r.indicator.unit.title() if r.indicator.unit else "",
            "periods": [_period(p) for p in r.periods], "total": _period(r.total),
        } for r in d.indicators],
        "disaggregation": t and {
            "indicator": t.indicator.code, "row_heading": t.row_heading, "column_heading": t.column_heading,
            "columns": t.columns,
            "rows": [{"label": label, "cells": [_figure(c) for c in cells], "total": _figure(total)}
                     for label, cells, total in t.rows_with_cells],
            "column_totals": [_figure(c) for c in t.table.column_totals], "grand_total": _figure(t.table.grand_total),
        },
    }


class ResultsViewSet(viewsets.ViewSet):
    """A programme's results: achieved against target per standard indicator, per reporting period and over all
    periods in view, for the grants the filters leave, with one indicator's disaggregation on request. The
    figures of the results dashboard's CSV: people counts always protected by small-cell suppression. For
    programme staff and donor observers."""

    permission_classes = [IsAuthenticated, permissions.ResultsReaders]
    pagination_class = None

    @extend_schema(
        parameters=[ResultsQuerySerializer],
        responses={200: s.ResultsSerializer, 400: OpenApiTypes.OBJECT, **ERRORS},
    )
    def list(self, request):
        query = ResultsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        chosen = {name: query.validated_data.get(name) for name in FILTERS}
        d = dashboard(_programme(query), chosen=chosen, indicator_code=query.validated_data.get("indicator"))
        return Response(s.ResultsSerializer(_results(d)).data)
