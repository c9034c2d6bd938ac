"""Results the donor can see: a programme's standard indicators, disaggregated by dimensions of categories, with
each grant's values and targets per reporting period.

A value is stored per disaggregation cell (one category per dimension of the indicator, under a canonical key such
as "sex=female|age=12-17") with the total beside the cells. Empty (null) means "not collected", which is not zero.
Ratio indicators hold no values of their own: aggregation divides their numerator by their denominator.
"""
import re

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from grants.models import Grant, Programme

LANGUAGE_CODES = tuple(code for code, _name in settings.LANGUAGES)
# Codes go into cell keys ("dimension=category|..."), so they may not hold "=" or "|".
CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$")
CODE = RegexValidator(r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$", _("Use letters, digits and . _ + - only."))
VALUE = {"max_digits": 14, "decimal_places": 2, "null": True, "blank": True}


class TitledModel(models.Model):
    """A code with its title in the programme's six languages (JSON: {"en": …, "fr": …})."""

    code = models.CharField(_("code"), max_length=32, validators=[CODE])
    titles = models.JSONField(_("titles"), default=dict)

    class Meta:
        abstract = True

    def __str__(self):
        return self.title()

    def title(self, language=None) -> str:
        """The title in `language` (the active one by default), else in English, else the code."""
        language = (language or translation.get_language() or settings.LANGUAGE_CODE).split("-")[0]
        return self.titles.get(language) or self.titles.get(settings.LANGUAGE_CODE) or self.code


class ResultsSettings(models.Model):
    """A programme's results settings; a programme without a row uses the defaults (`settings_for`)."""

    programme = models.OneToOneField(Programme, on_delete=models.CASCADE, related_name="results_settings")
    small_cell_threshold = models.PositiveSmallIntegerField(
        _("people counts below this are not published"), default=5,
        help_text=_("Counts from 1 to this number minus one are suppressed, with enough others that none can be worked out."),
    )
    external_framework = models.CharField(_("donor's results framework"), max_length=64, default="EU GERF")

    class Meta:
        verbose_name = _("results settings")
        verbose_name_plural = _("results settings")
        constraints = [models.CheckConstraint(condition=Q(small_cell_threshold__gte=1), name="results_threshold_positive")]

    def __str__(self):
        return str(self.programme)


def settings_for(programme) -> ResultsSettings:
    """The programme's results settings, or the defaults (unsaved) when it has none."""
    return ResultsSettings.objects.filter(programme=programme).first() or ResultsSettings(programme=programme)


class Dimension(TitledModel):
    """A way people counts are broken down (sex, age band, …), with its categories."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="result_dimensions")
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["programme", "position", "code"]
        verbose_name = _("disaggregation dimension")
        verbose_name_plural = _("disaggregation dimensions")
        constraints = [models.UniqueConstraint(fields=["programme", "code"], name="dimension_code_unique")]


class Category(TitledModel):
    dimension = models.ForeignKey(Dimension, on_delete=models.CASCADE, related_name="categories")
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["dimension", "position", "code"]
        verbose_name = _("disaggregation category")
        verbose_name_plural = _("disaggregation categories")
        constraints = [models.UniqueConstraint(fields=["dimension", "code"], name="category_code_unique")]


class Combine(models.TextChoices):
    """How an indicator's values combine across grants and periods (results.aggregation)."""

    SUM = "sum", _("Sum")
    MAXIMUM = "max", _("Maximum")
    LATEST = "latest", _("Latest value of each grant, summed")
    RATIO = "ratio", _("Ratio of two indicators")


class Unit(TitledModel):
    """What an indicator counts (people, cases, beds, …), with its title in the six languages. The code is stable
    (the API gives it); people read the title in their language."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="result_units")

    class Meta:
        ordering = ["programme", "code"]
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        constraints = [models.UniqueConstraint(fields=["programme", "code"], name="unit_code_unique")]


class StandardIndicator(TitledModel):
    """An indicator every grant of the programme reports on, optionally mapped to one of the donor's indicators."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="standard_indicators")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.PROTECT, null=True, blank=True, related_name="indicators"
    )
    combine = models.CharField(_("combined across grants and periods by"), max_length=8, choices=Combine.choices, default=Combine.SUM)
    numerator = models.ForeignKey(
        "self", verbose_name=_("numerator"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    denominator = models.ForeignKey(
        "self", verbose_name=_("denominator"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    dimensions = models.ManyToManyField(Dimension, blank=True, related_name="indicators", verbose_name=_("disaggregated by"))
    counts_people = models.BooleanField(
        _("counts people"), default=False, help_text=_("Small counts of people are not published.")
    )
    # The donor's indicator this one reports to, in the programme's results framework (ResultsSettings).
    external_code = models.CharField(_("donor's indicator code"), max_length=64, blank=True)

    class Meta:
        ordering = ["programme", "position", "code"]
        verbose_name = _("standard indicator")
        verbose_name_plural = _("standard indicators")
        constraints = [
            models.UniqueConstraint(fields=["programme", "code"], name="indicator_code_unique"),
            models.CheckConstraint(condition=Q(combine__in=Combine.values), name="indicator_combine_valid"),
            # A ratio names both of its parts; no other rule names either.
            models.CheckConstraint(
                condition=(Q(combine=Combine.RATIO) & Q(numerator__isnull=False) & Q(denominator__isnull=False))
                | (~Q(combine=Combine.RATIO) & Q(numerator__isnull=True) & Q(denominator__isnull=True)),
                name="indicator_ratio_has_parts",
            ),
        ]


class ResultPeriod(models.Model):
    """A reporting period of a grant for results: its number (1, 2, …) and dates."""

    grant = models.ForeignKey(Grant, on_delete=models.PROTECT, related_name="result_periods")
    number = models.PositiveSmallIntegerField(_("reporting period"))
    start = models.DateField(_("period from"))
    end = models.DateField(_("period to"))

    class Meta:
        ordering = ["grant", "number"]
        verbose_name = _("results period")
        verbose_name_plural = _("results periods")
        constraints = [
            models.UniqueConstraint(fields=["grant", "number"], name="result_period_unique"),
            models.CheckConstraint(condition=Q(end__gte=models.F("start")), name="result_period_ordered"),
            models.CheckConstraint(condition=Q(number__gte=1), name="result_period_number_positive"),
        ]

    def __str__(self):
        return f"{self.grant.reference} {self.number}"


class ReviewStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted for review")
    ACCEPTED = "accepted", _("Accepted")
    RETURNED = "returned", _("Sent back for correction")


# Recording a value again (services.values_record) puts it back to "submitted" from any status.
REVIEW_TRANSITIONS = {
    ReviewStatus.SUBMITTED: {ReviewStatus.ACCEPTED, ReviewStatus.RETURNED},
    ReviewStatus.ACCEPTED: set(),
    ReviewStatus.RETURNED: set(),
}


class IndicatorValue(models.Model):
    """A grant's value of one indicator in one period: the total, and the cells below it, with the officer's review
    (the comment and reviewer of the last review stay when the value is submitted again)."""

    period = models.ForeignKey(ResultPeriod, on_delete=models.CASCADE, related_name="values")
    indicator = models.ForeignKey(StandardIndicator, on_delete=models.PROTECT, related_name="values")
    total = models.DecimalField(_("total"), **VALUE)
    recorded_at = models.DateTimeField(_("recorded"), auto_now=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    review_status = models.CharField(_("review"), max_length=12, choices=ReviewStatus.choices, default=ReviewStatus.SUBMITTED)
    review_comment = models.TextField(_("officer's comment"), blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)

    class Meta:
        ordering = ["period", "indicator"]
        verbose_name = _("indicator value")
        verbose_name_plural = _("indicator values")
        constraints = [
            models.UniqueConstraint(fields=["period", "indicator"], name="indicator_value_unique"),
            models.CheckConstraint(condition=Q(total__isnull=True) | Q(total__gte=0), name="indicator_value_not_negative"),
            models.CheckConstraint(condition=Q(review_status__in=ReviewStatus.values), name="indicator_value_review_valid"),
        ]


class IndicatorCell(models.Model):
    """One disaggregation cell of a value; every cell of the indicator has a row, null where not collected."""

    value = models.ForeignKey(IndicatorValue, on_delete=models.CASCADE, related_name="cells")
    key = models.CharField(_("cell"), max_length=255)
    amount = models.DecimalField(_("value"), **VALUE)

    class Meta:
        ordering = ["value", "key"]
        verbose_name = _("disaggregated value")
        verbose_name_plural = _("disaggregated values")
        constraints = [
            models.UniqueConstraint(fields=["value", "key"], name="indicator_cell_unique"),
            models.CheckConstraint(condition=Q(amount__isnull=True) | Q(amount__gte=0), name="indicator_cell_not_negative"),
        ]


class IndicatorTarget(models.Model):
    """What a grant means to reach on one indicator by the end of one period."""

    period = models.ForeignKey(ResultPeriod, on_delete=models.CASCADE, related_name="targets")
    indicator = models.ForeignKey(StandardIndicator, on_delete=models.PROTECT, related_name="targets")
    target = models.DecimalField(_("target"), max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["period", "indicator"]
        verbose_name = _("indicator target")
        verbose_name_plural = _("indicator targets")
        constraints = [
            models.UniqueConstraint(fields=["period", "indicator"], name="indicator_target_unique"),
            models.CheckConstraint(condition=Q(target__gte=0), name="indicator_target_not_negative"),
        ]


class PlannedIndicator(models.Model):
    """A standard indicator an application's logframe commits to, with its planned target per reporting period of
    the action ({"1": "120", "2": "250"}: period number to a target by the end of that period, as text). The
    application's own indicators stay on its logframe rows; at the award these targets become the grant's
    `IndicatorTarget`s (results.logframe)."""

    application = models.ForeignKey("applications.Application", on_delete=models.CASCADE, related_name="planned_indicators")
    indicator = models.ForeignKey(StandardIndicator, on_delete=models.PROTECT, related_name="planned")
    targets = models.JSONField(_("targets per period"), default=dict, blank=True)

    class Meta:
        ordering = ["application", "indicator__position", "indicator__code"]
        verbose_name = _("planned indicator")
        verbose_name_plural = _("planned indicators")
        constraints = [models.UniqueConstraint(fields=["application", "indicator"], name="planned_indicator_unique")]

    def __str__(self):
        return f"{self.application_id} {self.indicator.code}"
