"""The programme's financial-control rules in force, each with its PRAG or HACT default and its last change (who,
when: the latest audit event of its verb on the programme), in four queries whatever the history."""
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db.models import Max

from audit.models import AuditEvent
from core.formats import money_text, number_text
from grants.models import Programme
from grants.risk.rules import DEFAULTS, ORDER, rules_for
from grants.risk.models import RiskRating

from ..verification.models import DEFAULT_VERIFICATION_THRESHOLD
from ..verification.services import threshold_for

TRANSFER_VERBS = ("programme.transfer_threshold_set",)
VERIFICATION_VERBS = ("verification.rule_set",)
RISK_VERBS = ("risk.rules_adopt", "risk.rule_set")

# Payment and reporting rules shown read-only: what each grant's schedule and reporting periods were computed from
# when its agreement was set up. (field, how it is written)
FIXED_RULES = (
    ("short_grant_months", "number"),
    ("small_grant_amount", "amount"),
    ("short_prefinancing_percent", "percent"),
    ("prefinancing_cap_percent", "percent"),
    ("expenditure_threshold_percent", "percent"),
    ("fx_basis", "choice"),
    ("reporting_period_months", "number"),
    ("interim_report_days", "number"),
    ("final_report_months", "number"),
    ("question_cutoff_days", "number"),
    ("answer_cutoff_days", "number"),
)


def _text(kind, value, field):
    if kind == "amount":
        return money_text(value)
    if kind == "percent":
        return f"{number_text(value, 2)} %"
    if kind == "choice":
        return str(dict(field.choices).get(value, value))
    return number_text(value)


@dataclass(frozen=True)
class FixedRule:
    label: str
    value: str
    default: str

    @property
    def is_default(self) -> bool:
        return self.value == self.default


@dataclass(frozen=True)
class RiskRow:
    rating: RiskRating
    rule: object  # grants.risk.rules.Rule in force
    default: object  # its HACT default

    @property
    def is_default(self) -> bool:
        return self.rule == self.default


@dataclass(frozen=True)
class Rules:
    programme: Programme
    transfer_percent: Decimal
    transfer_default: Decimal
    transfer_change: AuditEvent | None
    verification_threshold: Decimal | None  # None: not adopted, balances do not wait for a verification
    verification_default: Decimal
    verification_change: AuditEvent | None
    risk_rows: list
    risk_adopted: bool
    risk_change: AuditEvent | None
    fixed: list


def last_changes(programme, verbs) -> dict:
    """{verb: its latest audit event on the programme} in one query."""
    events = AuditEvent.objects.filter(
        target_type=ContentType.objects.get_for_model(Programme), target_id=str(programme.pk), verb__in=verbs,
    )
    latest = events.values("verb").annotate(last=Max("id")).order_by().values("last")
    return {event.verb: event for event in AuditEvent.objects.filter(pk__in=latest)}


def _latest(changes, verbs):
    found = [changes[verb] for verb in verbs if verb in changes]
    return max(found, key=lambda event: event.pk) if found else None


def rules_in_force(programme: Programme) -> Rules:
    risk, adopted = rules_for(programme.pk)
    changes = last_changes(programme, TRANSFER_VERBS + VERIFICATION_VERBS + RISK_VERBS)
    fields = {name: Programme._meta.get_field(name) for name, _kind in FIXED_RULES}
    return Rules(
        programme=programme,
        transfer_percent=programme.transfer_threshold_percent,
        transfer_default=Programme._meta.get_field("transfer_threshold_percent").default,
        transfer_change=_latest(changes, TRANSFER_VERBS),
        verification_threshold=threshold_for(programme),
        verification_default=DEFAULT_VERIFICATION_THRESHOLD,
        verification_change=_latest(changes, VERIFICATION_VERBS),
        risk_rows=[RiskRow(RiskRating(rating), risk[rating], DEFAULTS[rating]) for rating in ORDER],
        risk_adopted=adopted,
        risk_change=_latest(changes, RISK_VERBS),
        fixed=[
            FixedRule(str(fields[name].verbose_name), _text(kind, getattr(programme, name), fields[name]),
                      _text(kind, fields[name].default, fields[name]))
            for name, kind in FIXED_RULES
        ],
    )
