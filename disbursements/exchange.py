"""Exchange gains and losses: what the grantee received in local currency against what the programme's monthly
rate gives for the same euros.

The rule, so that every figure can be checked by hand:
- Counted: each standing payment (not reversed) of a grant whose reporting currency is not EUR, with the amount
  the bank paid out in local currency recorded (`local_amount`, `local_currency`).
- Programme rate: the ExchangeRate of the payment's local currency for the month of its value date
  (1 EUR = rate local units).
- Difference in local currency = local amount − EUR amount × programme rate; in EUR = that difference ÷ the
  programme rate. Each is rounded to cents (core.money, half-up) per payment; totals are sums of the rounded
  payment figures.
  Example: EUR 100,000.00 paid at the bank's 655.957 XOF against a programme rate of 650.000: 65,595,700.00 XOF
  received against 65,000,000.00 at the programme rate, +595,700.00 XOF, ÷ 650 = +916.46 EUR.
- Positive is a gain (the grantee received more local currency than the programme's rate gives), negative a loss.
  Gains are the sum of the positive payment differences, losses the sum of the negative ones (a negative
  figure), net = gains + losses, per grant (and local currency), per country (EUR) and for the programme.
- Not valued, and listed so finance can complete them: payments whose month has no rate for their currency
  ("rate missing", by currency and month) and payments recorded without a local amount ("local amount not
  recorded"). Payments of grants reporting in EUR are left out altogether.
"""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import OuterRef, Subquery
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext as _

from core.money import EUR, ZERO, round_money
from grants.models import Grant, country_name

from .models import ExchangeRate


@dataclass(frozen=True)
class Difference:
    """One payment valued at the programme rate: local units at that rate, and the difference in local currency
    and in EUR (positive: a gain)."""

    programme_rate: Decimal
    at_programme_rate: Decimal
    local: Decimal
    eur: Decimal


def difference(*, amount, local_amount, programme_rate) -> Difference:
    """The rule for one payment: local − amount × rate, and that ÷ rate in EUR, each rounded to cents."""
    at_rate = amount * programme_rate
    local = local_amount - at_rate
    return Difference(programme_rate, round_money(at_rate), round_money(local), round_money(local / programme_rate))


@dataclass(frozen=True)
class GrantDifference:
    """A grant's payments in one local currency, valued at the programme rates."""

    grant_id: int
    reference: str
    title: str
    organisation: str
    country: str
    currency: str
    payments: int
    paid: Decimal  # EUR
    received: Decimal  # local units the grantee received
    at_programme_rate: Decimal  # local units at the programme rates
    local: Decimal  # received − at programme rate
    gains: Decimal  # EUR
    losses: Decimal  # EUR, negative

    @property
    def net(self) -> Decimal:
        return self.gains + self.losses


@dataclass(frozen=True)
class CountryDifference:
    key: str
    label: str
    gains: Decimal
    losses: Decimal

    @property
    def net(self) -> Decimal:
        return self.gains + self.losses


@dataclass(frozen=True)
class MissingRate:
    """A currency and month without a programme rate, and how many payments wait for it."""

    currency: str
    month: date
    payments: int


@dataclass(frozen=True)
class MissingLocal:
    """A payment of a grant reporting in local currency, recorded without the local amount received."""

    reference: str
    organisation: str
    bank_reference: str
    value_date: date
    amount: Decimal


@dataclass(frozen=True)
class ExchangeDifferences:
    """The programme's exchange differences; `applies` is False when no grant reports in another currency."""

    applies: bool = False
    grants: list = field(default_factory=list)  # of GrantDifference, largest absolute net first
    countries: list = field(default_factory=list)  # of CountryDifference, "Not set" last
    missing_rates: list = field(default_factory=list)
    missing_local: list = field(default_factory=list)

    @property
    def gains(self) -> Decimal:
        return sum((g.gains for g in self.grants), ZERO)

    @property
    def losses(self) -> Decimal:
        return sum((g.losses for g in self.grants), ZERO)

    @property
    def net(self) -> Decimal:
        return self.gains + self.losses


def _programme_rate(currency, day):
    """The rate of the month of `day` for `currency`, as a subquery of the outer query's fields."""
    return Subquery(ExchangeRate.objects.filter(currency=OuterRef(currency), month=OuterRef(day)).values("rate")[:1])


