import secrets
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_countries import countries
from django_countries.fields import CountryField
from djmoney.models.fields import MoneyField

from accounts.models import Organisation
from core.money import EUR, round_money
from core.uploads import RandomUploadPath

MONEY = {"max_digits": 14, "decimal_places": 2, "default_currency": EUR, "currency_choices": [(EUR, "EUR")]}


def _eur_only(field):
    return Q(**{f"{field}_currency": EUR})


class FxBasis(models.TextChoices):
    MONTHLY = "monthly", _("The rate of the month of the expenditure")
    AVERAGE = "average", _("The average of the monthly rates over the reporting period")


class IatiOrganisationType(models.TextChoices):
    # IATI OrganisationType codes for the funding and managing organisations (a CSO's type is
    # accounts.OrganisationType, whose values are the same codes).
    GOVERNMENT = "10", _("Government")
    OTHER_PUBLIC_SECTOR = "15", _("Other public sector")
    INTERNATIONAL_NGO = "21", _("International NGO")
    PUBLIC_PRIVATE_PARTNERSHIP = "30", _("Public-private partnership")
    MULTILATERAL = "40", _("Multilateral")
    FOUNDATION = "60", _("Foundation")
    PRIVATE_SECTOR = "70", _("Private sector")
    OTHER = "90", _("Other")


IATI_ORG_REF = RegexValidator(
    r"^[A-Z]{2}-[A-Za-z0-9_]+(-[A-Za-z0-9_.]+)*$",
    _("Enter an IATI organisation identifier, e.g. XM-DAC-41128 or XI-IATI-EC_INTPA (no / & | ? or spaces)."),
)
DAC_SECTOR = RegexValidator(r"^[0-9]{5}$", _("Enter a five-digit DAC purpose code, e.g. 15190."))


