"""The envelope dashboard: every figure the staff and the donor read about a programme's money, from the ledger
rows, the payments and the approved expenditure, in a fixed number of queries whatever the number of grants.

Choices, so that the figures can be checked by hand:
- Every "disbursed" figure is net: payments, less reversals, less money recovered from grantees (refunds
  received and amounts offset against later payments: the ledger's `recovery` rows). The overall and per-call
  figures also give the two parts: paid (payments less reversals) and recovered.
- Disbursements over time are the ledger's disbursement and recovery rows: a payment counts in the month of its
  value date (the date the money left the account), a recovery in the month of its settlement's value date, a
  reversal is subtracted in the month it was recorded (the original stays where it was, as in a bank statement).
  A row without a payment or settlement record counts on the day it was recorded. The cumulative line therefore
  ends at the ledger's net disbursed total.
- Outstanding advances per grant are the net payments (reversed payments left out) less the approved
  expenditure and less what was recovered, when positive. Approved expenditure and recoveries clear the oldest
  payments first (FIFO, by value date); what
  is left of each payment ages from its value date to `as_of` in whole calendar months: a payment exactly three
  months old (same day of the month, clamped as in `grants.periods.add_months`) is in the 3-6 bucket, so each
  edge belongs to the older bucket. A payment dated after `as_of` counts as 0 months old.
- Allocations are made per call only, so countries and objectives show committed and disbursed amounts; a grant
  without a country or objective is shown under "Not set".
- Exchange differences of the grants reporting in another currency than EUR: the rule is in
  `disbursements.exchange`.
"""
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

from django.db.models import Q, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from core.money import ZERO, round_money
from grants.models import Grant, LedgerEntry, LedgerKind, Programme, country_name
from grants.periods import add_months
from grants.selectors import EnvelopePosition, cached_figures, envelope_position_from_rows, figures_key

from .exchange import ExchangeDifferences, exchange_differences
from .models import ApprovedExpenditure

# The ledger rows whose sum is the net disbursed figure: payments (and their reversals) and recoveries.
NET_DISBURSED = (LedgerKind.DISBURSEMENT, LedgerKind.RECOVERY)

# (key, label, lowest age in months included); each bucket runs to the next one's lowest age, excluded.
AGE_BUCKETS = (
    ("lt3", _("Under 3 months"), 0),
    ("3to6", _("3 to 6 months"), 3),
    ("6to9", _("6 to 9 months"), 6),
    ("gt9", _("9 months or more"), 9),
)


@dataclass(frozen=True)
class GroupRow:
    """Committed and disbursed (net of recoveries) for a country or an objective (no allocation: calls are
    allocated, not these)."""

    key: str
    label: str
    committed: Decimal
    disbursed: Decimal

    @property
    def undisbursed(self) -> Decimal:
        return self.committed - self.disbursed


@dataclass(frozen=True)
class MonthPoint:
    month: date  # the first day of the month
    net: Decimal  # payments less reversals and recoveries in the month
    cumulative: Decimal


@dataclass(frozen=True)
class Advance:
    """A grant's outstanding advance: paid (net of reversals and recoveries) less approved expenditure, and the age
    of its oldest unjustified part."""

    grant_id: int
    reference: str
    title: str
    organisation: str
    paid: Decimal
    approved: Decimal
    outstanding: Decimal
    oldest: date
    age_months: int
    by_bucket: dict


@dataclass(frozen=True)
class Bucket:
    key: str
    label: str
    amount: Decimal


@dataclass(frozen=True)
class Ageing:
    buckets: list
    advances: list  # of Advance, oldest first

    @property
    def total(self) -> Decimal:
        return sum((b.amount for b in self.buckets), ZERO)


