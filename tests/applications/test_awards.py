from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import Flag, Organisation
from applications.awards import award_decide, award_proposal, score_moderate
from applications.models import ApplicationStatus, AwardOutcome
from audit.models import AuditEvent
from core.errors import DomainError
from grants.ledger import LedgerError, balances

from .review_helpers import eligible_application, reviewer, small_grid, submitted_review

D = Decimal


def verified(application):
    Organisation.objects.filter(pk=application.organisation_id).update(verified_at=timezone.now())
    return application


@pytest.fixture
def ranked(open_call):
    """Three scored applications: 17, 16 and 14 points, requesting 400,000, 300,000 and 250,000; the call holds 900,000.
    One review each, which is all this call asks for."""
    open_call.reviewers_per_application = 1
    open_call.save(update_fields=["reviewers_per_application"])
    _, crit = small_grid(open_call)
    apps = []
    for values, requested in (({"a1": 5, "a2": 4, "b1": 4}, "400000"), ({"a1": 4, "a2": 4, "b1": 4}, "300000"), ({"a1": 4, "a2": 4, "b1": 3}, "250000")):
        app = verified(eligible_application(open_call, requested=requested))
        submitted_review(app, reviewer(), crit, values)
        apps.append(app)
    return apps


def test_proposal_walks_down_the_ranking_within_the_allocation(open_call, ranked):
    _, proposals, remaining = award_proposal(open_call)
    assert [(p.result.application, p.outcome) for p in proposals] == [
        (ranked[0], "award"), (ranked[1], "award"), (ranked[2], "reserve"),  # 400k + 300k fit in 900k; 250k does not
    ]
    assert remaining == D("200000.00")


def test_unverified_or_red_flagged_organisations_go_to_the_reserve_list(open_call, ranked):
    Organisation.objects.filter(pk=ranked[0].organisation_id).update(verified_at=None)
    Flag.objects.create(organisation=ranked[1].organisation, level="red", reason="Sanctions match")
    _, proposals, _ = award_proposal(open_call)
    assert [p.outcome for p in proposals] == ["reserve", "reserve", "award"]
    assert "not been verified" in proposals[0].reason and "red flag" in proposals[1].reason
    with pytest.raises(DomainError, match="cannot receive an award"):
        award_decide(actor=None, application=ranked[0], outcome="award", justification="Top ranked")


def test_confirming_an_award_creates_the_grant_and_commits_the_money(open_call, ranked, officer):
    decision = award_decide(actor=officer, application=ranked[0], outcome="award", justification="Ranked first; fits the allocation")
    assert decision.grant.reference == ranked[0].reference and decision.amount == D("400000.00")
    assert decision.rank == 1 and decision.score == D("17.00")
    assert balances(call=open_call).committed == D("400000.00")
    ranked[0].refresh_from_db()
    assert ranked[0].status == ApplicationStatus.AWARDED
    assert AuditEvent.objects.filter(verb="application.award").exists() and AuditEvent.objects.filter(verb="ledger.commit").exists()
    with pytest.raises(DomainError):
        award_decide(actor=officer, application=ranked[0], outcome="award", justification="Again")


def test_award_beyond_the_allocation_is_refused_and_writes_nothing(open_call, ranked, officer):
    award_decide(actor=officer, application=ranked[0], outcome="award", justification="First")
    award_decide(actor=officer, application=ranked[1], outcome="award", justification="Second")
    with pytest.raises(LedgerError, match="exceed the allocation"):
        award_decide(actor=officer, application=ranked[2], outcome="award", justification="Third")
    ranked[2].refresh_from_db()
    assert ranked[2].status == ApplicationStatus.ELIGIBLE and not hasattr(ranked[2], "award_decision")
    assert balances(call=open_call).committed == D("700000.00")
    # A smaller award that fits is possible, with a justification.
    decision = award_decide(actor=officer, application=ranked[2], outcome="award", justification="Reduced to fit", amount="200000.00")
    assert decision.amount == D("200000.00") and balances(call=open_call).committed == D("900000.00")


def test_reserve_then_award_and_reject(open_call, ranked, officer):
    award_decide(actor=officer, application=ranked[2], outcome="reserve", justification="Beyond the allocation for now")
    ranked[2].refresh_from_db()
    assert ranked[2].status == ApplicationStatus.RESERVE
    decision = award_decide(actor=officer, application=ranked[2], outcome="award", justification="Funds freed up")
    assert decision.outcome == AwardOutcome.AWARD and decision.grant is not None
    award_decide(actor=officer, application=ranked[1], outcome="reject", justification="Lower priority")
    with pytest.raises(DomainError):
        award_decide(actor=officer, application=ranked[1], outcome="award", justification="Changed mind")


def test_decisions_need_a_justification_and_a_ranked_application(open_call, ranked, officer):
    with pytest.raises(DomainError) as exc:
        award_decide(actor=officer, application=ranked[0], outcome="award", justification=" ")
    assert exc.value.field == "justification"
    unscored = verified(eligible_application(open_call))
    with pytest.raises(DomainError, match="ranked"):
        award_decide(actor=officer, application=unscored, outcome="award", justification="No scores")
    with pytest.raises(DomainError):
        award_decide(actor=officer, application=ranked[0], outcome="award", justification="Too much", amount="400000.01")


def test_moderation(open_call, ranked, officer):
    score_moderate(actor=officer, application=ranked[2], total="19.50", justification="Panel agreed after discussion")
    _, proposals, _ = award_proposal(open_call)
    assert proposals[0].result.application == ranked[2]
    with pytest.raises(DomainError):
        score_moderate(actor=officer, application=ranked[2], total="21", justification="Beyond the grid")
    with pytest.raises(DomainError):
        score_moderate(actor=officer, application=ranked[2], total="12", justification="")


def test_applications_missing_reviews_are_not_proposed(open_call, ranked):
    open_call.reviewers_per_application = 2
    open_call.save(update_fields=["reviewers_per_application"])
    _, proposals, remaining = award_proposal(open_call)
    assert all(p.outcome == "reserve" and "not complete (1 of 2)" in p.reason for p in proposals)
    assert remaining == D("900000.00")