class Programme(models.Model):
    """A donor-funded action with one envelope from which calls are allocated and grants committed."""

    code = models.SlugField(
        _("code"), max_length=16, unique=True, help_text=_("Short code used in reference numbers, e.g. GLOACT.")
    )
    name = models.CharField(_("name"), max_length=255)
    short_name = models.CharField(_("short name"), max_length=64)
    donor = models.CharField(_("donor"), max_length=255)
    agency = models.CharField(_("managing agency"), max_length=255)
    description = models.TextField(_("description"), blank=True)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    currency = models.CharField(_("currency"), max_length=3, choices=[(EUR, "EUR")], default=EUR, editable=False)
    fx_basis = models.CharField(
        _("exchange rate for local-currency expenditure"), max_length=8, choices=FxBasis.choices, default=FxBasis.MONTHLY
    )
    # Payment and reporting rules (PRAG defaults, DESIGN.md); disbursements.schedule and grants.periods read them.
    short_grant_months = models.PositiveSmallIntegerField(
        _("a grant of at most this many months is paid 80/20"), default=12
    )
    small_grant_amount = models.DecimalField(
        _("a grant of at most this amount (EUR) is paid 80/20"), max_digits=14, decimal_places=2, default=Decimal("100000.00")
    )
    short_prefinancing_percent = models.DecimalField(
        _("pre-financing of a short or small grant (%)"), max_digits=5, decimal_places=2, default=Decimal("80.00")
    )
    prefinancing_cap_percent = models.DecimalField(
        _("pre-financing never above (% of the grant)"), max_digits=5, decimal_places=2, default=Decimal("90.00")
    )
    expenditure_threshold_percent = models.DecimalField(
        _("a further tranche needs reported expenditure of at least (% of the previous payment)"),
        max_digits=5, decimal_places=2, default=Decimal("70.00"),
    )
    transfer_threshold_percent = models.DecimalField(
        _("transfers between budget headings need an amendment above (% of the heading)"),
        max_digits=5, decimal_places=2, default=Decimal("25.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text=_("PRAG: 25%. A report whose cumulative expenditure under a heading exceeds its budget by more "
                    "than this is refused until the budget is amended; below it, the grantee explains the transfer."),
    )
    reporting_period_months = models.PositiveSmallIntegerField(_("months per interim reporting period"), default=12)
    interim_report_days = models.PositiveSmallIntegerField(_("interim report due (days after the period)"), default=60)
    final_report_months = models.PositiveSmallIntegerField(_("final report due (months after the end date)"), default=3)
    # Public clarifications on a call (PRAG): questions until this many days before the deadline, answers published
    # until this many days before it.
    question_cutoff_days = models.PositiveSmallIntegerField(
        _("questions on a call close (days before its deadline)"), default=21
    )
    answer_cutoff_days = models.PositiveSmallIntegerField(
        _("answers to questions are published until (days before the deadline)"), default=11
    )
    # Open data (opendata/): who publishes, who funds, and the 360Giving prefix of this programme's identifiers.
    agency_iati_ref = models.CharField(
        _("IATI identifier of the managing agency"), max_length=64, blank=True, validators=[IATI_ORG_REF],
        help_text=_("The reporting organisation of the IATI export, e.g. XM-DAC-41128."),
    )
    agency_org_type = models.CharField(
        _("managing agency's organisation type"), max_length=2, choices=IatiOrganisationType.choices,
        default=IatiOrganisationType.MULTILATERAL,
    )
    donor_iati_ref = models.CharField(
        _("IATI identifier of the donor"), max_length=64, blank=True, validators=[IATI_ORG_REF],
        help_text=_("e.g. XI-IATI-EC_INTPA for the European Commission."),
    )
    donor_org_type = models.CharField(
        _("donor's organisation type"), max_length=2, choices=IatiOrganisationType.choices,
        default=IatiOrganisationType.MULTILATERAL,
    )
    giving_prefix = models.CharField(
        _("360Giving identifier prefix"), max_length=40, blank=True,
        validators=[RegexValidator(r"^360G-[A-Za-z0-9_-]+$", _("Enter the prefix 360Giving issued, e.g. 360G-glo-act."))],
        help_text=_("Issued by 360Giving to the publisher; grant identifiers are this prefix followed by the grant reference."),
    )

    class Meta:
        ordering = ["start_date", "code"]
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")
        constraints = [
            models.CheckConstraint(condition=Q(end_date__gt=models.F("start_date")), name="programme_dates_ordered"),
            models.CheckConstraint(condition=Q(currency=EUR), name="programme_currency_eur"),
            models.CheckConstraint(
                condition=Q(short_prefinancing_percent__gt=0, short_prefinancing_percent__lte=100)
                & Q(prefinancing_cap_percent__gt=0, prefinancing_cap_percent__lte=100)
                & Q(expenditure_threshold_percent__gte=0, expenditure_threshold_percent__lte=100)
                & Q(reporting_period_months__gte=1) & Q(short_grant_months__gte=1),
                name="programme_payment_rules_in_range",
            ),
        ]

    def __str__(self):
        return self.short_name or self.name


def new_ledger_version():
    return secrets.randbits(48)


class Envelope(models.Model):
    """The programme's total funds. Its balances are never stored: they are sums over LedgerEntry rows."""

    programme = models.OneToOneField(Programme, on_delete=models.PROTECT, related_name="envelope")
    amount = MoneyField(_("envelope"), **MONEY)
    # Moves with every write the envelope's figures depend on (grants.ledger.figures_changed), so cached figures
    # are keyed by it. It starts at a random number: a key never meets figures cached for an earlier envelope
    # that had the same id (a database restored or rolled back, tests).
    ledger_version = models.PositiveBigIntegerField(default=new_ledger_version, editable=False)

    class Meta:
        verbose_name = _("envelope")
        verbose_name_plural = _("envelopes")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="envelope_amount_positive"),
            models.CheckConstraint(condition=_eur_only("amount"), name="envelope_currency_eur"),
        ]

    def __str__(self):
        return f"{self.programme} envelope"


