"""The "latest" rule against a plain reading of it on many random grants: each grant's value of its latest period
with a counted value (accepted, not empty), summed across grants; for cells, per cell. The database works it out
in one grouped subquery; here it is worked out row by row in Python."""
import random
from datetime import date
from decimal import Decimal

import pytest

from grants.models import Grant
from results.aggregation import achieved_by_period, achieved_vs_target, disaggregated
from results.cells import cell_key
from results.models import Combine, IndicatorCell, IndicatorTarget, IndicatorValue, ResultPeriod, ReviewStatus

from .conftest import make_grant

KEYS = [cell_key([("sex", "female")]), cell_key([("sex", "male")])]
PERIODS = 4


@pytest.fixture
def random_programme(programme, make_indicator):
    rnd = random.Random(11)
    staff = make_indicator("STAFF", Combine.LATEST)
    people = make_indicator("PEOPLE")
    grants = [make_grant(programme, country=rnd.choice(("NP", "LA"))) for _ in range(12)]
    rows = []  # (grant, number, indicator, total, status, {key: amount}, target)
    for grant in grants:
        numbers = sorted(rnd.sample(range(1, PERIODS + 1), rnd.randint(1, PERIODS)))
        for number in numbers:
            period = ResultPeriod.objects.create(grant=grant, number=number, start=date(2024 + number, 1, 1),
                                                 end=date(2024 + number, 12, 31))
            for indicator in (staff, people):
                if rnd.random() < 0.15:
                    continue  # no row at all for this period
                amounts = {k: rnd.choice((None, 0, 1, 2, 7)) for k in KEYS}
                collected = [a for a in amounts.values() if a is not None]
                total = None if rnd.random() < 0.2 else Decimal(sum(collected))
                status = rnd.choice((ReviewStatus.ACCEPTED, ReviewStatus.ACCEPTED, ReviewStatus.SUBMITTED,
                                     ReviewStatus.RETURNED))
                value = IndicatorValue.objects.create(period=period, indicator=indicator, total=total, review_status=status)
                IndicatorCell.objects.bulk_create(
                    [IndicatorCell(value=value, key=k, amount=None if a is None else Decimal(a)) for k, a in amounts.items()])
                target = None
                if rnd.random() < 0.6:
                    target = Decimal(rnd.randint(0, 20))
                    IndicatorTarget.objects.create(period=period, indicator=indicator, target=target)
                rows.append((grant, number, indicator, total, status, amounts, target))
    return staff, grants, rows


def latest_by_hand(rows, *, group=lambda row: (), counted=True, amount=lambda row: row[3], period=None):
    """{group: figure}: per grant, the value of its latest period with a counted value, summed; with `period`, only
    rows of that period count, but only if it is the grant's latest (as a look for a later value over every period)."""
    chosen = [r for r in rows if amount(r) is not None and (not counted or r[4] == ReviewStatus.ACCEPTED)]
    latest = {}
    for r in chosen:
        if r[0].pk not in latest or r[1] > latest[r[0].pk][1]:
            latest[r[0].pk] = r
    figures = {}
    for r in latest.values():
        if period is None or r[1] == period:
            figures[group(r)] = figures.get(group(r), Decimal(0)) + Decimal(amount(r))
    return figures


def test_latest_overall_by_country_and_cells_match_a_reading_by_hand(programme, random_programme):
    staff, grants, rows = random_programme
    staff_rows = [r for r in rows if r[2] == staff]
    assert len({r[0].pk for r in staff_rows}) > 6  # enough grants to mean something

    periods, overall = achieved_by_period(programme)
    by_hand = latest_by_hand(staff_rows)
    assert {r.indicator.pk: r.achieved for r in overall}[staff.pk] == by_hand[()]
    targets = latest_by_hand(staff_rows, counted=False, amount=lambda r: r[6])
    assert {r.indicator.pk: r.target for r in overall}[staff.pk] == targets[()]

    by_country = {r.group["country"]: r.achieved for r in achieved_vs_target(programme, group_by=("country",))
                  if r.indicator == staff and r.achieved is not None}
    assert by_country == latest_by_hand(staff_rows, group=lambda r: r[0].country_id)

    # Every value recorded, reviewed or not (a grant's own page).
    assert {r.indicator.pk: r.achieved for r in achieved_vs_target(programme, accepted_only=False)}[staff.pk] == \
        latest_by_hand(staff_rows, counted=False)[()]

    # Only some grants in view.
    some = Grant.objects.filter(pk__in=[g.pk for g in grants[:5]])
    in_view = [r for r in staff_rows if r[0] in grants[:5]]
    assert {r.indicator.pk: r.achieved for r in achieved_by_period(programme, grants=some)[1]}.get(staff.pk) == \
        latest_by_hand(in_view).get(())

    for key in KEYS:
        cells = disaggregated(staff).get((), {})
        assert cells.get(key) == latest_by_hand(staff_rows, amount=lambda r, key=key: r[5][key]).get(())
        for number in range(1, PERIODS + 1):
            cells = disaggregated(staff, period=number).get((), {})
            assert cells.get(key) == latest_by_hand(staff_rows, amount=lambda r, key=key: r[5][key], period=number).get(())