class _Totals:
    def __init__(self):
        self.payments, self.paid, self.received, self.at_rate, self.local, self.gains, self.losses = 0, ZERO, ZERO, ZERO, ZERO, ZERO, ZERO

    def add(self, amount, local_amount, d: Difference):
        self.payments += 1
        self.paid += amount
        self.received += local_amount
        self.at_rate += d.at_programme_rate
        self.local += d.local
        if d.eur > 0:
            self.gains += d.eur
        else:
            self.losses += d.eur


def exchange_differences(programme) -> ExchangeDifferences:
    """The programme's exchange differences by grant and country, with what cannot be valued, in one query (the
    programme's grants not reporting in EUR, joined to their payments and each payment's programme rate)."""
    rows = list(
        Grant.objects.filter(call__programme=programme).exclude(reporting_currency=EUR)
        .annotate(payment_month=TruncMonth("payments__value_date"))
        .annotate(programme_rate=_programme_rate("payments__local_currency", "payment_month"))
        .values_list(
            "pk", "reference", "title", "organisation__legal_name", "country_id", "country__code", "country__name",
            "payments__pk", "payments__reversal_entry_id", "payments__amount", "payments__value_date",
            "payments__bank_reference", "payments__local_amount", "payments__local_currency", "programme_rate",
        )
        .order_by("reference", "payments__value_date", "payments__pk")
    )
    grants, countries, labels = {}, defaultdict(lambda: [ZERO, ZERO]), {}
    missing_rates, missing_local = defaultdict(int), []
    for (grant_id, reference, title, organisation, country_id, code, country, payment_id, reversal_id, amount,
         value_date, bank_reference, local_amount, currency, rate) in rows:
        if payment_id is None or reversal_id is not None:
            continue
        if local_amount is None:
            missing_local.append(MissingLocal(reference, organisation, bank_reference, value_date, amount))
            continue
        if rate is None:
            missing_rates[(currency, value_date.replace(day=1))] += 1
            continue
        d = difference(amount=amount, local_amount=local_amount, programme_rate=rate)
        key = (grant_id, currency)
        if key not in grants:
            grants[key] = (reference, title, organisation, country_id, code, country, _Totals())
        grants[key][-1].add(amount, local_amount, d)
    result = []
    for (grant_id, currency), (reference, title, organisation, country_id, code, country, t) in grants.items():
        label = country_name(code, country) if country_id else _("Not set")
        labels[str(country_id or "")] = label
        countries[str(country_id or "")][0] += t.gains
        countries[str(country_id or "")][1] += t.losses
        result.append(GrantDifference(
            grant_id=grant_id, reference=reference, title=title, organisation=organisation, country=label,
            currency=currency, payments=t.payments, paid=t.paid, received=t.received, at_programme_rate=t.at_rate,
            local=t.local, gains=t.gains, losses=t.losses,
        ))
    result.sort(key=lambda g: (-abs(g.net), g.reference, g.currency))
    by_country = sorted(
        (CountryDifference(key, labels[key], gains, losses) for key, (gains, losses) in countries.items()),
        key=lambda c: (c.key == "", c.label),
    )
    return ExchangeDifferences(
        applies=bool(rows),
        grants=result,
        countries=by_country,
        missing_rates=[MissingRate(c, m, n) for (c, m), n in sorted(missing_rates.items())],
        missing_local=missing_local,
    )


def payment_differences(grant, payments) -> list[tuple]:
    """(payment, Difference or None, rate missing) for each row of a grant's payment table: a Difference for each
    standing local-currency payment of a grant not reporting in EUR whose month has a programme rate, "rate
    missing" when its month has none. One query for all the rates, none when no payment needs one."""
    needed = {
        p.pk: (p.local_currency, p.value_date.replace(day=1))
        for p in payments
        if grant.reporting_currency != EUR and p.local_amount is not None and not p.is_reversed
    }
    rates = {}
    if needed:
        currencies, months = {c for c, _m in needed.values()}, {m for _c, m in needed.values()}
        rates = {(r.currency, r.month): r.rate for r in ExchangeRate.objects.filter(currency__in=currencies, month__in=months)}
    rows = []
    for p in payments:
        rate = rates.get(needed.get(p.pk))
        d = difference(amount=p.amount, local_amount=p.local_amount, programme_rate=rate) if rate else None
        rows.append((p, d, p.pk in needed and rate is None))
    return rows
