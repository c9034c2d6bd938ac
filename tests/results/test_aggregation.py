"""Achieved against target across grants, by country and period, for each combine rule, computed by hand."""
from decimal import Decimal

import pytest

from grants.models import Grant
from results.aggregation import achieved_by_period, achieved_vs_target, disaggregated
from results.models import Combine
from results.models import IndicatorValue
from results.services import targets_set, value_review, values_record

from .conftest import make_grant, period_dates, values_accepted

D = Decimal


@pytest.fixture
def scenario(programme, make_indicator, officer):
    """Grants A and B in Nepal, C in Lao PDR, D in Cambodia; values per period (None: not collected)."""
    indicators = {
        "people": make_indicator("PEOPLE"),
        "shelters": make_indicator("SHELTERS", Combine.MAXIMUM),
        "staff": make_indicator("STAFF", Combine.LATEST),
        "identified": make_indicator("IDENTIFIED"),
        "screened": make_indicator("SCREENED"),
    }
    indicators["rate"] = make_indicator(
        "RATE", Combine.RATIO, numerator=indicators["identified"], denominator=indicators["screened"]
    )
    grants = {"A": make_grant(programme, country="NP"), "B": make_grant(programme, country="NP"),
              "C": make_grant(programme, country="LA"), "D": make_grant(programme, country="KH")}
    values = {
        #        period: {indicator: total}
        "A": {1: {"people": 10, "shelters": 3, "staff": 5, "identified": 3, "screened": 12},
              2: {"people": 5, "shelters": 4, "staff": 8}},
        "B": {1: {"people": 7, "shelters": 6, "staff": 3, "screened": 8},
              2: {"people": None, "staff": None}},
        "C": {1: {"people": 4, "shelters": 2, "staff": 2, "identified": 1, "screened": 4},
              2: {"people": 6, "shelters": 1}},
        "D": {1: {"people": None, "shelters": 0}},
    }
    for name, periods in values.items():
        for number, totals in periods.items():
            values_accepted(actor=officer, grant=grants[name], **period_dates(number),
                          values={indicators[code]: {"total": total} for code, total in totals.items()})
    targets = {
        "A": {1: {"people": 20, "staff": 6, "identified": 6, "screened": 12}, 2: {"people": 10, "staff": 10}},
        "B": {2: {"staff": 5}},
        "C": {2: {"people": 15}},
    }
    for name, periods in targets.items():
        for number, by_code in periods.items():
            targets_set(actor=officer, grant=grants[name], **period_dates(number),
                        targets={indicators[code]: target for code, target in by_code.items()})
    return indicators, grants


def figures(programme, code, indicators, **kwargs):
    """{group values: (achieved, target)} of one indicator."""
    return {
        tuple(r.group.values()): (r.achieved, r.target)
        for r in achieved_vs_target(programme, **kwargs) if r.indicator == indicators[code]
    }


def test_sum_by_country_and_period(programme, scenario):
    indicators, _grants = scenario
    np_, la, kh = (Grant.objects.filter(country__code=c).values_list("country_id", flat=True).first() for c in ("NP", "LA", "KH"))
    assert figures(programme, "people", indicators, group_by=("country", "period")) == {
        (np_, 1): (D(17), D(20)), (np_, 2): (D(5), D(10)),  # B's period 2 not collected: A's 5 alone
        (la, 1): (D(4), None), (la, 2): (D(6), D(15)),
        (kh, 1): (None, None),  # D collected nothing: no figure, not zero
    }
    assert figures(programme, "people", indicators, group_by=("country",)) == {
        (np_,): (D(22), D(30)), (la,): (D(10), D(15)), (kh,): (None, None),
    }
    assert figures(programme, "people", indicators) == {(): (D(32), D(45))}


def test_maximum_by_country_and_period(programme, scenario):
    indicators, _grants = scenario
    np_, la, kh = (Grant.objects.filter(country__code=c).values_list("country_id", flat=True).first() for c in ("NP", "LA", "KH"))
    assert figures(programme, "shelters", indicators, group_by=("country", "period")) == {
        (np_, 1): (D(6), None), (np_, 2): (D(4), None), (la, 1): (D(2), None), (la, 2): (D(1), None),
        (kh, 1): (D(0), None),  # a zero is a figure
    }
    assert figures(programme, "shelters", indicators, group_by=("country",)) == {
        (np_,): (D(6), None), (la,): (D(2), None), (kh,): (D(0), None),
    }


