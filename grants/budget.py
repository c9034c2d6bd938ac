"""The budget of an application or a grant agreement, computed from its lines: totals are derived, never typed."""
from dataclasses import dataclass, field
from decimal import Decimal

from core.money import ZERO, round_money

from .models import BudgetHeading

HUNDRED = Decimal(100)


def _pct(part, whole):
    return round_money(part * HUNDRED / whole) if whole else ZERO


def cap(base, percent) -> Decimal:
    """The most `percent` % of `base` allows, in cents (rounded half-up, once)."""
    return round_money(base * percent / HUNDRED)


@dataclass(frozen=True)
class BudgetSummary:
    direct: Decimal
    indirect: Decimal
    contingency: Decimal
    own_contribution: Decimal
    third_party_contribution: Decimal
    by_heading: list = field(default_factory=list)  # [(heading label, subtotal)] in heading order

    @property
    def total(self) -> Decimal:
        """Total eligible costs of the action."""
        return self.direct + self.indirect + self.contingency

    @property
    def cofinancing(self) -> Decimal:
        return self.own_contribution + self.third_party_contribution

    @property
    def requested(self) -> Decimal:
        """What the applicant asks the programme for: total costs less co-financing."""
        return self.total - self.cofinancing

    @property
    def indirect_percent(self):
        return _pct(self.indirect, self.direct)

    @property
    def contingency_percent(self):
        return _pct(self.contingency, self.direct)

    @property
    def cofinancing_percent(self):
        return _pct(self.cofinancing, self.total)


def summarise(source, lines) -> BudgetSummary:
    """The budget of `source` (an application or a grant: anything with indirect_costs, contingency,
    own_contribution and third_party_contribution) from `lines` (its budget lines); incomplete lines count as zero."""
    subtotals = {}
    for line in lines:
        if line.total is not None and line.heading:
            subtotals[line.heading] = subtotals.get(line.heading, ZERO) + line.total
    by_heading = [(label, subtotals[value]) for value, label in BudgetHeading.choices if value in subtotals]
    return BudgetSummary(
        direct=sum(subtotals.values(), ZERO),
        indirect=source.indirect_costs or ZERO,
        contingency=source.contingency or ZERO,
        own_contribution=source.own_contribution or ZERO,
        third_party_contribution=source.third_party_contribution or ZERO,
        by_heading=by_heading,
    )
