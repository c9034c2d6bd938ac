"""Reviewer assignment: automatic and balanced, officer overrides, declining and replacement, object permissions."""
from collections import Counter
from itertools import combinations, product

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from accounts import roles as R
from accounts.services import role_revoke
from applications.review import services as services
from applications.models import (
    ApplicationStatus,
    Assignment,
    AssignmentStatus,
    ConflictDeclaration,
    Review,
    ReviewStatus,
)
from audit.models import AuditEvent
from core.errors import DomainError

from ..factories import CallFactory, EnvelopeFactory
from .test_panels import active_pairs, assert_perms_match, make_applications, make_reviewers
from ..concurrency import race_split


def loads(call, reviewers):
    counts = Counter(r for _a, r in active_pairs(call))
    return [counts[r.pk] for r in reviewers]


def panel_of(officer, call, n, **fields):
    members = make_reviewers(n, **fields)
    services.panel_set_members(actor=officer, call=call, reviewers=members)
    return members


# --- automatic assignment ------------------------------------------------------------------------------------


def test_seven_applications_three_reviewers_each_over_five_reviewers(officer, call, django_capture_on_commit_callbacks):
    members = panel_of(officer, call, 5)
    applications = make_applications(call, 7)
    with django_capture_on_commit_callbacks(execute=True):
        run = services.assignments_auto(actor=officer, call=call)
    assert run.assigned == 21 and run.shortfalls == []
    assert sorted(loads(call, members), reverse=True) == [5, 4, 4, 4, 4]
    assert [n for _m, n in run.loads] == loads(call, members)
    for application in applications:
        assert Assignment.objects.filter(application=application, status=AssignmentStatus.ACTIVE).count() == 3
    assert_perms_match(call, members)
    # One e-mail per reviewer, listing their applications.
    assert sorted(m.to[0] for m in mail.outbox) == sorted(m.email for m in members)
    assert AuditEvent.objects.filter(verb="assignment.start").count() == 21
    assert AuditEvent.objects.get(verb="assignment.auto").data["assigned"] == 21


def test_a_second_run_adds_nothing(officer, call):
    panel_of(officer, call, 4)
    make_applications(call, 5)
    services.assignments_auto(actor=officer, call=call)
    before = active_pairs(call)
    run = services.assignments_auto(actor=officer, call=call)
    assert run.assigned == 0 and active_pairs(call) == before


def test_a_run_fills_only_the_gaps_and_evens_out_the_loads(officer, call):
    """New applications after a first run go to the reviewers who have fewer."""
    call.reviewers_per_application = 1
    call.save(update_fields=["reviewers_per_application"])
    members = panel_of(officer, call, 3)
    make_applications(call, 2)
    services.assignments_auto(actor=officer, call=call)
    assert loads(call, members) == [1, 1, 0]
    make_applications(call, 4)
    services.assignments_auto(actor=officer, call=call)
    assert loads(call, members) == [2, 2, 2]


def test_only_eligible_applications_are_assigned(officer, call):
    panel_of(officer, call, 3)
    eligible, submitted, ineligible = make_applications(call, 3)
    for application, status in ((submitted, ApplicationStatus.SUBMITTED), (ineligible, ApplicationStatus.INELIGIBLE)):
        application.status = status
        application.save(update_fields=["status"])
    services.assignments_auto(actor=officer, call=call)
    assert {a for a, _r in active_pairs(call)} == {eligible.pk}


def test_too_few_reviewers_is_reported_never_filled(officer, call):
    members = panel_of(officer, call, 2)
    applications = make_applications(call, 2)
    run = services.assignments_auto(actor=officer, call=call)
    assert run.shortfalls == [(applications[0], 1), (applications[1], 1)]
    assert loads(call, members) == [2, 2]


def test_without_a_panel_nothing_is_assigned(officer, call):
    make_applications(call, 1)
    with pytest.raises(DomainError) as exc:
        services.assignments_auto(actor=officer, call=call)
    assert exc.value.code == "no_panel"


def test_reviewers_who_lost_the_role_are_not_assigned(officer, call):
    members = panel_of(officer, call, 3)
    role_revoke(actor=officer, user=members[0], role=R.REVIEWER)
    call.reviewers_per_application = 2
    call.save(update_fields=["reviewers_per_application"])
    make_applications(call, 2)
    services.assignments_auto(actor=officer, call=call)
    assert loads(call, members) == [0, 2, 2]


