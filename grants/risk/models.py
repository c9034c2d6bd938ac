"""Partner risk and assurance (HACT): micro-assessments of organisations, PSEA self-assessments, the programme's
rules per risk rating and the spot checks and programmatic visits done on grants.

Imported by grants.models, so the models belong to the `grants` app (and its migrations)."""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.uploads import RandomUploadPath


class RiskRating(models.TextChoices):
    LOW = "low", _("Low risk")
    MODERATE = "moderate", _("Moderate risk")
    SIGNIFICANT = "significant", _("Significant risk")
    HIGH = "high", _("High risk")


class AssessmentArea(models.TextChoices):
    # The subject areas of the HACT micro-assessment questionnaire.
    IMPLEMENTING_PARTNER = "implementing_partner", _("Implementing partner")
    PROGRAMME_MANAGEMENT = "programme_management", _("Programme management")
    ORGANISATIONAL_STRUCTURE = "organisational_structure", _("Organisational structure and staffing")
    ACCOUNTING_POLICIES = "accounting_policies", _("Accounting policies and procedures")
    FIXED_ASSETS = "fixed_assets", _("Fixed assets and inventory")
    FINANCIAL_REPORTING = "financial_reporting", _("Financial reporting and monitoring")
    PROCUREMENT = "procurement", _("Procurement")


class AssessmentSource(models.TextChoices):
    PROGRAMME = "programme", _("Micro-assessment by the programme")
    IMPORTED = "imported", _("Earlier assessment imported")


