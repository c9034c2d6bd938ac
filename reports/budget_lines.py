"""Expenditure against the agreement's budget lines: pure computation, no database.

For each agreement budget line: the budget, this period's expenditure (EUR), the cumulative expenditure (earlier
approved reports + this one), what remains and the variance (cumulative − budget, in EUR and as a % of the budget;
positive means overspent). Lines are grouped by heading; a heading's figures are the sums of its lines, plus any
expenditure reported under the heading only (reports written before reporting by line, or against a line an
amendment has since replaced).

Transfers between headings (PRAG): when a heading's cumulative expenditure exceeds its budget, the excess was moved
from other headings. Up to the programme's threshold (% of the heading's budget, PRAG 25) the report is accepted
with the grantee's explanation; above it, or under a heading with no budget, only an amendment of the budget can
allow it. The comparison is exact: excess × 100 > threshold × budget.
"""
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from core.formats import number_text

ZERO = Decimal("0.00")
HUNDRED = Decimal("100")

WITHIN = "within"  # cumulative within the budget
NOTE = "note"  # over the budget by at most the threshold: accepted with an explanation
AMENDMENT = "amendment"  # over by more than the threshold (or no budget): needs an amendment


@dataclass(frozen=True)
class BudgetLineInput:
    key: int | None  # the agreement budget line's id; None for expenditure reported under the heading only
    heading: str
    heading_label: str
    description: str
    budget: Decimal


def variance_percent(variance: Decimal, budget: Decimal) -> Decimal | None:
    """The variance as a % of the budget, rounded half-up to two decimals (display only); None without a budget."""
    if not budget:
        return None
    return (variance * HUNDRED / budget).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def transfer_status(cumulative: Decimal, budget: Decimal, threshold: Decimal) -> str:
    excess = cumulative - budget
    if excess <= 0:
        return WITHIN
    if budget <= 0 or excess * HUNDRED > threshold * budget:
        return AMENDMENT
    return NOTE


@dataclass
class Figures:
    budget: Decimal = ZERO
    earlier: Decimal = ZERO
    this_period: Decimal | None = None  # None: not entered (or not converted to EUR yet)

    @property
    def cumulative(self) -> Decimal:
        return self.earlier + (self.this_period or ZERO)

    @property
    def remaining(self) -> Decimal:
        return self.budget - self.cumulative

    @property
    def variance(self) -> Decimal:
        return self.cumulative - self.budget

    @property
    def variance_percent(self) -> Decimal | None:
        return variance_percent(self.variance, self.budget)

    @property
    def variance_percent_text(self) -> str:
        pct = self.variance_percent
        return "—" if pct is None else f"{number_text(pct, 2)} %"


@dataclass
class LineRow(Figures):
    key: int | None = None
    description: str = ""
    amount: Decimal | None = None  # this period in the report's currency, as entered


@dataclass
class HeadingRow(Figures):
    heading: str = ""
    label: str = ""
    status: str = WITHIN
    lines: list = field(default_factory=list)

    @property
    def needs_note(self) -> bool:
        return self.status == NOTE

    @property
    def needs_amendment(self) -> bool:
        return self.status == AMENDMENT


@dataclass
class Table:
    headings: list
    total: Figures
    threshold: Decimal
    converted: bool  # False while this period's amounts are in another currency, not yet in EUR

    @property
    def threshold_text(self) -> str:
        return number_text(self.threshold, 2)

    @property
    def notes_needed(self) -> list:
        return [h for h in self.headings if h.needs_note]

    @property
    def amendments_needed(self) -> list:
        return [h for h in self.headings if h.needs_amendment]


def _add(a, b):
    if b is None:
        return a
    return (a or ZERO) + b


def compute(*, lines, earlier, this_period, amounts=None, threshold, converted=True, heading_labels=None) -> Table:
    """The table.

    lines: BudgetLineInput for each agreement line (in order). earlier: {(heading, key): EUR of earlier approved
    reports}; this_period: {(heading, key): EUR of this report}; amounts: {(heading, key): as entered}; key None is
    expenditure under the heading only. threshold: % of a heading's budget (Decimal)."""
    amounts = amounts or {}
    heading_labels = dict(heading_labels or {})
    headings: dict[str, HeadingRow] = {}

    def heading_row(code, label):
        if code not in headings:
            headings[code] = HeadingRow(heading=code, label=label or heading_labels.get(code, code))
        return headings[code]

    known = set()
    for line in lines:
        key = (line.heading, line.key)
        known.add(key)
        row = LineRow(key=line.key, description=line.description, budget=line.budget,
                      earlier=earlier.get(key, ZERO), this_period=this_period.get(key), amount=amounts.get(key))
        heading_row(line.heading, line.heading_label).lines.append(row)
    # Expenditure under a heading only, or against a line no longer in the agreement: one row per heading.
    loose: dict[str, LineRow] = {}
    for key in sorted(set(earlier) | set(this_period), key=lambda k: (k[0], k[1] or 0)):
        if key in known:
            continue
        code = key[0]
        row = loose.setdefault(code, LineRow(key=None, description=""))
        row.earlier += earlier.get(key, ZERO)
        row.this_period = _add(row.this_period, this_period.get(key))
        row.amount = _add(row.amount, amounts.get(key))
    for code, row in loose.items():
        heading_row(code, None).lines.append(row)

    total = Figures()
    ordered = [headings[code] for code in sorted(headings, key=_heading_order)]
    for heading in ordered:
        for row in heading.lines:
            heading.budget += row.budget
            heading.earlier += row.earlier
            heading.this_period = _add(heading.this_period, row.this_period)
        heading.status = transfer_status(heading.cumulative, heading.budget, threshold)
        total.budget += heading.budget
        total.earlier += heading.earlier
        total.this_period = _add(total.this_period, heading.this_period)
    return Table(headings=ordered, total=total, threshold=threshold, converted=converted)


def _heading_order(code):
    return (0, int(code)) if str(code).isdigit() else (1, str(code))