def test_same_country_reviewers_are_kept_away_when_the_call_says_so(officer, call):
    call.reviewers_per_application = 2
    call.exclude_same_country_reviewers = True
    call.save(update_fields=["reviewers_per_application", "exclude_same_country_reviewers"])
    nepali, moroccan, nowhere = make_reviewers(1, country="NP") + make_reviewers(1, country="MA") + make_reviewers(1)
    services.panel_set_members(actor=officer, call=call, reviewers=[nepali, moroccan, nowhere])
    from_nepal = make_applications(call, 2, country="NP")
    from_morocco = make_applications(call, 2, country="MA")
    run = services.assignments_auto(actor=officer, call=call)
    pairs = active_pairs(call)
    for application in from_nepal:
        assert {r for a, r in pairs if a == application.pk} == {moroccan.pk, nowhere.pk}
    for application in from_morocco:
        assert {r for a, r in pairs if a == application.pk} == {nepali.pk, nowhere.pk}
    assert run.shortfalls == []
    with pytest.raises(DomainError) as exc:
        services.assignment_add(actor=officer, application=from_nepal[0], reviewer=nepali)
    assert exc.value.code == "same_country"


def test_same_country_is_allowed_when_the_call_does_not_exclude_it(officer, call):
    call.reviewers_per_application = 1
    call.save(update_fields=["reviewers_per_application"])
    nepali = make_reviewers(1, country="NP")[0]
    services.panel_set_members(actor=officer, call=call, reviewers=[nepali])
    application = make_applications(call, 1, country="NP")[0]
    services.assignments_auto(actor=officer, call=call)
    assert active_pairs(call) == {(application.pk, nepali.pk)}


def test_balancing_moves_picks_around_a_conflict(officer, call):
    """Least-loaded first alone would give both applications to the first reviewer: the second one has a conflict
    on the second application, so the first application moves to them."""
    call.reviewers_per_application = 1
    call.save(update_fields=["reviewers_per_application"])
    first, second = panel_of(officer, call, 2)
    open_to_all, constrained = make_applications(call, 2)
    services.conflict_declare(actor=second, application=constrained, has_conflict=True, reason="Former employer")
    services.assignments_auto(actor=officer, call=call)
    assert active_pairs(call) == {(open_to_all.pk, second.pk), (constrained.pk, first.pk)}


# --- declining -----------------------------------------------------------------------------------------------


def test_a_declined_assignment_is_replaced_and_its_permission_revoked(officer, call):
    call.reviewers_per_application = 2
    call.save(update_fields=["reviewers_per_application"])
    first, second, spare = panel_of(officer, call, 3)
    application = make_applications(call, 1)[0]
    services.assignments_auto(actor=officer, call=call)
    assignment = Assignment.objects.get(application=application, reviewer=first)

    services.assignment_decline(actor=first, assignment=assignment, reason="No time this month")

    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.DECLINED and assignment.end_reason == "No time this month"
    assert active_pairs(call) == {(application.pk, second.pk), (application.pk, spare.pk)}
    assert not first.has_perm(services.REVIEW_PERM, application)
    assert_perms_match(call, [first, second, spare])
    # Declined stays declined: neither a new run nor an officer brings them back.
    services.assignments_auto(actor=officer, call=call)
    assert (application.pk, first.pk) not in active_pairs(call)
    with pytest.raises(DomainError) as exc:
        services.assignment_add(actor=officer, application=application, reviewer=first)
    assert exc.value.code == "declined" and "No time this month" in exc.value.message


def test_declining_needs_a_reason_and_the_reviewer_themself(officer, call):
    members = panel_of(officer, call, 3)
    application = make_applications(call, 1)[0]
    services.assignments_auto(actor=officer, call=call)
    assignment = Assignment.objects.get(application=application, reviewer=members[0])
    with pytest.raises(DomainError) as exc:
        services.assignment_decline(actor=members[0], assignment=assignment, reason="")
    assert exc.value.code == "reason_required"
    with pytest.raises(DomainError) as exc:
        services.assignment_decline(actor=members[1], assignment=assignment, reason="Not mine")
    assert exc.value.code == "not_yours"
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.ACTIVE