class Country(models.Model):
    """A country where the programme works, by ISO 3166-1 alpha-2 code, with the name the programme uses."""

    code = CountryField(_("ISO 3166 code"), unique=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        ordering = ["name"]
        verbose_name = _("country")
        verbose_name_plural = _("countries")

    def __str__(self):
        return country_name(self.code, self.name)


def country_name(code, programme_name) -> str:
    """In English, the name the programme uses ("Lao PDR"); in another language, the country's name in it."""
    if (translation.get_language() or settings.LANGUAGE_CODE) == settings.LANGUAGE_CODE or not code:
        return programme_name
    return countries.name(code) or programme_name


class Objective(models.Model):
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="objectives")
    number = models.PositiveSmallIntegerField(_("number"))
    title = models.CharField(_("title"), max_length=255)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["programme", "number"]
        verbose_name = _("objective")
        verbose_name_plural = _("objectives")
        constraints = [models.UniqueConstraint(fields=["programme", "number"], name="objective_number_unique")]

    def __str__(self):
        return f"{self.number}. {self.title}"


class CallStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    CLOSED = "closed", _("Closed")


# The only status changes a call may make; grants.services checks it.
CALL_TRANSITIONS = {
    CallStatus.DRAFT: {CallStatus.PUBLISHED},
    CallStatus.PUBLISHED: {CallStatus.CLOSED},
    CallStatus.CLOSED: set(),
}


class GridStage(models.TextChoices):
    CONCEPT_NOTE = "concept_note", _("Concept note")
    FULL_APPLICATION = "full", _("Full application")


class RankingBasis(models.TextChoices):
    RAW = "raw", _("Mean of the reviewers' totals")
    NORMALISED = "normalised", _("Mean of the reviewers' normalised totals (leniency removed)")