@dataclass(frozen=True)
class Dashboard:
    programme: Programme
    as_of: date
    position: EnvelopePosition
    by_country: list = field(default_factory=list)
    by_objective: list = field(default_factory=list)
    timeline: list = field(default_factory=list)
    ageing: Ageing | None = None
    exchange: ExchangeDifferences = field(default_factory=ExchangeDifferences)

    @property
    def committed_not_disbursed(self) -> Decimal:
        return self.position.committed - self.position.disbursed

    @property
    def allocated_not_committed(self) -> Decimal:
        return self.position.allocated - self.position.committed

    @property
    def months_with_movement(self) -> list:
        return [m for m in self.timeline if m.net]

    @property
    def has_recoveries(self) -> bool:
        return bool(self.position.recovered)

    @property
    def use(self) -> list:
        """The envelope split into parts that add up to it: disbursed, committed not disbursed, allocated not
        committed, available to allocate."""
        return [
            ("disbursed", _("Disbursed"), self.position.disbursed),
            ("committed", _("Committed, not disbursed"), self.committed_not_disbursed),
            ("allocated", _("Allocated, not committed"), self.allocated_not_committed),
            ("available", _("Available to allocate"), self.position.available),
        ]


def full_months(start: date, end: date) -> int:
    """Whole calendar months from `start` to `end`: 0 until the same day a month later, 3 from the same day three
    months later (31 January + 1 month = 28/29 February). Never negative."""
    if end <= start:
        return 0
    months = (end.year - start.year) * 12 + end.month - start.month
    return months if add_months(start, months) <= end else months - 1


def bucket_of(age_months: int) -> str:
    key = AGE_BUCKETS[0][0]
    for bucket_key, _label, lowest in AGE_BUCKETS:
        if age_months >= lowest:
            key = bucket_key
    return key


def _group_sums(envelope, *fields):
    """Committed and disbursed (net of recoveries) per value of `fields` (a grouped aggregate over the ledger rows),
    one query."""
    return (
        LedgerEntry.objects.filter(envelope=envelope, kind__in=(LedgerKind.COMMITMENT, *NET_DISBURSED))
        .values(*fields)
        .annotate(
            committed=Coalesce(Sum("amount", filter=Q(kind=LedgerKind.COMMITMENT)), ZERO),
            disbursed=Coalesce(Sum("amount", filter=Q(kind__in=NET_DISBURSED)), ZERO),
        )
        .order_by(*fields)
    )


def _rows(sums, key_field, label):
    rows = [
        GroupRow(
            key=str(s[key_field] or ""),
            label=label(s) if s[key_field] is not None else str(_("Not set")),
            committed=round_money(s["committed"]),
            disbursed=round_money(s["disbursed"]),
        )
        for s in sums
    ]
    return sorted(rows, key=lambda r: r.key == "")  # stable: the query's order, "Not set" last


def by_country(envelope) -> list[GroupRow]:
    sums = _group_sums(envelope, "grant__country__name", "grant__country_id", "grant__country__code")
    return _rows(sums, "grant__country_id", lambda s: country_name(s["grant__country__code"], s["grant__country__name"]))


def by_objective(envelope) -> list[GroupRow]:
    sums = _group_sums(envelope, "grant__objective__number", "grant__objective_id", "grant__objective__title")
    return _rows(sums, "grant__objective_id", lambda s: f"{s['grant__objective__number']}. {s['grant__objective__title']}")


@dataclass(frozen=True)
class _Movement:
    grant_id: int
    day: date
    amount: Decimal
    standing: bool  # a payment neither reversed nor itself a reversal
    recovery: bool = False  # money recovered from the grantee (negative)


def _movements(envelope) -> list[_Movement]:
    """Every disbursement and recovery row of the envelope with the day it counts on (computed by the database),
    one query."""
    rows = list(
        LedgerEntry.objects.filter(envelope=envelope, kind__in=NET_DISBURSED)
        .annotate(day=Coalesce("payment__value_date", "recovery_settlement__value_date", TruncDate("created_at")))
        .values_list("id", "grant_id", "amount", "day", "reverses_id", "kind")
        .order_by("id")
    )
    reversed_ids = {r[4] for r in rows if r[4] is not None}
    return [
        _Movement(grant_id=grant_id, day=day, amount=amount, recovery=kind == LedgerKind.RECOVERY,
                  standing=kind == LedgerKind.DISBURSEMENT and reverses_id is None and pk not in reversed_ids)
        for pk, grant_id, amount, day, reverses_id, kind in rows
    ]


