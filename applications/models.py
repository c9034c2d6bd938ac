from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation
from core.uploads import RandomUploadPath
from grants.models import BudgetLineFields, Call, Country, GridStage, Objective


class ApplicationStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    ELIGIBLE = "eligible", _("Eligible")
    INELIGIBLE = "ineligible", _("Not eligible")
    SHORTLISTED = "shortlisted", _("Shortlisted: invited to apply in full")
    AWARDED = "awarded", _("Awarded")
    RESERVE = "reserve", _("On the reserve list")
    REJECTED = "rejected", _("Not selected")


# The only status changes an application may make; applications.services checks it.
APPLICATION_TRANSITIONS = {
    ApplicationStatus.DRAFT: {ApplicationStatus.SUBMITTED, ApplicationStatus.WITHDRAWN},
    ApplicationStatus.SUBMITTED: {ApplicationStatus.WITHDRAWN, ApplicationStatus.ELIGIBLE, ApplicationStatus.INELIGIBLE},
    ApplicationStatus.WITHDRAWN: set(),
    # A screening decision may be corrected by an officer, with a new reason.
    ApplicationStatus.ELIGIBLE: {
        ApplicationStatus.INELIGIBLE, ApplicationStatus.AWARDED, ApplicationStatus.RESERVE, ApplicationStatus.REJECTED,
        ApplicationStatus.SHORTLISTED,  # concept notes only
    },
    ApplicationStatus.SHORTLISTED: set(),
    ApplicationStatus.INELIGIBLE: {ApplicationStatus.ELIGIBLE},
    ApplicationStatus.RESERVE: {ApplicationStatus.AWARDED, ApplicationStatus.REJECTED},
    ApplicationStatus.AWARDED: set(),
    ApplicationStatus.REJECTED: set(),
}
EDITABLE_STATUSES = {ApplicationStatus.DRAFT}