class MicroAssessment(models.Model):
    """One assessment of an organisation's financial management capacity. The latest unexpired one (by date)
    decides the organisation's rating; without one the organisation counts as high risk (grants.risk.rules)."""

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="micro_assessments")
    source = models.CharField(_("source"), max_length=12, choices=AssessmentSource.choices, default=AssessmentSource.PROGRAMME)
    assessed_on = models.DateField(_("date of the assessment"))
    expires_on = models.DateField(_("valid until"))
    # The assessor: a member of staff, or an external firm (or, for an import, the agency that assessed).
    assessor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("assessed by (staff)"),
    )
    assessor_firm = models.CharField(_("assessed by (firm or agency)"), max_length=255, blank=True)
    # area -> rating (RiskRating values); empty for an import that gives only the overall rating.
    area_ratings = models.JSONField(_("ratings per area"), default=dict, blank=True)
    overall = models.CharField(_("overall rating"), max_length=12, choices=RiskRating.choices)
    summary = models.TextField(_("summary"), blank=True)
    report = models.FileField(_("report"), upload_to=RandomUploadPath("risk-assessments"), max_length=255, blank=True)
    report_name = models.CharField(_("file name"), max_length=255, blank=True)
    report_kind = models.CharField(_("type"), max_length=8, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        ordering = ["organisation", "-assessed_on", "-id"]
        verbose_name = _("micro-assessment")
        verbose_name_plural = _("micro-assessments")
        constraints = [
            models.CheckConstraint(condition=Q(expires_on__gt=models.F("assessed_on")), name="risk_assessment_expiry_after_date"),
            models.CheckConstraint(condition=Q(overall__in=RiskRating.values), name="risk_assessment_overall_valid"),
            models.CheckConstraint(condition=Q(source__in=AssessmentSource.values), name="risk_assessment_source_valid"),
            models.CheckConstraint(
                condition=Q(assessor_user__isnull=False) | ~Q(assessor_firm=""), name="risk_assessment_has_assessor"
            ),
        ]
        indexes = [models.Index(fields=["organisation", "expires_on"], name="risk_assessment_org_expiry")]

    def __str__(self):
        return f"{self.organisation} {self.assessed_on} ({self.overall})"

    @property
    def area_rows(self) -> list:
        """(area label, rating) for each HACT area rated, in the questionnaire's order."""
        return [(area.label, self.area_ratings[area.value]) for area in AssessmentArea if area.value in self.area_ratings]

    @property
    def assessor(self) -> str:
        if self.assessor_user_id:
            return self.assessor_user.get_full_name() or self.assessor_user.email
        return self.assessor_firm


class PseaCapacity(models.TextChoices):
    FULL = "full", _("Full capacity")
    MEDIUM = "medium", _("Medium capacity")
    LOW = "low", _("Low capacity")


class PseaAssessment(models.Model):
    """An organisation's PSEA self-assessment: its member answers the questions, an officer then rates its capacity.
    The latest rated one counts."""

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="psea_assessments")
    answers = models.JSONField(_("answers"), default=dict)  # question key -> "yes" / "no"
    comment = models.TextField(_("comment"), blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(_("submitted"), auto_now_add=True)
    rating = models.CharField(_("officer's rating"), max_length=8, choices=PseaCapacity.choices, blank=True)
    rating_note = models.TextField(_("note on the rating"), blank=True)
    rated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    rated_at = models.DateTimeField(_("rated"), null=True, blank=True)

    class Meta:
        ordering = ["organisation", "-submitted_at", "-id"]
        verbose_name = _("PSEA self-assessment")
        verbose_name_plural = _("PSEA self-assessments")
        constraints = [
            models.CheckConstraint(condition=Q(rating="") | Q(rating__in=PseaCapacity.values), name="psea_rating_valid"),
            models.CheckConstraint(
                condition=Q(rating="", rated_at__isnull=True) | (~Q(rating="") & Q(rated_at__isnull=False)),
                name="psea_rated_has_time",
            ),
        ]

    def __str__(self):
        return f"PSEA {self.organisation} {self.submitted_at:%Y-%m-%d}"


class RiskRule(models.Model):
    """What a rating means under a programme: the largest share of a grant paid in advance (before any accepted
    expenditure), the spot checks and programmatic visits planned per year, and whether an audit is due. A
    programme with these rows applies them (grants.risk.rules.DEFAULTS are what `rules_adopt` writes)."""

    programme = models.ForeignKey("grants.Programme", on_delete=models.CASCADE, related_name="risk_rules")
    rating = models.CharField(_("rating"), max_length=12, choices=RiskRating.choices)
    max_advance_percent = models.DecimalField(_("largest advance (% of the grant)"), max_digits=5, decimal_places=2)
    spot_checks_per_year = models.PositiveSmallIntegerField(_("spot checks per year"))
    visits_per_year = models.PositiveSmallIntegerField(_("programmatic visits per year"))
    audit_due = models.BooleanField(_("audit due"))

    class Meta:
        ordering = ["programme", "id"]
        verbose_name = _("risk rule")
        verbose_name_plural = _("risk rules")
        constraints = [
            models.UniqueConstraint(fields=["programme", "rating"], name="risk_rule_one_per_rating"),
            models.CheckConstraint(condition=Q(rating__in=RiskRating.values), name="risk_rule_rating_valid"),
            models.CheckConstraint(
                condition=Q(max_advance_percent__gte=0, max_advance_percent__lte=100), name="risk_rule_advance_in_range"
            ),
        ]

    def __str__(self):
        return f"{self.programme} {self.rating}"


class AssuranceKind(models.TextChoices):
    SPOT_CHECK = "spot_check", _("Spot check")
    VISIT = "visit", _("Programmatic visit")


class AssuranceActivity(models.Model):
    """A spot check or programmatic visit done on a grant (its detailed findings come later)."""

    grant = models.ForeignKey("grants.Grant", on_delete=models.PROTECT, related_name="assurance_activities")
    kind = models.CharField(_("kind"), max_length=12, choices=AssuranceKind.choices)
    done_on = models.DateField(_("date"))
    done_by = models.CharField(_("done by"), max_length=255)
    summary = models.TextField(_("summary"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        ordering = ["grant", "-done_on", "-id"]
        verbose_name = _("assurance activity")
        verbose_name_plural = _("assurance activities")
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=AssuranceKind.values), name="assurance_kind_valid"),
            models.CheckConstraint(condition=~Q(done_by="") & ~Q(summary=""), name="assurance_has_who_and_summary"),
        ]
        indexes = [models.Index(fields=["grant", "done_on"], name="assurance_grant_date")]

    def __str__(self):
        return f"{self.grant.reference} {self.kind} {self.done_on}"
