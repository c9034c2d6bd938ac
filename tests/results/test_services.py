"""Dimensions, indicators, and a period's values and targets recorded for a grant."""
from decimal import Decimal

import pytest

from audit.models import AuditEvent
from core.errors import DomainError
from results.cells import indicator_cells, parse_cell_key
from results.models import Category, Combine, IndicatorCell, IndicatorTarget, IndicatorValue, ResultPeriod, settings_for
from results.services import default_dimensions, indicator_create, settings_set, targets_set, values_record
from tests.factories import CallFactory, CountryFactory

from .conftest import make_grant, period_dates


def test_default_dimensions_and_their_categories(programme, dimensions):
    assert list(dimensions) == ["sex", "age", "exploitation", "nationality", "status"]
    codes = {code: [c.code for c in d.categories.all()] for code, d in dimensions.items()}
    assert codes == {
        "sex": ["female", "male"],
        "age": ["0-11", "12-17", "18+"],
        "exploitation": ["sexual", "labour", "criminality", "other"],
        "nationality": ["LA", "NP", "other"],  # the programme's countries, then other
        "status": ["trafficking-victim", "smuggled-migrant"],
    }
    sex = dimensions["sex"]
    assert set(sex.titles) == {"en", "fr", "es", "ru", "pt", "ar"}
    assert sex.title("fr") == "Sexe" and sex.title("de") == "Sex"
    nepal = dimensions["nationality"].categories.get(code="NP")
    assert nepal.title("en") == "Nepal" and nepal.title("fr") == "Népal"
    assert AuditEvent.objects.filter(verb="programme.result_dimensions").count() == 1


def test_default_dimensions_again_adds_only_new_countries(programme, dimensions):
    CallFactory(programme=programme).countries.set([CountryFactory(code="KH", name="Cambodia")])
    default_dimensions(programme)
    nationality = dimensions["nationality"]
    assert list(nationality.categories.values_list("code", flat=True)) == ["KH", "LA", "NP", "other"]
    assert Category.objects.filter(dimension__code="sex").count() == 2
    assert AuditEvent.objects.filter(verb="programme.result_dimensions").order_by("id").last().data == {"created": ["nationality=KH"]}
    default_dimensions(programme)
    assert AuditEvent.objects.filter(verb="programme.result_dimensions").count() == 2


def test_cells_have_canonical_keys(people):
    cells = indicator_cells(people)
    assert len(cells) == 6
    assert cells[:3] == ["sex=female|age=0-11", "sex=female|age=12-17", "sex=female|age=18+"]
    assert parse_cell_key("sex=female|age=12-17") == {"sex": "female", "age": "12-17"}


def test_indicator_mapping_and_settings(programme, people, officer):
    assert people.external_code == "GERF 2.29" and people.title("fr") == "People assisted (fr)"
    assert settings_for(programme).external_framework == "EU GERF" and settings_for(programme).small_cell_threshold == 5
    settings_set(actor=officer, programme=programme, small_cell_threshold=10, external_framework="EU GERF 2024")
    assert settings_for(programme).small_cell_threshold == 10


def test_ratio_needs_two_parts_of_the_programme(programme, make_indicator):
    identified, screened = make_indicator("ID"), make_indicator("SC")
    rate = make_indicator("RATE", Combine.RATIO, numerator=identified, denominator=screened)
    assert (rate.numerator, rate.denominator) == (identified, screened)
    with pytest.raises(DomainError, match="numerator and a denominator"):
        make_indicator("BAD", Combine.RATIO, numerator=identified)
    with pytest.raises(DomainError, match="neither a ratio"):
        make_indicator("BAD", Combine.RATIO, numerator=rate, denominator=screened)
    with pytest.raises(DomainError, match="Only a ratio"):
        make_indicator("BAD", Combine.SUM, numerator=identified)
    with pytest.raises(DomainError, match="already has"):
        make_indicator("ID")
    with pytest.raises(DomainError, match="in English"):
        indicator_create(actor=None, programme=programme, code="X", titles={"fr": "Sans anglais"})


def record(grant, officer, indicator, number=1, **entry):
    return values_record(actor=officer, grant=grant, values={indicator: entry}, **period_dates(number))


def test_a_period_is_recorded_with_its_cells_and_audited(programme, people, officer):
    grant = make_grant(programme, country="NP")
    cells = {"sex=female|age=0-11": 2, "sex=female|age=12-17": 3, "sex=female|age=18+": 10,
             "sex=male|age=0-11": 0, "sex=male|age=12-17": 1, "sex=male|age=18+": 4}
    period = record(grant, officer, people, total=20, cells=cells)
    value = IndicatorValue.objects.get(period=period, indicator=people)
    assert value.total == Decimal("20") and value.recorded_by == officer
    assert {c.key: c.amount for c in value.cells.all()} == {k: Decimal(v) for k, v in cells.items()}
    event = AuditEvent.objects.get(verb="grant.result_values")
    assert event.data == {"period": 1, "totals": {"P1": [None, "20.00"]}}