class Call(models.Model):
    """A call for proposals. Its allocation from the envelope is a sum of ledger rows, not a field."""

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="calls")
    reference = models.CharField(_("reference"), max_length=16, help_text=_("e.g. C01; unique within the programme."))
    title = models.CharField(_("title"), max_length=255)
    description = models.TextField(_("description"), blank=True)
    # The language of the title, description and eligibility rules above; CallText rows give them in others.
    language = models.CharField(
        _("main language"), max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE,
        help_text=_("The language of the title, description and eligibility rules; translations are added below."),
    )
    objectives = models.ManyToManyField(Objective, related_name="calls", verbose_name=_("objectives"))
    countries = models.ManyToManyField(Country, related_name="calls", verbose_name=_("eligible countries"))
    opens_at = models.DateTimeField(_("opens"))
    # With a concept-note stage, concept notes are due first; only shortlisted organisations then apply in full
    # by `closes_at`. Without one, `concept_note_deadline` is empty and everyone applies in full.
    concept_note_deadline = models.DateTimeField(_("concept-note deadline"), null=True, blank=True)
    closes_at = models.DateTimeField(_("deadline"))
    min_grant = MoneyField(_("minimum grant"), **MONEY)
    max_grant = MoneyField(_("maximum grant"), **MONEY)
    status = models.CharField(_("status"), max_length=16, choices=CallStatus.choices, default=CallStatus.DRAFT)
    eligibility = models.TextField(
        _("eligibility rules"), blank=True, help_text=_("Who may apply and what actions and costs are eligible.")
    )
    min_duration_months = models.PositiveSmallIntegerField(_("shortest implementation period (months)"), default=6)
    max_duration_months = models.PositiveSmallIntegerField(_("longest implementation period (months)"), default=36)
    # Budget rules (PRAG defaults, DESIGN.md); a call may set its own.
    indirect_cap_percent = models.DecimalField(
        _("indirect costs cap (% of direct costs)"), max_digits=5, decimal_places=2, default=Decimal("7.00")
    )
    contingency_cap_percent = models.DecimalField(
        _("contingency cap (% of direct costs)"), max_digits=5, decimal_places=2, default=Decimal("5.00")
    )
    min_cofinancing_percent = models.DecimalField(
        _("minimum co-financing (% of total costs)"), max_digits=5, decimal_places=2, default=Decimal("0.00")
    )
    # Review settings.
    reviewers_per_application = models.PositiveSmallIntegerField(_("reviewers per application"), default=3)
    review_deadline = models.DateTimeField(
        _("review deadline"), null=True, blank=True,
        help_text=_("When reviewers must have declared and scored; shown in their inbox and calendar."),
    )
    exclude_same_country_reviewers = models.BooleanField(
        _("never assign reviewers from the applicant's country"), default=False
    )
    divergence_threshold = models.DecimalField(
        _("divergence threshold (points between reviewers' totals)"), max_digits=6, decimal_places=2, default=Decimal("20.00")
    )
    ranking_basis = models.CharField(
        _("rank by"), max_length=12, choices=RankingBasis.choices, default=RankingBasis.RAW
    )
    # Open data: the OECD DAC purpose code of the grants (15190: facilitation of orderly, safe, regular and
    # responsible migration and mobility, which covers trafficking and migrant smuggling).
    dac_sector = models.CharField(
        _("DAC sector code"), max_length=5, default="15190", validators=[DAC_SECTOR],
        help_text=_("The OECD DAC five-digit purpose code published in IATI for this call's grants."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    # A published call whose deadline is this close is shown as "closing soon".
    CLOSING_SOON_DAYS = 14

    class Meta:
        ordering = ["programme", "reference"]
        verbose_name = _("call for proposals")
        verbose_name_plural = _("calls for proposals")
        constraints = [
            models.UniqueConstraint(fields=["programme", "reference"], name="call_reference_unique"),
            models.CheckConstraint(condition=Q(closes_at__gt=models.F("opens_at")), name="call_dates_ordered"),
            models.CheckConstraint(
                condition=Q(concept_note_deadline__isnull=True)
                | (Q(concept_note_deadline__gt=models.F("opens_at")) & Q(concept_note_deadline__lt=models.F("closes_at"))),
                name="call_concept_note_deadline_inside",
            ),
            models.CheckConstraint(condition=Q(min_grant__gt=0), name="call_min_grant_positive"),
            models.CheckConstraint(condition=Q(max_grant__gte=models.F("min_grant")), name="call_grant_range_ordered"),
            models.CheckConstraint(condition=_eur_only("min_grant") & _eur_only("max_grant"), name="call_currency_eur"),
            models.CheckConstraint(condition=Q(status__in=CallStatus.values), name="call_status_valid"),
            models.CheckConstraint(
                condition=Q(min_duration_months__gte=1) & Q(max_duration_months__gte=models.F("min_duration_months")),
                name="call_duration_range_ordered",
            ),
            models.CheckConstraint(
                condition=Q(indirect_cap_percent__gte=0, indirect_cap_percent__lte=100)
                & Q(contingency_cap_percent__gte=0, contingency_cap_percent__lte=100)
                & Q(min_cofinancing_percent__gte=0, min_cofinancing_percent__lt=100),
                name="call_percentages_in_range",
            ),
        ]

    def __str__(self):
        return f"{self.reference} – {self.title}"

    @property
    def has_concept_note_stage(self):
        return self.concept_note_deadline is not None

    def deadline_for(self, stage):
        """When applications of `stage` ("concept_note" or "full") are due."""
        return self.concept_note_deadline if stage == GridStage.CONCEPT_NOTE and self.concept_note_deadline else self.closes_at

    def is_open_at(self, moment) -> bool:
        """Open for submissions: published, opened, and the deadline not yet passed (the deadline itself is too late)."""
        return self.status == CallStatus.PUBLISHED and self.opens_at <= moment < self.closes_at

    def clean(self):
        if self.opens_at and self.closes_at and self.closes_at <= self.opens_at:
            raise ValidationError({"closes_at": _("The deadline must be after the opening time.")})
        if self.min_grant is not None and self.max_grant is not None and self.max_grant < self.min_grant:
            raise ValidationError({"max_grant": _("The maximum grant cannot be below the minimum grant.")})


class CallText(models.Model):
    """A call's public texts in another language. Visitors read their language where it exists, else the call's."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="texts")
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    title = models.CharField(_("title"), max_length=255)
    description = models.TextField(_("description"), blank=True)
    eligibility = models.TextField(_("eligibility rules"), blank=True)

    class Meta:
        verbose_name = _("call text in another language")
        verbose_name_plural = _("call texts in other languages")
        constraints = [models.UniqueConstraint(fields=["call", "language"], name="call_text_one_per_language")]

    def __str__(self):
        return f"{self.call} ({self.language})"


class CallDocument(models.Model):
    """A document published with a call (guidelines, budget template, forms): public once the call is published."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(_("title"), max_length=255)
    file = models.FileField(_("file"), upload_to=RandomUploadPath("call-documents"), max_length=255)
    original_name = models.CharField(_("file name"), max_length=255)
    kind = models.CharField(_("type"), max_length=8)
    size = models.PositiveIntegerField(_("size in bytes"))
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["call", "title"]
        verbose_name = _("call document")
        verbose_name_plural = _("call documents")

    def __str__(self):
        return self.title


class EvaluationGrid(models.Model):
    """Sections of criteria that reviewers score. A grid without a call is a template that calls copy."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, null=True, blank=True, related_name="grids")
    name = models.CharField(_("name"), max_length=255)
    stage = models.CharField(_("stage"), max_length=16, choices=GridStage.choices, default=GridStage.FULL_APPLICATION)
    pass_mark = models.DecimalField(
        _("overall pass mark"), max_digits=6, decimal_places=2, null=True, blank=True,
        help_text=_("A proposal whose total is below this is eliminated. Leave empty for none."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["call", "stage", "name"]
        verbose_name = _("evaluation grid")
        verbose_name_plural = _("evaluation grids")
        constraints = [
            models.UniqueConstraint(fields=["call", "stage"], condition=Q(call__isnull=False), name="grid_one_per_call_stage"),
            models.UniqueConstraint(fields=["name"], condition=Q(call__isnull=True), name="grid_template_name_unique"),
            models.CheckConstraint(condition=Q(pass_mark__isnull=True) | Q(pass_mark__gte=0), name="grid_pass_mark_not_negative"),
        ]

    def __str__(self):
        return self.name

    @property
    def is_template(self):
        return self.call_id is None


class GridSection(models.Model):
    grid = models.ForeignKey(EvaluationGrid, on_delete=models.CASCADE, related_name="sections")
    position = models.PositiveSmallIntegerField(default=0)
    title = models.CharField(_("title"), max_length=255)
    threshold = models.DecimalField(
        _("section threshold"), max_digits=6, decimal_places=2, null=True, blank=True,
        help_text=_("A proposal scoring below this in the section is eliminated, whatever its total."),
    )

    class Meta:
        ordering = ["grid", "position", "id"]
        verbose_name = _("grid section")
        verbose_name_plural = _("grid sections")

    def __str__(self):
        return self.title


class Criterion(models.Model):
    """One scored question: a score on the scale, times the multiplier (a criterion may count double)."""

    section = models.ForeignKey(GridSection, on_delete=models.CASCADE, related_name="criteria")
    position = models.PositiveSmallIntegerField(default=0)
    title = models.CharField(_("criterion"), max_length=500)
    guidance = models.TextField(_("guidance for reviewers"), blank=True)
    scale_min = models.PositiveSmallIntegerField(_("lowest score"), default=1)
    scale_max = models.PositiveSmallIntegerField(_("highest score"), default=5)
    multiplier = models.PositiveSmallIntegerField(_("multiplier"), default=1)
    allows_not_applicable = models.BooleanField(_("may be marked not applicable"), default=False)

    class Meta:
        ordering = ["section", "position", "id"]
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")
        constraints = [
            models.CheckConstraint(condition=Q(scale_max__gt=models.F("scale_min")), name="criterion_scale_ordered"),
            models.CheckConstraint(condition=Q(multiplier__gte=1), name="criterion_multiplier_positive"),
        ]

    def __str__(self):
        return self.title

    @property
    def max_points(self):
        return self.scale_max * self.multiplier


class BudgetHeading(models.TextChoices):
    # The PRAG budget headings.
    HUMAN_RESOURCES = "1", _("1. Human resources")
    TRAVEL = "2", _("2. Travel")
    EQUIPMENT = "3", _("3. Equipment and supplies")
    LOCAL_OFFICE = "4", _("4. Local office")
    SERVICES = "5", _("5. Other costs, services")
    OTHER = "6", _("6. Other")


class BudgetLineFields(models.Model):
    """A direct-cost line: quantity x unit cost = total (computed, rounded to cents once, never typed).
    Shared by an application's budget and a grant agreement's budget."""

    position = models.PositiveSmallIntegerField(default=0)
    heading = models.CharField(_("heading"), max_length=2, choices=BudgetHeading.choices, blank=True)
    description = models.CharField(_("description"), max_length=255, blank=True)
    unit = models.CharField(_("unit"), max_length=40, blank=True)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=2, null=True, blank=True)
    unit_cost = models.DecimalField(_("unit cost (EUR)"), max_digits=14, decimal_places=2, null=True, blank=True)

    class Meta:
        abstract = True

    def __str__(self):
        return self.description

    @property
    def total(self) -> Decimal | None:
        if self.quantity is None or self.unit_cost is None:
            return None
        return round_money(self.quantity * self.unit_cost)


class AgreementStatus(models.TextChoices):
    DRAFT = "draft", _("Draft agreement")
    SIGNED = "signed", _("Signed")
    IN_IMPLEMENTATION = "implementation", _("In implementation")
    CLOSING = "closing", _("Closing")
    CLOSED = "closed", pgettext_lazy("agreement status", "Closed")
    SUSPENDED = "suspended", _("Suspended")
    TERMINATED = "terminated", _("Terminated")


# The only status changes an agreement may make; disbursements.agreements checks it. Suspending and terminating
# need a reason. A suspended grant resumes into implementation.
AGREEMENT_TRANSITIONS = {
    AgreementStatus.DRAFT: {AgreementStatus.SIGNED, AgreementStatus.TERMINATED},
    AgreementStatus.SIGNED: {AgreementStatus.IN_IMPLEMENTATION, AgreementStatus.SUSPENDED, AgreementStatus.TERMINATED},
    AgreementStatus.IN_IMPLEMENTATION: {AgreementStatus.CLOSING, AgreementStatus.SUSPENDED, AgreementStatus.TERMINATED},
    AgreementStatus.SUSPENDED: {AgreementStatus.IN_IMPLEMENTATION, AgreementStatus.TERMINATED},
    AgreementStatus.CLOSING: {AgreementStatus.CLOSED, AgreementStatus.IN_IMPLEMENTATION},
    AgreementStatus.CLOSED: set(),
    AgreementStatus.TERMINATED: set(),
}
REASON_REQUIRED_STATUSES = {AgreementStatus.SUSPENDED, AgreementStatus.TERMINATED}
# Statuses in which money may be paid to the grantee.
PAYABLE_STATUSES = {AgreementStatus.SIGNED, AgreementStatus.IN_IMPLEMENTATION, AgreementStatus.CLOSING}


class Grant(models.Model):
    """An awarded grant and its agreement. The amount here is the agreement's; the money committed and paid is a
    sum of ledger rows, which the agreement services keep equal to `amount` (an amount amendment goes through the
    ledger in the same transaction)."""

    call = models.ForeignKey(Call, on_delete=models.PROTECT, related_name="grants")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="grants")
    reference = models.CharField(_("reference"), max_length=40, unique=True)
    title = models.CharField(_("title"), max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)
    # The agreement.
    status = models.CharField(_("status"), max_length=16, choices=AgreementStatus.choices, default=AgreementStatus.DRAFT)
    status_reason = models.TextField(_("reason for the status"), blank=True)
    status_changed_at = models.DateTimeField(_("status changed"), null=True, blank=True)
    amount = models.DecimalField(_("grant amount (EUR)"), max_digits=14, decimal_places=2, default=Decimal("0.00"))
    start_date = models.DateField(_("start date"), null=True, blank=True)
    end_date = models.DateField(_("end date"), null=True, blank=True)
    country = models.ForeignKey(Country, verbose_name=_("country"), on_delete=models.PROTECT, null=True, blank=True, related_name="grants")
    objective = models.ForeignKey(Objective, verbose_name=_("objective"), on_delete=models.PROTECT, null=True, blank=True, related_name="grants")
    indirect_costs = models.DecimalField(_("indirect costs (EUR)"), max_digits=14, decimal_places=2, default=Decimal("0.00"))
    contingency = models.DecimalField(_("contingency reserve (EUR)"), max_digits=14, decimal_places=2, default=Decimal("0.00"))
    own_contribution = models.DecimalField(_("own contribution (EUR)"), max_digits=14, decimal_places=2, default=Decimal("0.00"))
    third_party_contribution = models.DecimalField(
        _("third-party contribution (EUR)"), max_digits=14, decimal_places=2, default=Decimal("0.00")
    )
    special_conditions = models.TextField(_("special conditions"), blank=True)
    # Work with children: signature needs the grantee's PSEA capacity rated full or medium (grants.risk.rules).
    works_with_children = models.BooleanField(_("work with children"), default=False)
    reporting_currency = models.CharField(
        _("currency of the financial reports"), max_length=3, default=EUR,
        help_text=_("EUR, or the grantee's local currency (converted with the monthly rates)."),
    )
    grantee_signatory = models.CharField(_("signed for the grantee by"), max_length=255, blank=True)
    signed_on = models.DateField(_("signed on"), null=True, blank=True)
    signed_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    version = models.PositiveSmallIntegerField(_("agreement version"), default=0, help_text=_("0 until signed."))

    class Meta:
        ordering = ["reference"]
        verbose_name = _("grant")
        verbose_name_plural = _("grants")
        constraints = [
            models.CheckConstraint(condition=Q(status__in=AgreementStatus.values), name="grant_status_valid"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="grant_amount_not_negative"),
            models.CheckConstraint(
                condition=Q(start_date__isnull=True) | Q(end_date__isnull=True) | Q(end_date__gt=models.F("start_date")),
                name="grant_dates_ordered",
            ),
            models.CheckConstraint(
                condition=Q(indirect_costs__gte=0, contingency__gte=0, own_contribution__gte=0, third_party_contribution__gte=0),
                name="grant_budget_amounts_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(status=AgreementStatus.DRAFT) | (Q(signed_on__isnull=False) & Q(version__gte=1))
                | Q(status=AgreementStatus.TERMINATED),
                name="grant_signed_has_date",
            ),
        ]

    def __str__(self):
        return f"{self.reference} – {self.title}"

    @property
    def is_draft(self):
        return self.status == AgreementStatus.DRAFT

    @property
    def duration_months(self) -> int | None:
        """Whole months from the start date to the end date (a period ending the day before counts as whole)."""
        from .periods import months_between

        if not (self.start_date and self.end_date):
            return None
        return months_between(self.start_date, self.end_date)


class AgreementBudgetLine(BudgetLineFields):
    """A direct-cost line of a grant agreement: copied from the application at award, adjusted by the officer
    before signature, reallocated by amendment afterwards."""

    grant = models.ForeignKey(Grant, on_delete=models.CASCADE, related_name="budget_lines")

    class Meta:
        ordering = ["grant", "position", "id"]
        verbose_name = _("agreement budget line")
        verbose_name_plural = _("agreement budget lines")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__isnull=True) | Q(quantity__gt=0), name="agreement_line_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_cost__isnull=True) | Q(unit_cost__gte=0), name="agreement_line_unit_cost_not_negative"),
        ]


class AgreementVersionKind(models.TextChoices):
    SIGNATURE = "signature", _("Agreement as signed")
    BUDGET = "budget", _("Amendment: budget reallocation")
    EXTENSION = "extension", _("Amendment: no-cost extension")
    AMOUNT = "amount", _("Amendment: change of amount")


class AgreementVersion(models.Model):
    """One version of the agreement: the signed original (1) and each amendment after it. `snapshot` holds the
    agreement as it stood (amount, dates, budget, schedule) so every version's PDF can be rendered again."""

    grant = models.ForeignKey(Grant, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveSmallIntegerField(_("version"))
    kind = models.CharField(_("kind"), max_length=12, choices=AgreementVersionKind.choices)
    reason = models.TextField(_("reason"), blank=True)
    snapshot = models.JSONField(_("agreement as of this version"))
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        ordering = ["grant", "number"]
        verbose_name = _("agreement version")
        verbose_name_plural = _("agreement versions")
        constraints = [
            models.UniqueConstraint(fields=["grant", "number"], name="agreement_version_unique"),
            models.CheckConstraint(condition=Q(number__gte=1), name="agreement_version_positive"),
            models.CheckConstraint(
                condition=Q(kind=AgreementVersionKind.SIGNATURE) | ~Q(reason=""), name="agreement_amendment_has_reason"
            ),
        ]

    def __str__(self):
        return f"{self.grant.reference} v{self.number}"


class LedgerKind(models.TextChoices):
    ALLOCATION = "allocation", _("Allocation to a call")
    COMMITMENT = "commitment", _("Commitment to a grant")
    DISBURSEMENT = "disbursement", _("Disbursement to a grantee")
    RECOVERY = "recovery", _("Recovered from a grantee")


class LedgerEntry(models.Model):
    """One movement of money against the envelope. Positive adds, negative releases or reverses.

    Written only by grants.ledger, inside a transaction that holds the envelope row lock. Never updated or
    deleted: a correction is a new entry with the opposite sign.
    """

    envelope = models.ForeignKey(Envelope, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(_("kind"), max_length=16, choices=LedgerKind.choices)
    call = models.ForeignKey(Call, on_delete=models.PROTECT, related_name="ledger_entries")
    grant = models.ForeignKey(Grant, on_delete=models.PROTECT, related_name="ledger_entries", null=True, blank=True)
    amount = MoneyField(_("amount"), **MONEY)
    reverses = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by"
    )
    memo = models.CharField(_("memo"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, related_name="+")

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="ledger_amount_nonzero"),
            models.CheckConstraint(condition=_eur_only("amount"), name="ledger_currency_eur"),
            models.CheckConstraint(condition=Q(kind__in=LedgerKind.values), name="ledger_kind_valid"),
            # Allocations belong to a call only; commitments and disbursements to a grant.
            models.CheckConstraint(
                condition=(Q(kind=LedgerKind.ALLOCATION) & Q(grant__isnull=True))
                | (~Q(kind=LedgerKind.ALLOCATION) & Q(grant__isnull=False)),
                name="ledger_grant_matches_kind",
            ),
            # Money recovered from a grantee is negative (it reduces the net disbursed); a recovery recorded by
            # mistake is undone by a positive recovery row that reverses it (grants.ledger.recovery_reverse).
            models.CheckConstraint(
                condition=~Q(kind=LedgerKind.RECOVERY) | (Q(amount__lt=0) & Q(reverses__isnull=True))
                | (Q(amount__gt=0) & Q(reverses__isnull=False)),
                name="ledger_recovery_negative",
            ),
        ]
        indexes = [models.Index(fields=["envelope", "kind", "call"], name="ledger_envelope_kind_call")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.amount} ({self.call.reference})"


# Partner risk and assurance (grants/risk/): its models belong to this app.
from .risk.models import (  # noqa: E402,F401
    AssessmentArea,
    AssessmentSource,
    AssuranceActivity,
    AssuranceKind,
    MicroAssessment,
    PseaAssessment,
    PseaCapacity,
    RiskRating,
    RiskRule,
)
