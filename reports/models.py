"""Grantee reports: one Report per reporting period of a grant (grants.periods), each with its versions.

The grantee edits the latest version while it is a draft (or after changes were requested, in a new version
copied from the last one); submitting locks that version for good. The officer approves a submitted version or
requests changes with comments. Approval of the financial part feeds disbursements (ApprovedExpenditure).
"""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.uploads import RandomUploadPath
from grants.models import AgreementBudgetLine, BudgetHeading, Grant


class ReportStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", pgettext_lazy("report status", "Submitted")
    CHANGES_REQUESTED = "changes", _("Changes requested")
    APPROVED = "approved", _("Approved")


# The only status changes a report (and its latest version) may make; reports.services checks it.
REPORT_TRANSITIONS = {
    ReportStatus.DRAFT: {ReportStatus.SUBMITTED},
    ReportStatus.SUBMITTED: {ReportStatus.APPROVED, ReportStatus.CHANGES_REQUESTED},
    ReportStatus.CHANGES_REQUESTED: {ReportStatus.SUBMITTED},
    ReportStatus.APPROVED: set(),
}


class Report(models.Model):
    """The report of one reporting period of a grant: interim, or the final one."""

    grant = models.ForeignKey(Grant, on_delete=models.PROTECT, related_name="reports")
    period_number = models.PositiveSmallIntegerField(_("reporting period"))
    is_final = models.BooleanField(_("final report"), default=False)
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    due_date = models.DateField(_("due"))
    status = models.CharField(_("status"), max_length=12, choices=ReportStatus.choices, default=ReportStatus.DRAFT)
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(_("last submitted"), null=True, blank=True)
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["grant", "period_number"]
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        constraints = [
            models.UniqueConstraint(fields=["grant", "period_number"], name="report_one_per_period"),
            models.UniqueConstraint(fields=["grant"], condition=Q(is_final=True), name="report_one_final"),
            models.CheckConstraint(condition=Q(status__in=ReportStatus.values), name="report_status_valid"),
            models.CheckConstraint(condition=Q(period_end__gte=models.F("period_start")), name="report_period_ordered"),
        ]

    def __str__(self):
        kind = _("Final report") if self.is_final else _("Interim report %(n)s") % {"n": self.period_number}
        return f"{self.grant.reference} – {kind}"


