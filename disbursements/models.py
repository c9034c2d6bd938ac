from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _


class ExchangeRate(models.Model):
    """A monthly EUR rate, InforEuro-style: one euro buys `rate` units of `currency` during `month`."""

    currency = models.CharField(_("currency"), max_length=3)
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    rate = models.DecimalField(_("units of the currency per euro"), max_digits=18, decimal_places=6)
    source = models.CharField(_("source"), max_length=120)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    recorded_at = models.DateTimeField(_("recorded"), auto_now=True)

    class Meta:
        ordering = ["currency", "-month"]
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")
        constraints = [
            models.UniqueConstraint(fields=["currency", "month"], name="fx_rate_one_per_month"),
            models.CheckConstraint(condition=Q(rate__gt=0), name="fx_rate_positive"),
            models.CheckConstraint(condition=Q(month__day=1), name="fx_rate_month_first_day"),
            models.CheckConstraint(condition=~Q(currency="EUR"), name="fx_rate_not_eur"),
        ]

    def __str__(self):
        return f"1 EUR = {self.rate} {self.currency} ({self.month:%Y-%m})"


class TrancheKind(models.TextChoices):
    PREFINANCING = "prefinancing", _("Pre-financing on signature")
    FURTHER = "further", _("Further pre-financing")
    BALANCE = "balance", _("Balance after the final report")


class Tranche(models.Model):
    """A planned payment of a grant's schedule (disbursements.schedule). What it may pay today is computed from the
    agreement, the payments made and the expenditure approved; `planned_amount` is the schedule's plan.

    Written when the agreement is signed and re-planned by amendments; a tranche with payments keeps its plan.
    """

    grant = models.ForeignKey("grants.Grant", on_delete=models.CASCADE, related_name="tranches")
    number = models.PositiveSmallIntegerField(_("tranche"))
    kind = models.CharField(_("kind"), max_length=16, choices=TrancheKind.choices)
    planned_amount = models.DecimalField(_("planned amount (EUR)"), max_digits=14, decimal_places=2)
    # The reporting period whose approved interim report a further tranche waits for; empty for the others.
    after_period = models.PositiveSmallIntegerField(_("after the report of period"), null=True, blank=True)
    expected_on = models.DateField(_("expected"), null=True, blank=True)

    class Meta:
        ordering = ["grant", "number"]
        verbose_name = _("tranche")
        verbose_name_plural = _("tranches")
        constraints = [
            models.UniqueConstraint(fields=["grant", "number"], name="tranche_number_unique"),
            models.CheckConstraint(condition=Q(planned_amount__gte=0), name="tranche_planned_not_negative"),
            models.CheckConstraint(
                condition=(Q(kind=TrancheKind.FURTHER) & Q(after_period__isnull=False))
                | (~Q(kind=TrancheKind.FURTHER) & Q(after_period__isnull=True)),
                name="tranche_further_has_period",
            ),
        ]

    def __str__(self):
        return f"{self.grant.reference} #{self.number}"