def test_a_total_contradicting_every_collected_cell_is_refused(programme, people, officer):
    grant = make_grant(programme, country="NP")
    cells = {key: 2 for key in indicator_cells(people)}
    with pytest.raises(DomainError, match=r"P1: the total \(13\) is not the sum of its cells \(12\)"):
        record(grant, officer, people, total=13, cells=cells)
    assert not ResultPeriod.objects.exists() and not IndicatorValue.objects.exists()
    assert not AuditEvent.objects.filter(verb="grant.result_values").exists()
    record(grant, officer, people, total=None, cells=cells)  # an empty total takes the cells' sum
    assert IndicatorValue.objects.get().total == 12


def test_not_collected_is_not_zero(programme, people, officer):
    grant = make_grant(programme, country="NP")
    # Only women were counted by age: the total can be anything from their sum up.
    record(grant, officer, people, total=30, cells={"sex=female|age=0-11": 0, "sex=female|age=18+": 7})
    amounts = dict(IndicatorCell.objects.values_list("key", "amount"))
    assert amounts["sex=female|age=0-11"] == 0 and amounts["sex=male|age=0-11"] is None
    with pytest.raises(DomainError, match="below the sum of the cells collected"):
        record(grant, officer, people, total=5, cells={"sex=female|age=18+": 7})
    record(grant, officer, people, total=None, cells={})  # nothing collected
    value = IndicatorValue.objects.get()
    assert value.total is None and not value.cells.exclude(amount=None).exists()
    assert AuditEvent.objects.filter(verb="grant.result_values").order_by("id").last().data["totals"] == {"P1": ["30.00", None]}


@pytest.mark.parametrize(("entry", "message"), [
    ({"total": 3, "cells": {"sex=other|age=0-11": 1}}, "has no cell sex=other"),
    ({"total": Decimal("2.5")}, "whole number of people"),
    ({"total": -1}, "whole number of people"),
    ({"total": 2.0}, "whole number of people"),  # floats are refused, like money
])
def test_bad_values_are_refused(programme, people, officer, entry, message):
    with pytest.raises(DomainError, match=message):
        record(make_grant(programme, country="NP"), officer, people, **entry)


def test_ratios_and_other_programmes_indicators_are_not_recorded(programme, make_indicator, officer):
    identified, screened = make_indicator("ID"), make_indicator("SC")
    rate = make_indicator("RATE", Combine.RATIO, numerator=identified, denominator=screened)
    grant = make_grant(programme, country="NP")
    with pytest.raises(DomainError, match="RATE is a ratio"):
        record(grant, officer, rate, total=1)
    other = make_grant(CallFactory().programme, country="NP", call=CallFactory())
    with pytest.raises(DomainError, match="not an indicator of this grant's programme"):
        record(other, officer, identified, total=1)


def test_a_period_keeps_its_dates(programme, make_indicator, officer):
    indicator, grant = make_indicator("ID"), make_grant(programme, country="NP")
    record(grant, officer, indicator, total=1)
    with pytest.raises(DomainError, match="already runs from 2026-01-01 to 2026-12-31"):
        values_record(actor=officer, grant=grant, period_number=1, period_start=period_dates(1)["period_start"],
                      period_end=period_dates(2)["period_end"], values={indicator: {"total": 2}})


def test_targets_are_set_changed_and_removed(programme, make_indicator, officer):
    indicator, grant = make_indicator("ID"), make_grant(programme, country="NP")
    targets_set(actor=officer, grant=grant, targets={indicator: 10}, **period_dates(2))
    targets_set(actor=officer, grant=grant, targets={indicator: "12.50"}, **period_dates(2))
    assert IndicatorTarget.objects.get().target == Decimal("12.50")
    targets_set(actor=officer, grant=grant, targets={indicator: None}, **period_dates(2))
    assert not IndicatorTarget.objects.exists()
    assert [e.data["targets"] for e in AuditEvent.objects.filter(verb="grant.result_targets").order_by("id")] == [
        {"ID": [None, "10.00"]}, {"ID": ["10.00", "12.50"]}, {"ID": ["12.50", None]},
    ]


def test_titles_come_from_the_indicator(people):
    assert str(people) == "People assisted"