def test_latest_takes_each_grants_last_value_then_sums(programme, scenario):
    indicators, _grants = scenario
    np_, la = (Grant.objects.filter(country__code=c).values_list("country_id", flat=True).first() for c in ("NP", "LA"))
    # Nepal: A's period 2 (8) + B's period 1 (3: its period 2 was not collected); targets A's 10 + B's 5.
    assert figures(programme, "staff", indicators, group_by=("country",)) == {(np_,): (D(11), D(15)), (la,): (D(2), None)}
    assert figures(programme, "staff", indicators) == {(): (D(13), D(15))}
    # By period each grant's value in that period is its latest there.
    assert figures(programme, "staff", indicators, group_by=("country", "period")) == {
        (np_, 1): (D(8), D(6)), (np_, 2): (D(8), D(15)), (la, 1): (D(2), None),
    }


def test_ratio_divides_the_aggregated_numerator_by_the_aggregated_denominator(programme, scenario):
    indicators, _grants = scenario
    np_, la = (Grant.objects.filter(country__code=c).values_list("country_id", flat=True).first() for c in ("NP", "LA"))
    # Nepal: (3) / (12 + 8); Lao PDR: 1 / 4; the programme: 4 / 24, in Decimal to four places.
    assert figures(programme, "rate", indicators, group_by=("country",)) == {
        (np_,): (D("0.1500"), D("0.5000")), (la,): (D("0.2500"), None),
    }
    assert figures(programme, "rate", indicators) == {(): (D("0.1667"), D("0.5000"))}
    assert figures(programme, "rate", indicators, group_by=("country", "period")) == {
        (np_, 1): (D("0.1500"), D("0.5000")), (la, 1): (D("0.2500"), None),
    }


def test_by_call_objective_and_for_some_grants(programme, scenario):
    indicators, grants = scenario
    a = grants["A"]
    assert figures(programme, "people", indicators, group_by=("objective",))[(a.objective_id,)] == (D(15), D(30))
    assert figures(programme, "people", indicators, group_by=("call",)) == {(a.call_id,): (D(32), D(45))}
    some = Grant.objects.filter(pk__in=[grants["B"].pk, grants["C"].pk])
    assert figures(programme, "people", indicators, grants=some) == {(): (D(17), D(15))}
    with pytest.raises(ValueError):
        achieved_vs_target(programme, group_by=("organisation",))


def test_disaggregated_cells_combine_across_grants(programme, people, officer):
    a, b = make_grant(programme, country="NP"), make_grant(programme, country="LA")
    values_accepted(actor=officer, grant=a, **period_dates(1), values={people: {"cells": {"sex=female|age=18+": 4, "sex=male|age=18+": 2}}})
    values_accepted(actor=officer, grant=b, **period_dates(1), values={people: {"cells": {"sex=female|age=18+": 3}}})
    values_accepted(actor=officer, grant=b, **period_dates(2), values={people: {"cells": {"sex=female|age=18+": 5}}})
    tables = disaggregated(people)
    assert tables[()]["sex=female|age=18+"] == D(12) and tables[()]["sex=male|age=18+"] == D(2)
    assert tables[()]["sex=female|age=0-11"] is None
    by_period = disaggregated(people, group_by=("period",))
    assert by_period[(1,)]["sex=female|age=18+"] == D(7) and by_period[(2,)]["sex=female|age=18+"] == D(5)