def test_a_submitted_review_cannot_be_declined(officer, call):
    members = panel_of(officer, call, 3)
    application = make_applications(call, 1)[0]
    services.assignments_auto(actor=officer, call=call)
    assignment = Assignment.objects.get(application=application, reviewer=members[0])
    Review.objects.create(assignment=assignment, status=ReviewStatus.SUBMITTED, submitted_at=timezone.now())
    with pytest.raises(DomainError) as exc:
        services.assignment_decline(actor=members[0], assignment=assignment, reason="Too late")
    assert exc.value.code == "review_submitted"


# --- officer overrides ---------------------------------------------------------------------------------------


def test_an_officer_adds_and_removes_a_reviewer(officer, call):
    members = panel_of(officer, call, 4)
    application = make_applications(call, 1)[0]
    services.assignments_auto(actor=officer, call=call)
    extra = members[3]
    assignment = services.assignment_add(actor=officer, application=application, reviewer=extra)
    assert assignment.status == AssignmentStatus.ACTIVE and assignment.assigned_by == officer
    assert extra.has_perm(services.REVIEW_PERM, application)
    with pytest.raises(DomainError) as exc:
        services.assignment_add(actor=officer, application=application, reviewer=extra)
    assert exc.value.code == "already_assigned"

    with pytest.raises(DomainError) as exc:
        services.assignment_remove(actor=officer, assignment=assignment, reason=" ")
    assert exc.value.code == "reason_required"
    services.assignment_remove(actor=officer, assignment=assignment, reason="Too many reviewers")
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.REMOVED and not extra.has_perm(services.REVIEW_PERM, application)
    with pytest.raises(DomainError) as exc:
        services.assignment_remove(actor=officer, assignment=assignment, reason="Again")
    assert exc.value.code == "not_active"

    # A removed reviewer can be assigned again by an officer: the same row becomes active.
    again = services.assignment_add(actor=officer, application=application, reviewer=extra)
    assert again.pk == assignment.pk and again.status == AssignmentStatus.ACTIVE and again.end_reason == ""
    assert extra.has_perm(services.REVIEW_PERM, application)
    assert_perms_match(call, members)


def test_an_officer_removal_is_not_replaced_automatically(officer, call):
    members = panel_of(officer, call, 4)
    application = make_applications(call, 1)[0]
    services.assignments_auto(actor=officer, call=call)
    assignment = Assignment.objects.get(application=application, reviewer=members[0])
    services.assignment_remove(actor=officer, assignment=assignment, reason="Asked to step back")
    assert len(active_pairs(call)) == 2
    services.assignments_auto(actor=officer, call=call)
    assert active_pairs(call) == {(application.pk, m.pk) for m in members[1:]}


def test_override_refusals_say_why(officer, call, reviewer):
    members = panel_of(officer, call, 2)
    application = make_applications(call, 1)[0]
    with pytest.raises(DomainError) as exc:
        services.assignment_add(actor=officer, application=application, reviewer=reviewer)
    assert exc.value.code == "not_panel_member" and exc.value.field == "reviewer"
    application.status = ApplicationStatus.SUBMITTED
    application.save(update_fields=["status"])
    with pytest.raises(DomainError) as exc:
        services.assignment_add(actor=officer, application=application, reviewer=members[0])
    assert exc.value.code == "not_eligible"
    assert not Assignment.objects.exists()


# --- properties ----------------------------------------------------------------------------------------------


def best_spread(members, candidates, need):
    """The smallest gap between the most- and least-loaded reviewer over every way of staffing each application
    with as many allowed reviewers as it can get (brute force, for small cases)."""
    options = [list(combinations(sorted(allowed), min(need, len(allowed)))) for allowed in candidates]
    best = None
    for choice in product(*options):
        counts = Counter(r for picks in choice for r in picks)
        spread = max(counts[m] for m in members) - min(counts[m] for m in members)
        best = spread if best is None else min(best, spread)
    return best


HYPOTHESIS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)