def disbursement_timeline(programme: Programme, movements, as_of: date) -> list[MonthPoint]:
    """Net disbursements per month, and cumulated, from the programme's first month to the month of `as_of`.
    Rows dated before the programme start count in its first month; rows after `as_of`'s month are left out."""
    first = programme.start_date.replace(day=1)
    last = max(as_of.replace(day=1), first)
    per_month = defaultdict(lambda: ZERO)
    for m in movements:
        per_month[max(m.day.replace(day=1), first)] += m.amount
    points, cumulative, month = [], ZERO, first
    while month <= last:
        net = round_money(per_month[month])
        cumulative += net
        points.append(MonthPoint(month=month, net=net, cumulative=cumulative))
        month = add_months(month, 1)
    return points


def outstanding_advances(programme: Programme, movements, as_of: date) -> Ageing:
    """Advances not yet justified by approved expenditure, per grant and per age bucket (FIFO), two queries."""
    approved = dict(
        ApprovedExpenditure.objects.filter(grant__call__programme=programme)
        .values("grant_id")
        .annotate(total=Sum("amount"))
        .values_list("grant_id", "total")
    )
    payments = defaultdict(list)
    recovered = defaultdict(lambda: ZERO)
    for m in movements:
        if m.standing:
            payments[m.grant_id].append(m)
        elif m.recovery:
            recovered[m.grant_id] -= m.amount
    remainders = {}  # grant id -> [(day, unjustified amount)], oldest first
    for grant_id, rows in payments.items():
        to_clear = Decimal(approved.get(grant_id) or ZERO) + recovered[grant_id]
        left = []
        for m in sorted(rows, key=lambda m: m.day):  # stable: same day keeps the order of recording
            cleared = min(to_clear, m.amount)
            to_clear -= cleared
            if m.amount - cleared > 0:
                left.append((m.day, m.amount - cleared))
        if left:
            remainders[grant_id] = left
    grants = {
        pk: (reference, title, organisation)
        for pk, reference, title, organisation in Grant.objects.filter(pk__in=list(remainders)).values_list(
            "pk", "reference", "title", "organisation__legal_name"
        )
    }
    totals = {key: ZERO for key, _label, _lowest in AGE_BUCKETS}
    advances = []
    for grant_id, left in remainders.items():
        by_bucket = {key: ZERO for key in totals}
        for day, amount in left:
            by_bucket[bucket_of(full_months(day, as_of))] += amount
        for key, amount in by_bucket.items():
            totals[key] += amount
        reference, title, organisation = grants[grant_id]
        paid = sum((m.amount for m in payments[grant_id]), ZERO) - recovered[grant_id]
        oldest = left[0][0]
        advances.append(
            Advance(
                grant_id=grant_id,
                reference=reference,
                title=title,
                organisation=organisation,
                paid=round_money(paid),
                approved=round_money(Decimal(approved.get(grant_id) or ZERO)),
                outstanding=round_money(sum((a for _d, a in left), ZERO)),
                oldest=oldest,
                age_months=full_months(oldest, as_of),
                by_bucket=by_bucket,
            )
        )
    advances.sort(key=lambda a: (a.oldest, a.reference))
    return Ageing(
        buckets=[Bucket(key=key, label=label, amount=round_money(totals[key])) for key, label, _lowest in AGE_BUCKETS],
        advances=advances,
    )


# Part of the cache key: raised whenever the Dashboard's fields change, so figures cached in the older shape are
# never read back into the newer one (2: the exchange differences).
DASHBOARD_SHAPE = 2


def dashboard_key(programme: Programme, as_of: date) -> str | None:
    """The cache key of the dashboard at the programme's ledger version: the labels (countries, "Not set") are in
    the active language, and the ageing counts to `as_of`."""
    return figures_key("dashboard", programme, as_of.isoformat(), translation.get_language(), DASHBOARD_SHAPE)


def dashboard(programme: Programme, *, as_of: date | None = None) -> Dashboard:
    """All the figures of the dashboard, from the cache (one query) or from the rows."""
    as_of = as_of or timezone.localdate()
    d = cached_figures(dashboard_key(programme, as_of), lambda: dashboard_from_rows(programme, as_of=as_of))
    return replace(d, programme=programme, position=replace(d.position, programme=programme))