def test_only_accepted_values_count(programme, people, make_indicator, officer):
    """A value waiting for review, or sent back, is in no figure: not in the sum, not as a grant's latest value,
    not in the cells."""
    staff = make_indicator("STAFF", Combine.LATEST)
    a, b, c = (make_grant(programme, country=code) for code in ("NP", "NP", "LA"))
    values_accepted(actor=officer, grant=a, **period_dates(1), values={
        people: {"total": 10, "cells": {"sex=female|age=18+": 10}}, staff: {"total": 5}})
    values_accepted(actor=officer, grant=a, **period_dates(2), values={people: {"total": 5, "cells": {"sex=female|age=18+": 5}}})
    # A's period 2 staff, and B's people, are submitted and not reviewed yet.
    values_record(actor=officer, grant=a, **period_dates(2), values={staff: {"total": 8}})
    values_record(actor=officer, grant=b, **period_dates(1), values={people: {"total": 7, "cells": {"sex=female|age=18+": 7}}})
    # C's people of period 1 were sent back for correction; its period 2 was accepted.
    values_record(actor=officer, grant=c, **period_dates(1), values={people: {"total": 4, "cells": {"sex=male|age=0-11": 4}}})
    value_review(actor=officer, value=IndicatorValue.objects.get(period__grant=c, period__number=1), accept=False,
                 comment="Check the ages.")
    values_accepted(actor=officer, grant=c, **period_dates(2), values={people: {"total": 6, "cells": {"sex=male|age=0-11": 6}}})
    indicators = {"people": people, "staff": staff}
    # People: A's 10 + 5 and C's 6; B's 7 (pending) and C's 4 (returned) are left out.
    assert figures(programme, "people", indicators) == {(): (D(21), None)}
    assert figures(programme, "people", indicators, group_by=("period",)) == {(1,): (D(10), None), (2,): (D(11), None)}
    # Staff: A's latest accepted value is period 1's 5, not the pending 8 of period 2.
    assert figures(programme, "staff", indicators) == {(): (D(5), None)}
    assert figures(programme, "staff", indicators, group_by=("period",)) == {(1,): (D(5), None)}
    tables = disaggregated(people)
    assert tables[()]["sex=female|age=18+"] == D(15) and tables[()]["sex=male|age=0-11"] == D(6)
    assert disaggregated(people, group_by=("period",))[(1,)]["sex=male|age=0-11"] is None
    # The grant's own page shows what it recorded, reviewed or not.
    own = {r.group["period"]: r.achieved for r in achieved_vs_target(
        programme, group_by=("period",), grants=Grant.objects.filter(pk=b.pk), accepted_only=False)}
    assert own == {1: D(7)}


def build(programme, officer, indicators, count):
    for index in range(count):
        grant = make_grant(programme, country=("NP", "LA", "KH")[index % 3])
        for number in (1, 2):
            values_accepted(actor=officer, grant=grant, **period_dates(number),
                          values={i: {"total": index + number} for i in indicators[:3]})
            targets_set(actor=officer, grant=grant, **period_dates(number), targets={i: 10 for i in indicators[:3]})


@pytest.mark.parametrize("count", [3, 30])
def test_queries_do_not_grow_with_grants(programme, make_indicator, officer, django_assert_num_queries, count):
    indicators = [make_indicator("S"), make_indicator("M", Combine.MAXIMUM), make_indicator("L", Combine.LATEST)]
    indicators.append(make_indicator("R", Combine.RATIO, numerator=indicators[0], denominator=indicators[2]))
    build(programme, officer, indicators, count)
    for group_by in [(), ("country", "period"), ("country", "objective", "call", "period")]:
        with django_assert_num_queries(3):  # indicators, values, targets
            results = achieved_vs_target(programme, group_by=group_by)
        assert results
    with django_assert_num_queries(1):
        disaggregated(indicators[0], group_by=("country",))


def test_the_dashboards_two_queries_give_the_same_figures(programme, scenario, django_assert_num_queries):
    """achieved_by_period: the periods' figures and those over all periods (sums of sums, maxima of maxima, each
    grant's latest, ratios of them) are achieved_vs_target's, in two queries."""
    indicators, _grants = scenario
    with django_assert_num_queries(2):
        periods, overall = achieved_by_period(programme, indicators=list(indicators.values()))
    by = lambda results: {(r.indicator.code, *r.group.values()): (r.achieved, r.target) for r in results}  # noqa: E731
    listed = list(indicators.values())
    assert by(periods) == by(achieved_vs_target(programme, group_by=("period",), indicators=listed))
    assert by(overall) == by(achieved_vs_target(programme, indicators=listed))
    assert by(overall)[("STAFF",)] == (D(13), D(15)) and by(overall)[("SHELTERS",)] == (D(6), None)
    assert by(overall)[("PEOPLE",)] == (D(32), D(45)) and by(overall)[("RATE",)] == (D("0.1667"), D("0.5000"))
