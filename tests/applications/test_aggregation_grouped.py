"""The grouped aggregation against a per-score reference computed here, on random scores; and its query count."""
import random
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from applications.aggregation import call_results
from core.money import round_money

from .review_helpers import eligible_application, reviewer, small_grid, submitted_review

D = Decimal


def reference_reviews(reviews, crit):
    """Per score, the rules of applications/aggregation.py: {review id: (total, {section id: points})}."""
    maxima = {}
    for c in crit.values():
        maxima[c.section_id] = maxima.get(c.section_id, 0) + c.scale_max * c.multiplier
    out = {}
    for review in reviews:
        points, possible = {}, {}
        for score in review.scores.select_related("criterion"):
            if score.value is None:
                continue
            c, s = score.criterion, score.criterion.section_id
            points[s] = points.get(s, 0) + score.value * c.multiplier
            possible[s] = possible.get(s, 0) + c.scale_max * c.multiplier
        sections = {s: D(points[s]) * maxima[s] / D(possible[s]) for s in points}
        counted = sum(maxima[s] for s in sections)
        out[review.pk] = (sum(sections.values(), D(0)) * sum(maxima.values()) / counted, sections)
    return out


def reference_normalised(totals, reviewer_of):
    def mean_sd(values):
        m = sum(values, D(0)) / len(values)
        return m, (sum(((v - m) ** 2 for v in values), D(0)) / len(values)).sqrt()

    call_mean, call_sd = mean_sd(list(totals.values()))
    normalised = {}
    for review_id, total in totals.items():
        own = [t for r, t in totals.items() if reviewer_of[r] == reviewer_of[review_id]]
        mean, sd = mean_sd(own)
        z = (total - mean) / sd if len(own) > 1 and sd > 0 else D(0)
        normalised[review_id] = call_mean + z * call_sd
    return normalised


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_grouped_aggregation_matches_a_per_score_reference(open_call, seed):
    rnd = random.Random(seed)
    _, crit = small_grid(open_call)
    panel = [reviewer() for _ in range(4)]
    reviews, application_of = [], {}
    for _ in range(6):
        app = eligible_application(open_call)
        for person in rnd.sample(panel, rnd.randint(1, 3)):
            values = {"a1": rnd.randint(1, 5), "a2": rnd.choice([None, 1, 2, 3, 4, 5]), "b1": rnd.randint(1, 5)}
            review = submitted_review(app, person, crit, values)
            reviews.append(review)
            application_of[review.pk] = app.pk
    per_review = reference_reviews(reviews, crit)
    normalised = reference_normalised(
        {pk: total for pk, (total, _) in per_review.items()}, {r.pk: r.assignment.reviewer_id for r in reviews}
    )

    results = call_results(open_call)
    for result in results.results:
        mine = [pk for pk, app in application_of.items() if app == result.application.pk]
        assert {r.review_id: (r.total, r.sections) for r in result.reviews} == {pk: per_review[pk] for pk in mine}
        assert result.raw_total == round_money(sum(per_review[pk][0] for pk in mine) / len(mine))
        assert result.normalised_total == round_money(sum(normalised[pk] for pk in mine) / len(mine))


def _call_with(open_call, n, crit, panel):
    for _ in range(n):
        app = eligible_application(open_call)
        for person in panel:
            submitted_review(app, person, crit, {"a1": 3, "a2": None, "b1": 4})


def test_call_results_costs_the_same_queries_for_5_and_50_applications(open_call, django_assert_num_queries):
    _, crit = small_grid(open_call)
    panel = [reviewer(), reviewer()]
    _call_with(open_call, 5, crit, panel)
    with CaptureQueriesContext(connection) as few:
        assert len(call_results(open_call).results) == 5
    _call_with(open_call, 45, crit, panel)
    with django_assert_num_queries(len(few.captured_queries)):
        assert len(call_results(open_call).results) == 50


def test_a_section_entirely_not_applicable_leaves_the_total_beside_complete_reviews(open_call):
    """One review on integers (every criterion scored), one where section A is wholly not applicable: the second's
    total is rescaled to the grid's maximum, and A's mean is taken on the first review only."""
    _, crit = small_grid(open_call)
    app = eligible_application(open_call)
    submitted_review(app, reviewer(), crit, {"a1": 4, "a2": 3, "b1": 5})  # A 7, B 10: 17
    submitted_review(app, reviewer(), crit, {"a1": None, "a2": None, "b1": 3})  # B 6 of 10 -> 12 of 20
    result = call_results(open_call).results[0]
    a, b = crit["a1"].section_id, crit["b1"].section_id
    assert sorted((r.total, r.sections) for r in result.reviews) == [(D(12), {b: D(6)}), (D(17), {a: D(7), b: D(10)})]
    assert result.sections == {a: D("7.00"), b: D("8.00")}
    assert result.raw_total == D("14.50") and result.spread == D("5.00")