class Payment(models.Model):
    """A payment to a grantee against a tranche, recorded by finance. Its money is the ledger entry; a wrong
    payment is reversed by a second ledger entry (never edited or deleted)."""

    grant = models.ForeignKey("grants.Grant", on_delete=models.PROTECT, related_name="payments")
    tranche = models.ForeignKey(Tranche, on_delete=models.PROTECT, related_name="payments")
    amount = models.DecimalField(_("amount (EUR)"), max_digits=14, decimal_places=2)
    value_date = models.DateField(_("value date"))
    bank_reference = models.CharField(_("bank reference"), max_length=64)
    local_amount = models.DecimalField(_("amount received in local currency"), max_digits=18, decimal_places=2, null=True, blank=True)
    local_currency = models.CharField(_("local currency"), max_length=3, blank=True)
    local_rate = models.DecimalField(_("rate applied (local units per EUR)"), max_digits=18, decimal_places=6, null=True, blank=True)
    ledger_entry = models.OneToOneField("grants.LedgerEntry", on_delete=models.PROTECT, related_name="payment")
    reversal_entry = models.OneToOneField(
        "grants.LedgerEntry", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_payment"
    )
    reversal_reason = models.TextField(_("reason for the reversal"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        ordering = ["value_date", "id"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(reversal_entry__isnull=True) | ~Q(reversal_reason=""), name="payment_reversal_has_reason"
            ),
            # One standing payment per bank transfer, whatever the grant (the service checks first, with a message).
            models.UniqueConstraint(
                Upper("bank_reference"), condition=Q(reversal_entry__isnull=True), name="payment_bank_reference_unique"
            ),
            models.CheckConstraint(
                condition=(Q(local_amount__isnull=True) & Q(local_currency="") & Q(local_rate__isnull=True))
                | (Q(local_amount__gt=0) & ~Q(local_currency="") & Q(local_rate__gt=0)),
                name="payment_local_amount_complete",
            ),
        ]
        indexes = [models.Index(fields=["value_date"], name="payment_value_date")]

    def __str__(self):
        return f"{self.grant.reference} {self.amount} EUR {self.value_date}"

    @property
    def is_reversed(self):
        return self.reversal_entry_id is not None


class ApprovedExpenditure(models.Model):
    """Expenditure charged to a grant and accepted by the programme: written when a report's financial part is
    approved (reports.services calls disbursements.services.expenditure_accept). It justifies advances, unlocks
    further tranches (the 70% rule) and sizes the balance. One row per approved report; never changed."""

    grant = models.ForeignKey("grants.Grant", on_delete=models.PROTECT, related_name="approved_expenditure")
    period_number = models.PositiveSmallIntegerField(_("reporting period"))
    is_final = models.BooleanField(_("final report"), default=False)
    amount = models.DecimalField(_("expenditure accepted (EUR)"), max_digits=14, decimal_places=2)
    period_end = models.DateField(_("period end"))
    source = models.CharField(_("report"), max_length=80)
    approved_at = models.DateTimeField(_("approved"))
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # An adjusting row: the ineligible amount of a confirmed finding (disbursements.verification), negative, charged
    # to the period the check covered. Sums of approved expenditure include it; it approves no report.
    finding = models.OneToOneField("disbursements.Finding", on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="deduction")

    class Meta:
        ordering = ["grant", "period_number"]
        verbose_name = _("approved expenditure")
        verbose_name_plural = _("approved expenditure")
        constraints = [
            models.UniqueConstraint(fields=["grant", "period_number"], condition=Q(finding__isnull=True),
                                    name="approved_expenditure_one_per_period"),
            models.UniqueConstraint(fields=["grant"], condition=Q(is_final=True), name="approved_expenditure_one_final"),
            models.CheckConstraint(condition=Q(amount__gte=0) | (Q(finding__isnull=False) & Q(amount__lt=0) & Q(is_final=False)),
                                   name="approved_expenditure_not_negative"),
        ]

    def __str__(self):
        return f"{self.grant.reference} period {self.period_number}: {self.amount} EUR"


# Recovery orders and their settlements (disbursements/recovery/): their models belong to this app.
from .recovery.models import (  # noqa: E402,F401
    RECOVERY_TRANSITIONS,
    RecoveryOrder,
    RecoveryOrigin,
    RecoveryStatus,
    RecoverySettlement,
    SettlementKind,
)

# Spot checks and expenditure verifications with their findings (disbursements/verification/).
from .verification.models import (  # noqa: E402,F401
    CheckKind,
    CheckStatus,
    ExpenditureCheck,
    Finding,
    FindingCategory,
    FindingOutcome,
    FindingPriority,
    FindingResponse,
    VerificationRule,
)


# Requests started by the grantee (disbursements/requests/): their models belong to this app.
from .requests.models import (  # noqa: E402,F401
    REQUEST_TRANSITIONS,
    AmendmentKind,
    GrantRequest,
    RequestComment,
    RequestKind,
    RequestStatus,
)