class ReportVersion(models.Model):
    """One version of a report. Editable only while it is the report's latest version and a draft."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveSmallIntegerField(_("version"))
    status = models.CharField(_("status"), max_length=12, choices=ReportStatus.choices, default=ReportStatus.DRAFT)
    # Narrative.
    summary = models.TextField(_("progress towards the outcomes"), blank=True)
    activities = models.TextField(_("activities carried out"), blank=True)
    challenges = models.TextField(_("challenges and how they were met"), blank=True)
    safeguarding_incidents = models.BooleanField(_("safeguarding incidents in the period"), null=True, blank=True)
    safeguarding_follow_up = models.TextField(_("follow-up of the incidents"), blank=True)
    lessons_learned = models.TextField(_("lessons learned"), blank=True)
    # Beneficiaries reached in the period, counted, never named.
    women = models.PositiveIntegerField(_("women"), null=True, blank=True)
    men = models.PositiveIntegerField(_("men"), null=True, blank=True)
    girls = models.PositiveIntegerField(_("girls"), null=True, blank=True)
    boys = models.PositiveIntegerField(_("boys"), null=True, blank=True)
    victims_of_trafficking = models.PositiveIntegerField(_("of whom victims of trafficking"), null=True, blank=True)
    smuggled_migrants = models.PositiveIntegerField(_("of whom smuggled migrants"), null=True, blank=True)
    # Financial: expenditure charged to the grant (lines below) in `currency`, converted to EUR on submission with
    # the rate, month(s) and source stored here (disbursements.fx).
    currency = models.CharField(_("currency of the expenditure"), max_length=3, default="EUR")
    fx_rate = models.DecimalField(_("rate (units per EUR)"), max_digits=18, decimal_places=6, null=True, blank=True)
    fx_months = models.CharField(_("rate month(s)"), max_length=120, blank=True)
    fx_source = models.CharField(_("rate source"), max_length=255, blank=True)
    total_eur = models.DecimalField(_("expenditure (EUR)"), max_digits=14, decimal_places=2, null=True, blank=True)
    # Why cumulative expenditure under a heading exceeds its budget (within the programme's transfer threshold).
    transfer_note = models.TextField(_("explanation of the transfers between headings"), blank=True)
    # Lifecycle.
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(_("last saved"), auto_now=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    review_comment = models.TextField(_("officer's comments"), blank=True)

    class Meta:
        ordering = ["report", "number"]
        verbose_name = _("report version")
        verbose_name_plural = _("report versions")
        constraints = [
            models.UniqueConstraint(fields=["report", "number"], name="report_version_unique"),
            models.CheckConstraint(condition=Q(status__in=ReportStatus.values), name="report_version_status_valid"),
            models.CheckConstraint(
                condition=~Q(status=ReportStatus.CHANGES_REQUESTED) | ~Q(review_comment=""),
                name="report_changes_have_comment",
            ),
        ]

    def __str__(self):
        return f"{self.report} v{self.number}"

    @property
    def is_locked(self):
        return self.status != ReportStatus.DRAFT


class IndicatorProgress(models.Model):
    """Progress on one logframe indicator of the grant (copied from the application), with the actual value."""

    version = models.ForeignKey(ReportVersion, on_delete=models.CASCADE, related_name="indicators")
    position = models.PositiveSmallIntegerField(default=0)
    level = models.CharField(_("level"), max_length=8, blank=True)
    statement = models.CharField(_("result"), max_length=500)
    indicator = models.CharField(_("indicator"), max_length=500)
    baseline = models.DecimalField(_("baseline"), max_digits=12, decimal_places=2, null=True, blank=True)
    target = models.DecimalField(_("target"), max_digits=12, decimal_places=2, null=True, blank=True)
    actual = models.DecimalField(_("actual value"), max_digits=12, decimal_places=2, null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        ordering = ["version", "position", "id"]
        verbose_name = _("indicator progress")
        verbose_name_plural = _("indicator progress")


class ExpenditureLine(models.Model):
    """Expenditure charged to the grant in the version's currency, and in EUR: against one agreement budget line
    (`budget_line`, its heading copied), or, for versions written before reporting by line, under a heading only.
    A budget line replaced by an amendment leaves its expenditure under the heading (`budget_line` null), so heading
    totals never change."""

    version = models.ForeignKey(ReportVersion, on_delete=models.CASCADE, related_name="expenditure_lines")
    heading = models.CharField(_("heading"), max_length=2, choices=BudgetHeading.choices)
    budget_line = models.ForeignKey(
        AgreementBudgetLine, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("agreement budget line"),
    )
    description = models.CharField(_("description"), max_length=255, blank=True)
    amount = models.DecimalField(_("amount"), max_digits=16, decimal_places=2)
    amount_eur = models.DecimalField(_("amount (EUR)"), max_digits=14, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["version", "heading", "id"]
        verbose_name = _("expenditure line")
        verbose_name_plural = _("expenditure lines")
        constraints = [
            models.UniqueConstraint(
                fields=["version", "budget_line"], condition=Q(budget_line__isnull=False), name="expenditure_one_per_line",
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="expenditure_not_negative"),
        ]


class ReportAttachment(models.Model):
    version = models.ForeignKey(ReportVersion, on_delete=models.CASCADE, related_name="attachments")
    title = models.CharField(_("description"), max_length=255)
    file = models.FileField(_("file"), upload_to=RandomUploadPath("reports"), max_length=255)
    original_name = models.CharField(_("file name"), max_length=255)
    kind = models.CharField(_("type"), max_length=8)
    size = models.PositiveIntegerField(_("size in bytes"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        ordering = ["version", "uploaded_at", "id"]
        verbose_name = _("report attachment")
        verbose_name_plural = _("report attachments")


class Reminder(models.Model):
    """A reminder e-mail sent for one due event to one person; the unique key makes `send_reminders` idempotent."""

    kind = models.CharField(_("kind"), max_length=24)
    event_key = models.CharField(_("event"), max_length=120)
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    sent_at = models.DateTimeField(_("sent"), auto_now_add=True)

    class Meta:
        ordering = ["-sent_at"]
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        constraints = [
            models.UniqueConstraint(fields=["kind", "event_key", "recipient"], name="reminder_once_per_event"),
        ]
