"""Aggregation and ranking against hand-computed examples (see applications/aggregation.py for the rules)."""
from decimal import Decimal

import pytest
from django.utils import timezone

from applications.aggregation import call_results
from applications.models import ModeratedScore

from .review_helpers import eligible_application, reviewer, small_grid, submitted_review

D = Decimal


@pytest.fixture
def grid(open_call):
    return small_grid(open_call)


def result_for(results, application):
    return next(r for r in results.results if r.application.pk == application.pk)


def test_weighted_total_with_multiplier_and_not_applicable(open_call, grid):
    _, crit = grid
    app = eligible_application(open_call)
    submitted_review(app, reviewer(), crit, {"a1": 4, "a2": None, "b1": 3})
    r = result_for(call_results(open_call), app)
    # A: 4 of 5 applicable -> 8.00 of 10; B: 3 x 2 = 6 of 10; total 14.00 of 20
    assert r.sections == {crit["a1"].section_id: D("8.00"), crit["b1"].section_id: D("6.00")}
    assert r.raw_total == D("14.00")
    assert r.rank == 1 and not r.eliminated


def test_section_threshold_eliminates_whatever_the_total(open_call, grid):
    _, crit = grid
    weak = eligible_application(open_call)
    submitted_review(weak, reviewer(), crit, {"a1": 2, "a2": 2, "b1": 5})  # A = 4 < 6, B = 10: total 14
    strong = eligible_application(open_call)
    submitted_review(strong, reviewer(), crit, {"a1": 3, "a2": 3, "b1": 2})  # A = 6 (not below), B = 4: total 10
    results = call_results(open_call)
    assert result_for(results, weak).eliminated[0][0] == "section" and result_for(results, weak).rank is None
    assert result_for(results, strong).rank == 1
    assert [r.application for r in results.ranked] == [strong]


def test_pass_mark_eliminates(open_call):
    _, crit = small_grid(open_call, pass_mark=D("15"))
    app = eligible_application(open_call)
    submitted_review(app, reviewer(), crit, {"a1": 4, "a2": 3, "b1": 3})  # 7 + 6 = 13 < 15
    assert result_for(call_results(open_call), app).eliminated == [("pass_mark", D("15.00"))]


def test_z_score_normalisation_removes_reviewer_leniency(open_call, grid):
    _, crit = grid
    lenient, strict = reviewer(), reviewer()
    x, y = eligible_application(open_call), eligible_application(open_call)
    submitted_review(x, lenient, crit, {"a1": 4, "a2": 4, "b1": 4})  # 16
    submitted_review(y, lenient, crit, {"a1": 3, "a2": 3, "b1": 3})  # 12   lenient: mean 14, sd 2
    submitted_review(x, strict, crit, {"a1": 3, "a2": 2, "b1": 2})  # A 5, B 4: 9
    results = call_results(open_call)
    rx, ry = result_for(results, x), result_for(results, y)
    assert rx.raw_total == D("12.50")  # (16 + 9) / 2
    assert ry.raw_total == D("12.00")  # y reviewed by the lenient reviewer only
    # strict has one review: z = 0 -> call mean 37/3 = 12.333...; lenient: x z=+1, y z=-1
    # call sd of {16, 12, 9} = sqrt(((3.667)^2 + (0.333)^2 + (3.333)^2) / 3) = 2.867
    # x: (12.333 + 2.867 + 12.333) / 2 = 13.767 ; y: 12.333 - 2.867 = 9.467
    assert rx.normalised_total == D("13.77")
    assert ry.normalised_total == D("9.47")


def test_two_reviewers_with_spread_normalise_to_the_same_scale(open_call, grid):
    _, crit = grid
    lenient, strict = reviewer(), reviewer()
    x, y = eligible_application(open_call), eligible_application(open_call)
    submitted_review(x, lenient, crit, {"a1": 4, "a2": 4, "b1": 4})  # 16
    submitted_review(y, lenient, crit, {"a1": 3, "a2": 3, "b1": 3})  # 12
    submitted_review(x, strict, crit, {"a1": 2, "a2": 3, "b1": 2})  # A 5, B 4: 9
    submitted_review(y, strict, crit, {"a1": 2, "a2": 1, "b1": 2})  # A 3, B 4: 7
    # lenient: 16, 12 (mean 14, sd 2); strict: 9, 7 (mean 8, sd 1); call: 16, 12, 9, 7 -> mean 11,
    # sd = sqrt((25 + 1 + 4 + 16) / 4) = sqrt(11.5) = 3.3912. Both reviewers: x z = +1, y z = -1.
    results = call_results(open_call)
    rx, ry = result_for(results, x), result_for(results, y)
    assert (rx.raw_total, ry.raw_total) == (D("12.50"), D("9.50"))
    assert rx.normalised_total == D("14.39")  # 11 + 3.3912
    assert ry.normalised_total == D("7.61")  # 11 - 3.3912


