"""Spot checks and expenditure verifications of a grant's expenditure, their findings and the grantee's answers.
Imported into disbursements.models, so they belong to the `disbursements` app. Written only by
disbursements.verification.services.

A finding's ineligible amount, once confirmed ("deducted"), is an adjusting row of approved expenditure
(disbursements.ApprovedExpenditure with `finding` set, a negative amount), so the schedule, the unspent advance and
the dashboard read the reduced figure without knowing about checks."""
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.uploads import RandomUploadPath

# PRAG: a grant above this amount receives its balance only after an expenditure verification is closed.
DEFAULT_VERIFICATION_THRESHOLD = Decimal("100000.00")


class CheckKind(models.TextChoices):
    SPOT_CHECK = "spot_check", _("Spot check")
    VERIFICATION = "verification", _("Expenditure verification")


class CheckStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    CLOSED = "closed", _("Closed")


CHECK_TRANSITIONS = {
    CheckStatus.PLANNED: {CheckStatus.IN_PROGRESS},
    CheckStatus.IN_PROGRESS: {CheckStatus.CLOSED},
    CheckStatus.CLOSED: set(),
}


class FindingCategory(models.TextChoices):
    MISSING_SUPPORT = "missing_support", _("Missing supporting documents")
    INELIGIBLE = "ineligible", _("Ineligible cost")
    PROCUREMENT = "procurement", _("Procurement")
    CUT_OFF = "cut_off", _("Cut-off")
    OTHER = "other", _("Other")


class FindingPriority(models.TextChoices):
    HIGH = "high", _("High")
    MEDIUM = "medium", _("Medium")
    LOW = "low", _("Low")


class FindingOutcome(models.TextChoices):
    OPEN = "open", _("Open")
    DOCUMENTS_ACCEPTED = "documents_accepted", _("Additional documents accepted")
    JUSTIFICATION_ACCEPTED = "justification_accepted", _("Justification accepted")
    DEDUCTED = "deducted", _("Confirmed: deducted from approved expenditure")
    WRITE_OFF_PROPOSED = "write_off_proposed", _("Write-off proposed, awaiting approval")
    WRITTEN_OFF = "written_off", _("Written off with approval")
    REFUND = "refund", _("To be refunded")


CLEARED_OUTCOMES = (FindingOutcome.DOCUMENTS_ACCEPTED, FindingOutcome.JUSTIFICATION_ACCEPTED)
FINAL_OUTCOMES = (*CLEARED_OUTCOMES, FindingOutcome.DEDUCTED, FindingOutcome.WRITTEN_OFF, FindingOutcome.REFUND)


class VerificationRule(models.Model):
    """A programme's threshold above which the balance waits for a closed expenditure verification (PRAG default
    EUR 100,000 when the programme has no rule)."""

    programme = models.OneToOneField("grants.Programme", on_delete=models.CASCADE, related_name="verification_rule")
    threshold = models.DecimalField(
        _("a grant above this amount (EUR) needs a closed expenditure verification before its balance"),
        max_digits=14, decimal_places=2, default=DEFAULT_VERIFICATION_THRESHOLD,
    )

    class Meta:
        verbose_name = _("verification rule")
        verbose_name_plural = _("verification rules")
        constraints = [models.CheckConstraint(condition=Q(threshold__gte=0), name="verification_threshold_not_negative")]

    def __str__(self):
        return f"{self.programme} {self.threshold}"