class Application(models.Model):
    """A CSO's proposal to a call. Editable while a draft; read-only once submitted.

    Budget totals are never typed: they are computed from the lines and the amounts below
    (see applications.budget). The requested amount is total costs less co-financing.
    """

    call = models.ForeignKey(Call, on_delete=models.PROTECT, related_name="applications")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="applications")
    stage = models.CharField(_("stage"), max_length=16, choices=GridStage.choices, default=GridStage.FULL_APPLICATION)
    # A full application that follows a shortlisted concept note.
    concept_note = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="full_application"
    )
    status = models.CharField(_("status"), max_length=16, choices=ApplicationStatus.choices, default=ApplicationStatus.DRAFT)
    reference = models.CharField(_("reference"), max_length=40, blank=True)
    sequence = models.PositiveIntegerField(null=True, blank=True, editable=False)

    title = models.CharField(_("title of the action"), max_length=255, blank=True)
    summary = models.TextField(_("summary"), blank=True)
    objective = models.ForeignKey(Objective, verbose_name=_("objective"), on_delete=models.PROTECT, null=True, blank=True)
    countries = models.ManyToManyField(Country, verbose_name=_("countries of the action"), blank=True)
    start_date = models.DateField(_("start date"), null=True, blank=True)
    end_date = models.DateField(_("end date"), null=True, blank=True)

    # Target beneficiaries, counted and never named. The last two are "of whom" counts across the first four.
    women = models.PositiveIntegerField(_("women"), null=True, blank=True)
    men = models.PositiveIntegerField(_("men"), null=True, blank=True)
    girls = models.PositiveIntegerField(_("girls"), null=True, blank=True)
    boys = models.PositiveIntegerField(_("boys"), null=True, blank=True)
    victims_of_trafficking = models.PositiveIntegerField(_("of whom victims of trafficking"), null=True, blank=True)
    smuggled_migrants = models.PositiveIntegerField(_("of whom smuggled migrants"), null=True, blank=True)

    indirect_costs = models.DecimalField(_("indirect costs (EUR)"), max_digits=14, decimal_places=2, null=True, blank=True)
    contingency = models.DecimalField(_("contingency reserve (EUR)"), max_digits=14, decimal_places=2, null=True, blank=True)
    own_contribution = models.DecimalField(_("own contribution (EUR)"), max_digits=14, decimal_places=2, null=True, blank=True)
    third_party_contribution = models.DecimalField(
        _("third-party contribution (EUR)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    # Frozen at submission from the computed budget, so lists and the ledger never recompute it.
    requested_amount = models.DecimalField(_("amount requested (EUR)"), max_digits=14, decimal_places=2, null=True, blank=True)

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last saved"), auto_now=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)

    class Meta:
        ordering = ["-updated_at"]
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        # Granted per assignment (django-guardian) and taken back when the assignment ends.
        permissions = [("review_application", _("Can score the application as an assigned reviewer"))]
        constraints = [
            models.UniqueConstraint(fields=["call", "sequence"], name="application_sequence_unique_per_call"),
            # One live application per organisation, call and stage; a withdrawn one does not count.
            models.UniqueConstraint(
                fields=["call", "organisation", "stage"], condition=~Q(status="withdrawn"), name="application_one_per_call"
            ),
            models.UniqueConstraint(
                fields=["reference"], condition=~Q(reference=""), name="application_reference_unique"
            ),
            models.CheckConstraint(condition=Q(status__in=ApplicationStatus.values), name="application_status_valid"),
            models.CheckConstraint(
                condition=Q(start_date__isnull=True) | Q(end_date__isnull=True) | Q(end_date__gt=models.F("start_date")),
                name="application_dates_ordered",
            ),
            models.CheckConstraint(
                condition=(Q(indirect_costs__isnull=True) | Q(indirect_costs__gte=0))
                & (Q(contingency__isnull=True) | Q(contingency__gte=0))
                & (Q(own_contribution__isnull=True) | Q(own_contribution__gte=0))
                & (Q(third_party_contribution__isnull=True) | Q(third_party_contribution__gte=0)),
                name="application_amounts_not_negative",
            ),
            # A submitted (or later) application always has its reference and number.
            models.CheckConstraint(
                condition=Q(status__in=["draft"]) | (Q(sequence__isnull=False) & ~Q(reference="")) | Q(status="withdrawn", submitted_at__isnull=True),
                name="application_submitted_has_reference",
            ),
        ]
        indexes = [
            models.Index(fields=["call", "status"], name="application_call_status_idx"),
            # The API's list, newest first, reads a page without sorting every application.
            models.Index(fields=["-updated_at", "-id"], name="application_updated_idx"),
            # The same list filtered by call (the usual way it is read): without it SQLite sorts the whole call.
            models.Index(fields=["call", "-updated_at", "-id"], name="application_call_updated_idx"),
        ]

    def __str__(self):
        return self.reference or self.title or str(_("Untitled application"))

    @property
    def is_editable(self):
        return self.status in EDITABLE_STATUSES

    @property
    def is_concept_note(self):
        return self.stage == GridStage.CONCEPT_NOTE

    @property
    def deadline(self):
        return self.call.deadline_for(self.stage)


class ReferenceCounter(models.Model):
    """The last reference number given in a call. Locked while a submission takes the next one, so numbers are gapless."""

    call = models.OneToOneField(Call, on_delete=models.CASCADE, primary_key=True, related_name="reference_counter")
    last_number = models.PositiveIntegerField(default=0)


class BudgetLine(BudgetLineFields):
    """One direct-cost line of an application. A draft may hold incomplete lines; submission requires every line
    complete (applications.rules)."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="budget_lines")

    class Meta:
        ordering = ["application", "position", "id"]
        verbose_name = _("budget line")
        verbose_name_plural = _("budget lines")
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__isnull=True) | Q(quantity__gt=0), name="budget_line_quantity_positive"
            ),
            models.CheckConstraint(
                condition=Q(unit_cost__isnull=True) | Q(unit_cost__gte=0), name="budget_line_unit_cost_not_negative"
            ),
        ]


class LogframeLevel(models.TextChoices):
    OUTCOME = "outcome", _("Outcome")
    OUTPUT = "output", _("Output")


class LogframeRow(models.Model):
    """An outcome or output of the action, with one indicator, its baseline and target (complete by submission)."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="logframe_rows")
    position = models.PositiveSmallIntegerField(default=0)
    level = models.CharField(_("level"), max_length=8, choices=LogframeLevel.choices, blank=True)
    statement = models.CharField(_("result"), max_length=500, blank=True)
    indicator = models.CharField(_("indicator"), max_length=500, blank=True)
    baseline = models.DecimalField(_("baseline"), max_digits=12, decimal_places=2, null=True, blank=True)
    target = models.DecimalField(_("target"), max_digits=12, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["application", "position", "id"]
        verbose_name = _("logframe row")
        verbose_name_plural = _("logframe rows")

    def __str__(self):
        return self.statement


class Attachment(models.Model):
    """A document attached to an application. Served only to those who may read the application."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="attachments")
    title = models.CharField(_("description"), max_length=255)
    file = models.FileField(_("file"), upload_to=RandomUploadPath("applications"), max_length=255)
    original_name = models.CharField(_("file name"), max_length=255)
    kind = models.CharField(_("type"), max_length=8)
    size = models.PositiveIntegerField(_("size in bytes"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        ordering = ["application", "uploaded_at", "id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self):
        return self.title


class ScreeningDecision(models.TextChoices):
    ELIGIBLE = "eligible", _("Eligible")
    INELIGIBLE = "ineligible", _("Not eligible")


class Screening(models.Model):
    """The administrative and eligibility check of a submitted application by a programme officer."""

    application = models.OneToOneField(Application, on_delete=models.CASCADE, related_name="screening")
    on_time = models.BooleanField(_("submitted on time"))
    complete = models.BooleanField(_("complete"))
    applicant_eligible = models.BooleanField(_("applicant eligible"))
    action_eligible = models.BooleanField(_("action eligible"))
    costs_eligible = models.BooleanField(_("costs eligible"))
    decision = models.CharField(_("decision"), max_length=12, choices=ScreeningDecision.choices)
    reason = models.TextField(_("reason given to the applicant"), blank=True)
    screened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    screened_at = models.DateTimeField(_("screened"))

    class Meta:
        verbose_name = _("screening")
        verbose_name_plural = _("screenings")
        constraints = [
            # Eligible only when every check passed; not eligible always says why.
            models.CheckConstraint(
                condition=Q(
                    decision="eligible", on_time=True, complete=True, applicant_eligible=True,
                    action_eligible=True, costs_eligible=True,
                )
                | (Q(decision="ineligible") & ~Q(reason="")),
                name="screening_decision_consistent",
            ),
        ]

    def __str__(self):
        return f"{self.application} – {self.get_decision_display()}"


# --- Review ------------------------------------------------------------------------------------------------------


class Panel(models.Model):
    """The reviewers of a call, formed by a programme officer."""

    call = models.OneToOneField(Call, on_delete=models.CASCADE, related_name="panel")
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="panels", verbose_name=_("reviewers"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("review panel")
        verbose_name_plural = _("review panels")

    def __str__(self):
        return f"{self.call.reference} panel"


class ConflictDeclaration(models.Model):
    """A reviewer's declaration, per application, made before seeing its content (or recorded by an officer)."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="conflict_declarations")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="conflict_declarations")
    has_conflict = models.BooleanField(_("conflict of interest"))
    reason = models.TextField(_("reason"), blank=True)
    declared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    declared_at = models.DateTimeField(_("declared"))

    class Meta:
        verbose_name = _("conflict-of-interest declaration")
        verbose_name_plural = _("conflict-of-interest declarations")
        constraints = [
            models.UniqueConstraint(fields=["application", "reviewer"], name="conflict_one_per_reviewer"),
            models.CheckConstraint(condition=Q(has_conflict=False) | ~Q(reason=""), name="conflict_has_reason"),
        ]

    def __str__(self):
        return f"{self.reviewer} – {self.application}"


class AssignmentStatus(models.TextChoices):
    ACTIVE = "active", _("Assigned")
    DECLINED = "declined", _("Declined by the reviewer")
    REMOVED = "removed", _("Removed by an officer")


class Assignment(models.Model):
    """A reviewer asked to score an application. Never with a declared conflict (applications.review.services)."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="assignments")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assignments")
    status = models.CharField(_("status"), max_length=12, choices=AssignmentStatus.choices, default=AssignmentStatus.ACTIVE)
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    assigned_at = models.DateTimeField(_("assigned"), auto_now_add=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    end_reason = models.TextField(_("reason"), blank=True)

    class Meta:
        ordering = ["application", "assigned_at"]
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        constraints = [models.UniqueConstraint(fields=["application", "reviewer"], name="assignment_once_per_reviewer")]

    def __str__(self):
        return f"{self.reviewer} → {self.application}"


class ReviewStatus(models.TextChoices):
    DRAFT = "draft", _("In progress")
    SUBMITTED = "submitted", _("Submitted")


class Review(models.Model):
    """A reviewer's scores for one assignment. Locked once submitted; an officer may reopen it with a reason."""

    assignment = models.OneToOneField(Assignment, on_delete=models.CASCADE, related_name="review")
    status = models.CharField(_("status"), max_length=12, choices=ReviewStatus.choices, default=ReviewStatus.DRAFT)
    overall_comment = models.TextField(_("overall comment"), blank=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("review")
        verbose_name_plural = _("reviews")

    def __str__(self):
        return f"{self.assignment}"


class Score(models.Model):
    """A score on one criterion; `value` is empty when the criterion is marked not applicable (or not scored yet)."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="scores")
    criterion = models.ForeignKey("grants.Criterion", on_delete=models.PROTECT, related_name="scores")
    value = models.PositiveSmallIntegerField(_("score"), null=True, blank=True)
    not_applicable = models.BooleanField(_("not applicable"), default=False)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        verbose_name = _("score")
        verbose_name_plural = _("scores")
        constraints = [
            models.UniqueConstraint(fields=["review", "criterion"], name="score_one_per_criterion"),
            models.CheckConstraint(condition=Q(not_applicable=False) | Q(value__isnull=True), name="score_na_has_no_value"),
        ]


class ModeratedScore(models.Model):
    """An officer's moderated total for a divergent application, with the justification; it replaces the mean."""

    application = models.OneToOneField(Application, on_delete=models.CASCADE, related_name="moderated_score")
    total = models.DecimalField(_("moderated total"), max_digits=7, decimal_places=2)
    justification = models.TextField(_("justification"))
    moderated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    moderated_at = models.DateTimeField(_("moderated"))

    class Meta:
        verbose_name = _("moderated score")
        verbose_name_plural = _("moderated scores")
        constraints = [
            models.CheckConstraint(condition=Q(total__gte=0), name="moderated_total_not_negative"),
            models.CheckConstraint(condition=~Q(justification=""), name="moderated_total_justified"),
        ]


class RankingVersion(models.Model):
    """A number that moves whenever a counted input of the call's ranking changes (a review submitted or reopened,
    an assignment started or ended, a conflict, a moderated total), so the computed ranking can be cached under it.
    It starts at a random number, so a restored or rolled-back database never meets its own future rankings."""

    call = models.OneToOneField(Call, on_delete=models.CASCADE, primary_key=True, related_name="ranking_version")
    version = models.BigIntegerField()


class AwardOutcome(models.TextChoices):
    SHORTLIST = "shortlist", _("Shortlist")  # concept notes: invited to apply in full
    AWARD = "award", _("Award")
    RESERVE = "reserve", _("Reserve list")
    REJECT = "reject", _("Not selected")


class AwardDecision(models.Model):
    """The officer's confirmed decision on a ranked application. An award commits its amount through the ledger."""

    application = models.OneToOneField(Application, on_delete=models.CASCADE, related_name="award_decision")
    outcome = models.CharField(_("decision"), max_length=12, choices=AwardOutcome.choices)
    amount = models.DecimalField(_("amount awarded (EUR)"), max_digits=14, decimal_places=2, null=True, blank=True)
    rank = models.PositiveIntegerField(_("rank"), null=True, blank=True)
    score = models.DecimalField(_("score used for ranking"), max_digits=7, decimal_places=2, null=True, blank=True)
    justification = models.TextField(_("justification"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(_("decided"))
    grant = models.OneToOneField("grants.Grant", on_delete=models.PROTECT, null=True, blank=True, related_name="award_decision")

    class Meta:
        verbose_name = _("award decision")
        verbose_name_plural = _("award decisions")
        constraints = [
            models.CheckConstraint(condition=~Q(justification=""), name="award_justified"),
            models.CheckConstraint(
                condition=(Q(outcome="award") & Q(amount__gt=0) & Q(grant__isnull=False))
                | (~Q(outcome="award") & Q(grant__isnull=True)),
                name="award_has_amount_and_grant",
            ),
        ]

    def __str__(self):
        return f"{self.application} – {self.get_outcome_display()}"