def test_divergence_is_flagged_until_moderated(open_call, grid, officer):
    _, crit = grid
    app = eligible_application(open_call)
    open_call.divergence_threshold = D("5")
    open_call.save(update_fields=["divergence_threshold"])
    submitted_review(app, reviewer(), crit, {"a1": 5, "a2": 5, "b1": 5})  # 20
    submitted_review(app, reviewer(), crit, {"a1": 3, "a2": 3, "b1": 2})  # 6 + 4 = 10
    r = result_for(call_results(open_call), app)
    assert r.spread == D("10.00") and r.divergent
    ModeratedScore.objects.create(application=app, total=D("16.00"), justification="Panel discussion", moderated_by=officer, moderated_at=timezone.now())
    r = result_for(call_results(open_call), app)
    assert not r.divergent and r.score("raw") == D("16.00") and r.score("normalised") == D("16.00")


def test_conflicted_declined_and_unsubmitted_reviews_never_count(open_call, grid):
    _, crit = grid
    app = eligible_application(open_call)
    submitted_review(app, reviewer(), crit, {"a1": 3, "a2": 3, "b1": 3})  # 6 + 6 = 12
    submitted_review(app, reviewer(), crit, {"a1": 5, "a2": 5, "b1": 5}, conflict=True)
    submitted_review(app, reviewer(), crit, {"a1": 5, "a2": 5, "b1": 5}, status="declined")
    draft = submitted_review(app, reviewer(), crit, {"a1": 5, "a2": 5, "b1": 5})
    draft.status = "draft"
    draft.save(update_fields=["status"])
    r = result_for(call_results(open_call), app)
    assert r.review_count == 1 and r.raw_total == D("12.00")


def test_ties_are_broken_by_the_largest_section_then_amount_then_order(open_call, grid):
    _, crit = grid
    # The same total, 14: p scores A 8 / B 6, q scores A 6 / B 8.
    p = eligible_application(open_call, requested="90000", sequence=2)
    q = eligible_application(open_call, requested="80000", sequence=1)
    submitted_review(p, reviewer(), crit, {"a1": 4, "a2": 4, "b1": 3})  # A 8, B 6 = 14
    submitted_review(q, reviewer(), crit, {"a1": 3, "a2": 3, "b1": 4})  # A 6, B 8 = 14
    # Both sections have maximum 10: the first one (A) decides -> p before q despite q's smaller request.
    assert [r.application for r in call_results(open_call).ranked] == [p, q]
    r1 = eligible_application(open_call, requested="70000", sequence=3)
    r2 = eligible_application(open_call, requested="60000", sequence=4)
    for app in (r1, r2):
        submitted_review(app, reviewer(), crit, {"a1": 4, "a2": 4, "b1": 3})
    ranked = [r.application for r in call_results(open_call).ranked]
    assert ranked == [r2, r1, p, q], "equal scores and sections: the smaller request first, then the earlier one"


def test_ranking_basis_normalised(open_call, grid):
    _, crit = grid
    open_call.ranking_basis = "normalised"
    open_call.save(update_fields=["ranking_basis"])
    lenient, strict = reviewer(), reviewer()
    x, y, z = (eligible_application(open_call) for _ in range(3))
    # x only seen by the strict reviewer (low raw), but it is that reviewer's best.
    submitted_review(x, strict, crit, {"a1": 3, "a2": 3, "b1": 3})  # 12
    submitted_review(z, strict, crit, {"a1": 1, "a2": 1, "b1": 1})  # 4
    submitted_review(y, lenient, crit, {"a1": 4, "a2": 4, "b1": 4})  # 16
    submitted_review(z, lenient, crit, {"a1": 5, "a2": 5, "b1": 5})  # 20
    ranked = [r.application for r in call_results(open_call).ranked]
    assert ranked.index(x) < ranked.index(y)