@HYPOTHESIS
@given(
    n_reviewers=st.integers(1, 4), n_applications=st.integers(1, 4), need=st.integers(1, 3),
    conflicts=st.sets(st.tuples(st.integers(0, 3), st.integers(0, 3))),
)
@example(n_reviewers=2, n_applications=2, need=1, conflicts={(1, 1)})
@example(n_reviewers=3, n_applications=3, need=1, conflicts={(1, 1), (1, 2), (2, 2)})
def test_balanced_without_conflicts_ever_assigned(officer, n_reviewers, n_applications, need, conflicts):
    call = CallFactory(programme=EnvelopeFactory().programme, reviewers_per_application=need)
    members = make_reviewers(n_reviewers)
    services.panel_set_members(actor=officer, call=call, reviewers=members)
    applications = make_applications(call, n_applications)
    conflicted = {(applications[a].pk, members[r].pk) for a, r in conflicts if a < n_applications and r < n_reviewers}
    for app_id, reviewer_id in conflicted:
        ConflictDeclaration.objects.create(
            application_id=app_id, reviewer_id=reviewer_id, has_conflict=True, reason="r",
            declared_by_id=reviewer_id, declared_at=timezone.now(),
        )

    run = services.assignments_auto(actor=officer, call=call)

    pairs = active_pairs(call)
    assert not pairs & conflicted
    candidates = [{m.pk for m in members if (a.pk, m.pk) not in conflicted} for a in applications]
    for application, allowed in zip(applications, candidates):
        assert sum(1 for a, _r in pairs if a == application.pk) == min(need, len(allowed))
    assert run.shortfalls == [(a, need - len(c)) for a, c in zip(applications, candidates) if len(c) < need]
    counts = loads(call, members)
    assert max(counts) - min(counts) == best_spread([m.pk for m in members], candidates, need)
    if not conflicted and n_reviewers >= need:
        assert max(counts) - min(counts) <= 1
    assert_perms_match(call, members)


@HYPOTHESIS
@given(
    n_reviewers=st.integers(2, 5), n_applications=st.integers(1, 4),
    later=st.lists(st.tuples(st.sampled_from(["conflict", "decline", "record"]), st.integers(0, 3), st.integers(0, 4)), max_size=6),
)
def test_conflicts_and_declines_after_assignment_never_leave_a_conflicted_reviewer(officer, n_reviewers, n_applications, later):
    """After any sequence of conflicts and declines: no conflicted reviewer is assigned, permissions follow the
    assignments, and each application has as many reviewers as the panel still allows (up to two)."""
    call = CallFactory(programme=EnvelopeFactory().programme, reviewers_per_application=2)
    members = make_reviewers(n_reviewers)
    services.panel_set_members(actor=officer, call=call, reviewers=members)
    applications = make_applications(call, n_applications)
    services.assignments_auto(actor=officer, call=call)
    for action, a, r in later:
        application, reviewer = applications[a % n_applications], members[r % n_reviewers]
        try:
            if action == "conflict":
                services.conflict_declare(actor=reviewer, application=application, has_conflict=True, reason="r")
            elif action == "record":
                services.conflict_record(actor=officer, application=application, reviewer=reviewer, reason="r")
            else:
                assignment = Assignment.objects.filter(application=application, reviewer=reviewer, status=AssignmentStatus.ACTIVE).first()
                if assignment is not None:
                    services.assignment_decline(actor=reviewer, assignment=assignment, reason="r")
        except DomainError as exc:
            assert exc.code == "already_declared"
        conflicted = set(ConflictDeclaration.objects.filter(has_conflict=True).values_list("application_id", "reviewer_id"))
        ended = set(
            Assignment.objects.filter(application__call=call).exclude(status=AssignmentStatus.ACTIVE)
            .values_list("application_id", "reviewer_id")
        )
        pairs = active_pairs(call)
        assert not pairs & conflicted
        assert_perms_match(call, members)
        for item in applications:
            pool = {m.pk for m in members} - {r for x, r in conflicted | ended if x == item.pk}
            assert sum(1 for x, _r in pairs if x == item.pk) == min(2, len(pool))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_runs_and_declarations_on_postgresql(officer, call):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite has no row locks and serialises whole-database writes")
    members = panel_of(officer, call, 5)
    applications = make_applications(call, 6)
    declare = [
        lambda a=a, r=r: services.conflict_declare(actor=r, application=a, has_conflict=True, reason="Race")
        for a, r in zip(applications, members)
    ]

    race_split([lambda: services.assignments_auto(actor=officer, call=call)] * 4 + declare, refused=())  # any error fails
    conflicted = set(ConflictDeclaration.objects.filter(has_conflict=True).values_list("application_id", "reviewer_id"))
    pairs = active_pairs(call)
    assert not pairs & conflicted
    assert Counter(a for a, _r in pairs) == {a.pk: 3 for a in applications}
    assert_perms_match(call, members)