def dashboard_from_rows(programme: Programme, *, as_of: date) -> Dashboard:
    """All the figures of the dashboard from the rows, in nine queries whatever the number of calls, grants and
    payments."""
    position = envelope_position_from_rows(programme)
    envelope = programme.envelope
    movements = _movements(envelope)
    return Dashboard(
        programme=programme,
        as_of=as_of,
        position=position,
        by_country=by_country(envelope),
        by_objective=by_objective(envelope),
        timeline=disbursement_timeline(programme, movements, as_of),
        ageing=outstanding_advances(programme, movements, as_of),
        exchange=exchange_differences(programme),
    )


def _amount(value) -> str:
    return "" if value is None else f"{round_money(value):.2f}"


# Machine-readable, whatever the reader's language: amounts in EUR with a dot and two decimals, dates as ISO 8601;
# the header row says so. The exchange differences' rows add the local currency and amounts in it.
AMOUNT_COLUMNS = ("envelope", "allocated", "committed", "disbursed", "available", "outstanding", "cumulative", "paid",
                  "recovered", "fx_gains", "fx_losses", "fx_net")
LOCAL_COLUMNS = ("received", "at_programme_rate", "fx_difference")
EXPORT_HEADER = ("section", "key", "label", *(f"{name}_eur" for name in AMOUNT_COLUMNS), "date_iso", "local_currency",
                 *(f"{name}_local" for name in LOCAL_COLUMNS))


def _export(section, key, label, *, currency="", local=None, **amounts):
    day = amounts.pop("date", None)
    local = local or {}
    return ([section, key, label] + [_amount(amounts.get(name)) for name in AMOUNT_COLUMNS]
            + [day.isoformat() if day else "", currency] + [_amount(local.get(name)) for name in LOCAL_COLUMNS])


def _exchange_rows(x: ExchangeDifferences) -> list[list]:
    """The exchange differences: the programme's, per country and per grant (with the local amounts), then what
    cannot be valued (a missing rate: currency and month, the count of payments in `label`; a payment without its
    local amount: its bank reference and grant, paid, value date)."""
    if not x.applies:
        return []
    rows = [_export("fx_overall", "", "", fx_gains=x.gains, fx_losses=x.losses, fx_net=x.net)]
    rows += [_export("fx_country", c.key, c.label, fx_gains=c.gains, fx_losses=c.losses, fx_net=c.net) for c in x.countries]
    rows += [
        _export("fx_grant", g.reference, g.organisation, paid=g.paid, fx_gains=g.gains, fx_losses=g.losses, fx_net=g.net,
                currency=g.currency, local={"received": g.received, "at_programme_rate": g.at_programme_rate, "fx_difference": g.local})
        for g in x.grants
    ]
    rows += [_export("fx_rate_missing", f"{m.currency} {m.month:%Y-%m}", str(m.payments), currency=m.currency, date=m.month)
             for m in x.missing_rates]
    rows += [_export("fx_local_missing", m.bank_reference, m.reference, paid=m.amount, date=m.value_date)
             for m in x.missing_local]
    return rows


def export_rows(d: Dashboard) -> list[list]:
    """The dashboard as one flat table under EXPORT_HEADER: amounts as strings with two decimals, empty where a
    figure does not apply (countries and objectives have no allocation)."""
    p = d.position
    rows = [
        _export("overall", d.programme.code, str(d.programme), envelope=p.envelope, allocated=p.allocated,
                committed=p.committed, disbursed=p.disbursed, available=p.available, outstanding=d.ageing.total,
                paid=p.paid, recovered=p.recovered, date=d.as_of),
    ]
    rows += [
        _export("call", c.call.reference, c.call.title, allocated=c.allocated, committed=c.committed,
                disbursed=c.disbursed, available=c.available, paid=c.paid, recovered=c.recovered)
        for c in p.calls
    ]
    for section, group in (("country", d.by_country), ("objective", d.by_objective)):
        rows += [_export(section, r.key, r.label, committed=r.committed, disbursed=r.disbursed) for r in group]
    rows += [
        _export("month", m.month.strftime("%Y-%m"), "", disbursed=m.net, cumulative=m.cumulative, date=m.month)
        for m in d.timeline
    ]
    rows += [_export("ageing", b.key, str(b.label), outstanding=b.amount) for b in d.ageing.buckets]
    rows += [
        _export("advance", a.reference, a.organisation, disbursed=a.paid, outstanding=a.outstanding, date=a.oldest)
        for a in d.ageing.advances
    ]
    return rows + _exchange_rows(d.exchange)
