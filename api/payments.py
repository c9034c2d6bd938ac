"""Payments through the API: list and read the payments of the grants a user may read; finance records and reverses.

Who sees what is decided exactly as on the payment pages and the grantee portal: `grants.access.grants_for` (staff and
donor observers see every grant, a grantee's members their own; another organisation's payment is a 404). The fields
are those the grantee portal shows; bank account details are never part of a payment.

Recording and reversing call `disbursements.services`, which lock, check, write and audit; a refusal (DomainError)
becomes a 400 with its message on its field. Both POSTs need an `Idempotency-Key` (api.idempotency).
"""
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import permissions, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.settings import api_settings

from accounts import roles as R
from core.errors import DomainError
from disbursements.models import Payment, Tranche
from disbursements.services import payment_record, payment_reverse
from grants.access import grants_for

from .fields import DecimalString, IdRelatedField, MoneyString
from .idempotency import idempotent
from .permissions import ReadsGrantees, role_permission
from .serializers import ErrorSerializer
from .views import ERRORS, ReadOnlyViewSet, documented

FinanceOfficers = role_permission(R.FINANCE_OFFICER)


@extend_schema_field(OpenApiTypes.INT)
class ReadableTrancheField(IdRelatedField):
    """A tranche of a grant the user may read; any other id is refused like a missing one."""

    def get_queryset(self):
        return Tranche.objects.filter(grant__in=grants_for(self.context["request"].user))


class PaymentSerializer(serializers.ModelSerializer):
    grant = serializers.SlugRelatedField(slug_field="reference", read_only=True)
    tranche_number = serializers.IntegerField(source="tranche.number", read_only=True)
    reversed = serializers.BooleanField(source="is_reversed", read_only=True)

    class Meta:
        model = Payment
        fields = [
            "id", "grant", "tranche", "tranche_number", "amount", "value_date", "bank_reference",
            "local_amount", "local_currency", "local_rate", "reversed", "reversal_reason", "recorded_at",
        ]
        read_only_fields = fields


class PaymentCreateSerializer(serializers.Serializer):
    """The values of a payment; `disbursements.services.payment_record` checks the rules."""

    tranche = ReadableTrancheField()
    amount = MoneyString()
    value_date = serializers.DateField()
    bank_reference = serializers.CharField(max_length=64)
    local_amount = MoneyString(max_digits=18, required=False, allow_null=True)
    local_currency = serializers.CharField(max_length=3, required=False, allow_blank=True)
    local_rate = DecimalString(max_digits=18, decimal_places=6, required=False, allow_null=True)


class ReversalSerializer(serializers.Serializer):
    reason = serializers.CharField()


class PaymentFilter(filters.FilterSet):
    grant = filters.CharFilter(field_name="grant__reference", help_text=_("The grant's reference."))
    value_date = filters.DateFromToRangeFilter(
        help_text=_("value_date_after and/or value_date_before (YYYY-MM-DD), both included.")
    )
    reversed = filters.BooleanFilter(
        field_name="reversal_entry", lookup_expr="isnull", exclude=True, help_text=_("true: reversed payments only.")
    )

    class Meta:
        model = Payment
        fields = ["grant", "value_date", "reversed"]


# DRF's 400: messages per field ({"amount": ["…"]}, "non_field_errors"), or {"detail": "…"} for a malformed body or
# a missing Idempotency-Key.
FIELD_ERRORS = OpenApiResponse(
    description=_("The request was refused: the messages, by field."),
    response={
        "type": "object",
        "additionalProperties": {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
    },
)
# 422: the Idempotency-Key was used before for a different request.
WRITE_RESPONSES = {400: FIELD_ERRORS, **ERRORS, 422: ErrorSerializer}


def _refusal(exc: DomainError, serializer_class) -> ValidationError:
    """A service's refusal as a 400 on its field, or on non_field_errors when the field is not one of the body's."""
    field = exc.field if exc.field in serializer_class().fields else api_settings.NON_FIELD_ERRORS_KEY
    return ValidationError({field: [exc.message]})


@documented(PaymentSerializer)
class PaymentViewSet(ReadOnlyViewSet):
    """Payments of the grants you may read. Finance officers record payments and reverse wrong ones."""

    serializer_class = PaymentSerializer
    filterset_class = PaymentFilter
    ordering_fields = ["value_date", "amount"]
    ordering = ["value_date"]

    def get_queryset(self):
        return Payment.objects.filter(grant__in=grants_for(self.request.user)).select_related("grant", "tranche")

    def get_permissions(self):
        # Readers as on the grant pages and the grantee portal; writers as on the finance pages.
        readers_or_writers = FinanceOfficers if self.action in ("create", "reverse") else ReadsGrantees
        return [permissions.IsAuthenticated(), readers_or_writers()]

    def _payment_response(self, payment, code):
        return Response(self.get_serializer(self.get_queryset().get(pk=payment.pk)).data, status=code)

    @extend_schema(request=PaymentCreateSerializer, responses={201: PaymentSerializer, **WRITE_RESPONSES})
    @idempotent
    def create(self, request):
        """Record a payment on a tranche (finance officers)."""
        body = PaymentCreateSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        try:
            payment = payment_record(actor=request.user, **body.validated_data)
        except DomainError as exc:
            raise _refusal(exc, PaymentCreateSerializer) from exc
        return self._payment_response(payment, status.HTTP_201_CREATED)

    @extend_schema(request=ReversalSerializer, responses={200: PaymentSerializer, **WRITE_RESPONSES})
    @idempotent
    @action(detail=True, methods=["post"])
    def reverse(self, request, pk=None):
        """Reverse a wrong payment, with the reason (finance officers)."""
        payment = self.get_object()
        body = ReversalSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            payment = payment_reverse(actor=request.user, payment=payment, reason=body.validated_data["reason"])
        except DomainError as exc:
            raise _refusal(exc, ReversalSerializer) from exc
        return self._payment_response(payment, status.HTTP_200_OK)
