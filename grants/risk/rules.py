"""The partner-risk rules other apps read (disbursements: signature and the advance share).

- An organisation's rating is the overall rating of its latest assessment (by date) still valid on the day; without
  one it counts as high risk (`rating_of`, `ratings_of`).
- What a rating means comes from the programme's `RiskRule` rows; a programme that has not adopted risk rules
  (`services.rules_adopt`) plans from `DEFAULTS` but does not limit advances.
- Advance share: the tranches paid before any accepted expenditure (pre-financing) may not exceed the rating's
  `max_advance_percent` of the grant (`check_advance`, called where the schedule is set).
- PSEA: an agreement for work with children is signed only with a partner whose latest rated PSEA self-assessment
  says full or medium capacity (`check_psea_for_signature`).
"""
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.formats import money_text
from core.money import round_money

from .models import MicroAssessment, PseaAssessment, PseaCapacity, RiskRating, RiskRule

HUNDRED = Decimal(100)
# Ratings from the least to the most risky (the order of pages and of the coverage table).
ORDER = [RiskRating.LOW, RiskRating.MODERATE, RiskRating.SIGNIFICANT, RiskRating.HIGH]
# How long a micro-assessment is valid unless the officer says otherwise (HACT: five years, the programme cycle).
DEFAULT_VALIDITY_YEARS = 5
SIGNABLE_PSEA = {PseaCapacity.FULL, PseaCapacity.MEDIUM}


@dataclass(frozen=True)
class Rule:
    rating: str
    max_advance_percent: Decimal
    spot_checks_per_year: int
    visits_per_year: int
    audit_due: bool


# HACT-style defaults: the riskier the partner, the smaller the advance and the more assurance.
DEFAULTS = {
    RiskRating.LOW: Rule(RiskRating.LOW, Decimal("100.00"), 1, 1, False),
    RiskRating.MODERATE: Rule(RiskRating.MODERATE, Decimal("80.00"), 1, 2, False),
    RiskRating.SIGNIFICANT: Rule(RiskRating.SIGNIFICANT, Decimal("50.00"), 2, 3, True),
    RiskRating.HIGH: Rule(RiskRating.HIGH, Decimal("25.00"), 3, 4, True),
}


def rules_for(programme_id) -> tuple[dict, bool]:
    """The programme's rule per rating, and whether it has adopted them (else DEFAULTS, advances not limited)."""
    rows = {
        row.rating: Rule(row.rating, row.max_advance_percent, row.spot_checks_per_year, row.visits_per_year, row.audit_due)
        for row in RiskRule.objects.filter(programme_id=programme_id)
    }
    return {rating: rows.get(rating, DEFAULTS[rating]) for rating in ORDER}, bool(rows)


def rules_for_many(programme_ids) -> dict:
    """{programme id: {rating: Rule}} in one query."""
    stored = {}
    for row in RiskRule.objects.filter(programme_id__in=set(programme_ids)):
        stored.setdefault(row.programme_id, {})[row.rating] = Rule(
            row.rating, row.max_advance_percent, row.spot_checks_per_year, row.visits_per_year, row.audit_due
        )
    return {pid: {r: stored.get(pid, {}).get(r, DEFAULTS[r]) for r in ORDER} for pid in set(programme_ids)}


def valid_assessments(on=None):
    on = on or timezone.localdate()
    return MicroAssessment.objects.filter(assessed_on__lte=on, expires_on__gt=on)


def current_assessment(organisation_id, on=None):
    """The latest assessment valid on `on` (today), or None."""
    return valid_assessments(on).filter(organisation_id=organisation_id).order_by("-assessed_on", "-id").first()


def ratings_of(organisation_ids, on=None) -> dict:
    """{organisation id: rating} in one query; HIGH for an organisation without a valid assessment."""
    valid = valid_assessments(on)
    newer = valid.filter(organisation_id=OuterRef("organisation_id"), assessed_on__gt=OuterRef("assessed_on"))
    same_day_later = valid.filter(
        organisation_id=OuterRef("organisation_id"), assessed_on=OuterRef("assessed_on"), id__gt=OuterRef("id")
    )
    found = dict(
        valid.filter(organisation_id__in=set(organisation_ids))
        .filter(~Exists(newer), ~Exists(same_day_later))
        .values_list("organisation_id", "overall")
    )
    return {pk: found.get(pk, RiskRating.HIGH) for pk in set(organisation_ids)}


def rating_of(organisation_id, on=None) -> str:
    return ratings_of([organisation_id], on)[organisation_id]


def psea_rated(organisation_id):
    """The latest PSEA self-assessment the officer has rated, or None."""
    return (
        PseaAssessment.objects.filter(organisation_id=organisation_id, rated_at__isnull=False)
        .order_by("-rated_at", "-id").first()
    )


def check_psea_for_signature(grant):
    """Refuse the signature of an agreement for work with children with a partner whose PSEA capacity is low or not
    rated yet."""
    if not grant.works_with_children:
        return
    rated = psea_rated(grant.organisation_id)
    if rated is None:
        raise DomainError(
            _("This agreement is for work with children: the partner's PSEA self-assessment must be rated full or "
              "medium capacity before signature, and it has no rated PSEA self-assessment."),
            code="psea_missing", field="works_with_children",
        )
    if rated.rating not in SIGNABLE_PSEA:
        raise DomainError(
            _("This agreement is for work with children and the partner's PSEA capacity is rated %(rating)s: it "
              "cannot be signed until a new self-assessment is rated full or medium capacity.")
            % {"rating": PseaCapacity(rated.rating).label.lower()},
            code="psea_low", field="works_with_children",
        )


def advance_limit(grant):
    """(largest advance in EUR, rating, percent) for the grant under its programme's adopted rules; None when the
    programme has not adopted risk rules."""
    rules, adopted = rules_for(grant.call.programme_id)
    if not adopted:
        return None
    rating = rating_of(grant.organisation_id)
    percent = rules[rating].max_advance_percent
    # Rounded to the cent as the plan rounds its pre-financing (half up), so a plan of exactly the share passes.
    return round_money(grant.amount * percent / HUNDRED), rating, percent


def check_advance(grant, advance):
    """Refuse a schedule whose tranches paid before any accepted expenditure (`advance`, EUR) exceed the share of the
    grant the partner's rating allows."""
    limit = advance_limit(grant)
    if limit is None:
        return
    largest, rating, percent = limit
    if advance > largest:
        raise DomainError(
            _("The advance of %(advance)s is more than the partner's risk rating (%(rating)s) allows: at most "
              "%(pct)s%% of the grant, %(largest)s, may be paid before any accepted expenditure. Record a current "
              "assessment of the partner, or change the programme's risk rules.")
            % {"advance": money_text(advance), "rating": RiskRating(rating).label.lower(),
               "pct": f"{percent.normalize():f}", "largest": money_text(largest)},
            code="advance_above_risk_share", field="amount",
        )