class ExpenditureCheck(models.Model):
    """A spot check or expenditure verification of a grant's expenditure over a period."""

    grant = models.ForeignKey("grants.Grant", on_delete=models.PROTECT, related_name="expenditure_checks")
    number = models.PositiveSmallIntegerField(_("number"))
    kind = models.CharField(_("kind"), max_length=12, choices=CheckKind.choices)
    status = models.CharField(_("status"), max_length=12, choices=CheckStatus.choices, default=CheckStatus.PLANNED)
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+", verbose_name=_("done by (staff)"))
    verifier = models.CharField(_("external verifier"), max_length=255, blank=True)
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    period_number = models.PositiveSmallIntegerField(_("reporting period"))
    sample = models.TextField(_("sample tested"), blank=True)
    amount_covered = models.DecimalField(_("expenditure covered (EUR)"), max_digits=14, decimal_places=2, default=0)
    conclusion = models.TextField(_("conclusion"), blank=True)
    assurance = models.OneToOneField("grants.AssuranceActivity", on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="expenditure_check")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)
    closed_on = models.DateField(_("closed"), null=True, blank=True)

    class Meta:
        ordering = ["grant", "number"]
        verbose_name = _("expenditure check")
        verbose_name_plural = _("expenditure checks")
        constraints = [
            models.UniqueConstraint(fields=["grant", "number"], name="expenditure_check_number_unique"),
            models.CheckConstraint(condition=Q(kind__in=CheckKind.values), name="expenditure_check_kind_valid"),
            models.CheckConstraint(condition=Q(status__in=CheckStatus.values), name="expenditure_check_status_valid"),
            models.CheckConstraint(condition=Q(period_end__gte=models.F("period_start")), name="expenditure_check_period_ordered"),
            models.CheckConstraint(condition=Q(amount_covered__gte=0), name="expenditure_check_covered_not_negative"),
            models.CheckConstraint(condition=Q(staff__isnull=False) | ~Q(verifier=""), name="expenditure_check_has_who"),
        ]

    def __str__(self):
        return self.reference

    @property
    def reference(self) -> str:
        return f"{self.grant.reference}-EC{self.number:02d}"

    @property
    def done_by(self) -> str:
        if self.verifier:
            return self.verifier
        return self.staff.get_full_name() or self.staff.get_username() if self.staff else ""


class Finding(models.Model):
    check_ref = models.ForeignKey(ExpenditureCheck, on_delete=models.PROTECT, related_name="findings",
                                  db_column="check_id", verbose_name=_("check"))
    grant = models.ForeignKey("grants.Grant", on_delete=models.PROTECT, related_name="findings")
    category = models.CharField(_("category"), max_length=16, choices=FindingCategory.choices)
    priority = models.CharField(_("priority"), max_length=8, choices=FindingPriority.choices)
    description = models.TextField(_("description"))
    ineligible_amount = models.DecimalField(_("ineligible amount (EUR)"), max_digits=14, decimal_places=2, default=0)
    outcome = models.CharField(_("follow-up"), max_length=24, choices=FindingOutcome.choices, default=FindingOutcome.OPEN)
    outcome_note = models.TextField(_("note on the follow-up"), blank=True)
    outcome_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    write_off_approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                              related_name="+")
    recovery_order = models.OneToOneField("disbursements.RecoveryOrder", on_delete=models.PROTECT, null=True, blank=True,
                                          related_name="finding")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        ordering = ["check_ref", "id"]
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        constraints = [
            models.CheckConstraint(condition=Q(category__in=FindingCategory.values), name="finding_category_valid"),
            models.CheckConstraint(condition=Q(priority__in=FindingPriority.values), name="finding_priority_valid"),
            models.CheckConstraint(condition=Q(outcome__in=FindingOutcome.values), name="finding_outcome_valid"),
            models.CheckConstraint(condition=Q(ineligible_amount__gte=0), name="finding_ineligible_not_negative"),
            models.CheckConstraint(
                condition=~Q(outcome=FindingOutcome.WRITTEN_OFF)
                | (Q(write_off_approved_by__isnull=False) & ~Q(write_off_approved_by=models.F("outcome_by"))),
                name="finding_write_off_second_person",
            ),
        ]

    def __str__(self):
        return f"{self.check_ref.reference} {self.get_category_display()}"

    @property
    def is_open(self) -> bool:
        return self.outcome not in FINAL_OUTCOMES


class FindingResponse(models.Model):
    """The grantee's answer to a finding, with a document, and the officer's decision on it."""

    finding = models.ForeignKey(Finding, on_delete=models.CASCADE, related_name="responses")
    text = models.TextField(_("answer"))
    document = models.FileField(_("document"), upload_to=RandomUploadPath("verification"), max_length=255, blank=True)
    document_name = models.CharField(_("file name"), max_length=255, blank=True)
    accepted = models.BooleanField(_("accepted"), null=True)
    decision_note = models.TextField(_("note on the decision"), blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    sent_at = models.DateTimeField(_("sent"), auto_now_add=True)

    class Meta:
        ordering = ["finding", "sent_at", "id"]
        verbose_name = _("answer to a finding")
        verbose_name_plural = _("answers to findings")
