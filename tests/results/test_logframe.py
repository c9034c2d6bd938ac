"""The application's standard indicators and targets per period (results.logframe): the picker page, its access and
bad input, the read-only section on the application's pages, and the targets becoming the grant's at the award."""
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import roles as R
from accounts.models import MemberRole, Organisation
from accounts.services import membership_set
from applications.awards import award_decide
from applications.models import ApplicationStatus
from applications.services import application_submit
from audit.models import AuditEvent
from core.errors import DomainError
from results.aggregation import achieved_vs_target
from results.logframe import application_periods, logframe_targets_copy, planned_indicators_set
from results.models import Combine, IndicatorTarget, PlannedIndicator, ResultPeriod
from results.services import indicator_create
from tests.applications.helpers import complete_draft, rules_call
from tests.applications.review_helpers import eligible_application, reviewer, small_grid, submitted_review
from tests.conftest import login, make_user
from tests.factories import EnvelopeFactory

D = Decimal
TITLES = {"en": "Victims assisted", "fr": "Victimes assistées", "es": "Víctimas asistidas", "ar": "الضحايا الذين تمت مساعدتهم"}


@pytest.fixture
def plan_programme(db):
    return EnvelopeFactory(amount=(D("10000000.00"), "EUR")).programme


@pytest.fixture
def plan_call(plan_programme):
    return rules_call(plan_programme)


@pytest.fixture
def indicators(plan_programme, officer):
    """Two standard indicators (one counts people) and a ratio of them, which cannot be picked."""
    victims = indicator_create(actor=officer, programme=plan_programme, code="VOT", titles=TITLES, counts_people=True)
    cases = indicator_create(actor=officer, programme=plan_programme, code="CASES", titles={"en": "Cases referred", "fr": "Cas orientés"})
    ratio = indicator_create(actor=officer, programme=plan_programme, code="RATE", titles={"en": "Rate"},
                             combine=Combine.RATIO, numerator=victims, denominator=cases)
    return {"VOT": victims, "CASES": cases, "RATE": ratio}


@pytest.fixture
def two_year_draft(cso_user, plan_call, organisation):
    """A complete draft running two years: reporting periods 1 and 2."""
    start = timezone.now().date() + timedelta(days=60)
    end = date(start.year + 2, start.month, 1) - timedelta(days=1)
    application = complete_draft(actor=cso_user, call=plan_call, organisation=organisation, start_date=start, end_date=end)
    application.refresh_from_db()
    return application


def url(application):
    return reverse("application_indicators", args=[application.pk])


def post_data(indicators, **values):
    """Form data: `VOT=True` ticks it, `VOT_1="120"` types period 1's target."""
    data = {}
    for key, value in values.items():
        code, _sep, number = key.partition("_")
        name = f"i{indicators[code].pk}"
        data[f"{name}-p{number}" if number else name] = "on" if value is True else value
    return data


# ---- the service -------------------------------------------------------------------------------------------------


def test_periods_follow_the_programme_rules_of_the_actions_dates(two_year_draft):
    periods = application_periods(two_year_draft)
    assert [p.number for p in periods] == [1, 2]
    assert periods[0].start == two_year_draft.start_date and periods[-1].end == two_year_draft.end_date


def test_picks_are_saved_replaced_and_audited(two_year_draft, indicators, cso_user):
    before = two_year_draft.updated_at
    planned_indicators_set(actor=cso_user, application=two_year_draft, picks={
        indicators["VOT"]: {1: D("120"), 2: D("250")}, indicators["CASES"]: {1: None, 2: D("12.50")},
    })
    rows = {p.indicator.code: p.targets for p in PlannedIndicator.objects.filter(application=two_year_draft)}
    assert rows == {"VOT": {"1": "120.00", "2": "250.00"}, "CASES": {"2": "12.50"}}
    event = AuditEvent.objects.get(verb="application.logframe_indicators")
    assert event.data == {"before": {}, "after": rows}
    two_year_draft.refresh_from_db()
    assert two_year_draft.updated_at > before
    # Picking again replaces: CASES no longer picked, VOT's targets changed.
    planned_indicators_set(actor=cso_user, application=two_year_draft, picks={indicators["VOT"]: {1: D("100")}})
    assert {p.indicator.code: p.targets for p in PlannedIndicator.objects.filter(application=two_year_draft)} == {"VOT": {"1": "100.00"}}
    # The same picks again change nothing and write no event.
    planned_indicators_set(actor=cso_user, application=two_year_draft, picks={indicators["VOT"]: {1: D("100")}})
    assert AuditEvent.objects.filter(verb="application.logframe_indicators").count() == 2


@pytest.mark.parametrize("picks, code", [
    (lambda i: {i["VOT"]: {1: D("-1")}}, "negative_target"),
    (lambda i: {i["VOT"]: {1: D("1.5")}}, "whole_target"),  # people are counted whole
    (lambda i: {i["CASES"]: {1: D("0.125")}}, "invalid_target"),
    (lambda i: {i["CASES"]: {3: D("1")}}, "invalid_period"),  # the action has two periods
    (lambda i: {i["RATE"]: {1: D("1")}}, "invalid_indicator"),  # a ratio is computed from its parts
], ids=["negative", "fraction of a person", "below a cent", "no such period", "ratio"])
def test_bad_picks_are_refused_and_write_nothing(two_year_draft, indicators, cso_user, picks, code):
    with pytest.raises(DomainError) as refused:
        planned_indicators_set(actor=cso_user, application=two_year_draft, picks=picks(indicators))
    assert refused.value.code == code
    assert not PlannedIndicator.objects.exists() and not AuditEvent.objects.filter(verb="application.logframe_indicators").exists()


def test_another_programmes_indicator_is_refused(two_year_draft, indicators, cso_user, officer):
    other = indicator_create(actor=officer, programme=EnvelopeFactory().programme, code="VOT", titles=TITLES)
    with pytest.raises(DomainError, match="not a standard indicator"):
        planned_indicators_set(actor=cso_user, application=two_year_draft, picks={other: {1: D("1")}})


def test_only_editors_of_an_editable_application_may_pick(two_year_draft, indicators, cso_user, organisation):
    viewer = make_user(R.APPLICANT, email_verified_at=timezone.now())
    membership_set(actor=None, organisation=organisation, user=viewer, role=MemberRole.VIEWER)
    with pytest.raises(DomainError) as refused:
        planned_indicators_set(actor=viewer, application=two_year_draft, picks={indicators["VOT"]: {1: D("1")}})
    assert refused.value.code == "forbidden"
    application_submit(actor=cso_user, application=two_year_draft)
    with pytest.raises(DomainError) as refused:
        planned_indicators_set(actor=cso_user, application=two_year_draft, picks={indicators["VOT"]: {1: D("1")}})
    assert refused.value.code == "not_editable"


# ---- the page ----------------------------------------------------------------------------------------------------


def test_member_picks_indicators_and_targets_on_the_page(client, two_year_draft, indicators, cso_user):
    login(client, cso_user)
    page = client.get(url(two_year_draft))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Victims assisted" in html and "Cases referred" in html and "Rate" not in html
    assert "Target for period 1" in html and "Target for period 2" in html
    response = client.post(url(two_year_draft), post_data(indicators, VOT=True, VOT_1="120", VOT_2="1,250"))
    assert response.status_code == 302 and response.url == url(two_year_draft)
    planned = PlannedIndicator.objects.get(application=two_year_draft)
    assert planned.indicator == indicators["VOT"] and planned.targets == {"1": "120.00", "2": "1250.00"}
    page = client.get(url(two_year_draft)).content.decode()
    assert "were saved" in page and 'value="1,250"' in page and "checked" in page


@pytest.mark.parametrize("typed, message", [
    ({"VOT": True, "VOT_1": "-5"}, "cannot be negative"),
    ({"VOT": True, "VOT_1": "lots"}, "Enter a number"),
    ({"VOT": True, "VOT_1": "2.5"}, "enter a whole number"),
    ({"CASES_2": "40"}, "tick it to keep them"),
], ids=["negative", "not a number", "fraction of a person", "target of an indicator not ticked"])
def test_bad_input_is_shown_on_its_field_and_what_was_typed_is_kept(client, two_year_draft, indicators, cso_user, typed, message):
    login(client, cso_user)
    data = post_data(indicators, CASES=True, CASES_1="77.5", **typed) if "CASES_2" not in typed else post_data(indicators, **typed)
    response = client.post(url(two_year_draft), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html and "Nothing was saved yet" in html and 'class="error-summary"' in html
    for value in data.values():
        if value != "on":
            assert f'value="{value}"' in html  # kept as typed
    assert not PlannedIndicator.objects.exists()


def test_another_organisations_user_gets_404(client, two_year_draft, indicators, other_cso_user):
    login(client, other_cso_user)
    assert client.get(url(two_year_draft)).status_code == 404
    assert client.post(url(two_year_draft), post_data(indicators, VOT=True, VOT_1="5")).status_code == 404
    assert not PlannedIndicator.objects.exists()


def test_a_viewer_member_reads_only(client, two_year_draft, indicators, cso_user, organisation):
    planned_indicators_set(actor=cso_user, application=two_year_draft, picks={indicators["VOT"]: {1: D("120")}})
    viewer = make_user(R.APPLICANT, email_verified_at=timezone.now())
    membership_set(actor=None, organisation=organisation, user=viewer, role=MemberRole.VIEWER)
    login(client, viewer)
    page = client.get(url(two_year_draft))
    assert page.status_code == 200 and "<form" not in page.content.decode().split("<main", 1)[-1].split("</main>")[0]
    assert "Victims assisted" in page.content.decode()
    assert client.post(url(two_year_draft), post_data(indicators, VOT=True, VOT_1="5")).status_code == 403


def test_staff_read_the_submitted_applications_picks_and_never_a_draft(client, two_year_draft, indicators, cso_user, officer):
    planned_indicators_set(actor=cso_user, application=two_year_draft, picks={indicators["VOT"]: {1: D("120"), 2: D("250")}})
    login(client, officer)
    assert client.get(url(two_year_draft)).status_code == 404  # staff never see drafts
    application_submit(actor=cso_user, application=two_year_draft)
    page = client.get(url(two_year_draft))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Victims assisted" in html and "120" in html and "250" in html and 'name="i' not in html
    assert client.post(url(two_year_draft), post_data(indicators, VOT=True, VOT_1="5")).status_code == 403
    assert PlannedIndicator.objects.get().targets == {"1": "120.00", "2": "250.00"}
    # The officers' page of the application shows them too.
    screening = client.get(reverse("screening_detail", args=[two_year_draft.pk])).content.decode()
    assert "Standard indicators and targets" in screening and "Victims assisted" in screening


def test_titles_are_in_the_readers_language(client, two_year_draft, indicators, cso_user):
    cso_user.language = "fr"
    cso_user.save(update_fields=["language"])
    planned_indicators_set(actor=cso_user, application=two_year_draft, picks={indicators["CASES"]: {1: D("3")}})
    login(client, cso_user)
    html = client.get(url(two_year_draft)).content.decode()
    assert "Victimes assistées" in html and "Cas orientés" in html and "Victims assisted" not in html
    # The applicant's own page of the application, in French too.
    detail = client.get(reverse("application_detail", args=[two_year_draft.pk])).content.decode()
    assert "Cas orientés" in detail


def test_without_dates_indicators_can_be_ticked_and_the_page_says_why_there_are_no_targets(client, plan_call, indicators, cso_user, organisation):
    draft = complete_draft(actor=cso_user, call=plan_call, organisation=organisation, start_date=None, end_date=None)
    login(client, cso_user)
    html = client.get(url(draft)).content.decode()
    assert "start and end dates" in html and "Target for period" not in html
    assert client.post(url(draft), post_data(indicators, VOT=True)).status_code == 302
    assert PlannedIndicator.objects.get().targets == {}


def test_the_application_form_links_to_the_page(client, two_year_draft, indicators, cso_user):
    login(client, cso_user)
    html = client.get(reverse("application_edit", args=[two_year_draft.pk])).content.decode()
    assert url(two_year_draft) in html


def test_the_page_costs_the_same_queries_whatever_the_number_of_indicators(client, two_year_draft, indicators, cso_user, officer, plan_programme):
    login(client, cso_user)
    planned_indicators_set(actor=cso_user, application=two_year_draft, picks={indicators["VOT"]: {1: D("1")}})
    client.get(url(two_year_draft))
    with CaptureQueriesContext(connection) as few:
        assert client.get(url(two_year_draft)).status_code == 200
    more = [indicator_create(actor=officer, programme=plan_programme, code=f"X{n}", titles={"en": f"Extra {n}"})
            for n in range(8)]
    planned_indicators_set(actor=cso_user, application=two_year_draft,
                           picks={indicators["VOT"]: {1: D("1")}, **{i: {2: D(n)} for n, i in enumerate(more)}})
    with CaptureQueriesContext(connection) as many:
        assert client.get(url(two_year_draft)).status_code == 200
    assert len(many) == len(few) <= 15


# ---- at the award ------------------------------------------------------------------------------------------------


@pytest.fixture
def ranked_with_picks(plan_call, indicators, officer):
    """A ranked, eligible application running two years from 1 January 2027, which picked VOT (120 then 250) and
    CASES (period 2 only)."""
    plan_call.reviewers_per_application = 1
    plan_call.save(update_fields=["reviewers_per_application"])
    _grid, crit = small_grid(plan_call)
    application = eligible_application(plan_call, requested="200000.00")
    application.start_date, application.end_date = date(2027, 1, 1), date(2028, 12, 31)
    application.save(update_fields=["start_date", "end_date"])
    Organisation.objects.filter(pk=application.organisation_id).update(verified_at=timezone.now())
    submitted_review(application, reviewer(), crit, {"a1": 5, "a2": 4, "b1": 4})
    PlannedIndicator.objects.create(application=application, indicator=indicators["VOT"], targets={"1": "120.00", "2": "250.00"})
    PlannedIndicator.objects.create(application=application, indicator=indicators["CASES"], targets={"2": "12.50"})
    return application


def test_the_award_makes_the_planned_targets_the_grants(ranked_with_picks, indicators, officer):
    decision = award_decide(actor=officer, application=ranked_with_picks, outcome="award", justification="Ranked first")
    grant = decision.grant
    periods = {p.number: (p.start, p.end) for p in ResultPeriod.objects.filter(grant=grant)}
    assert periods == {1: (date(2027, 1, 1), date(2027, 12, 31)), 2: (date(2028, 1, 1), date(2028, 12, 31))}
    targets = {(t.period.number, t.indicator.code): t.target for t in IndicatorTarget.objects.filter(period__grant=grant)}
    assert targets == {(1, "VOT"): D("120.00"), (2, "VOT"): D("250.00"), (2, "CASES"): D("12.50")}
    # Audited: each period's targets by targets_set, and the copy with the application it came from.
    assert AuditEvent.objects.filter(verb="grant.result_targets", target_id=str(grant.pk)).count() == 2
    copied = AuditEvent.objects.get(verb="grant.logframe_targets")
    assert copied.actor == officer and copied.data["application"] == ranked_with_picks.reference
    assert copied.data["copied"] == {"1": {"VOT": "120.00"}, "2": {"VOT": "250.00", "CASES": "12.50"}}
    # The results dashboard's "achieved against target" reads them (nothing achieved yet).
    by_period = {(r.indicator.code, r.group["period"]): (r.achieved, r.target)
                 for r in achieved_vs_target(grant.call.programme, group_by=["period"])}
    assert by_period[("VOT", 1)] == (None, D("120.00")) and by_period[("VOT", 2)] == (None, D("250.00"))
    assert by_period[("CASES", 2)] == (None, D("12.50"))


def test_an_award_without_picks_writes_no_target(plan_call, officer):
    plan_call.reviewers_per_application = 1
    plan_call.save(update_fields=["reviewers_per_application"])
    _grid, crit = small_grid(plan_call)
    application = eligible_application(plan_call, requested="200000.00")
    Organisation.objects.filter(pk=application.organisation_id).update(verified_at=timezone.now())
    submitted_review(application, reviewer(), crit, {"a1": 5, "a2": 4, "b1": 4})
    decision = award_decide(actor=officer, application=application, outcome="award", justification="Ranked first")
    assert decision.grant is not None
    assert not IndicatorTarget.objects.exists() and not AuditEvent.objects.filter(verb="grant.logframe_targets").exists()


def test_reserve_and_rejection_copy_nothing(ranked_with_picks, officer):
    award_decide(actor=officer, application=ranked_with_picks, outcome="reserve", justification="Below the line")
    assert not IndicatorTarget.objects.exists()
    ranked_with_picks.refresh_from_db()
    assert ranked_with_picks.status == ApplicationStatus.RESERVE


def test_targets_of_periods_the_grant_no_longer_has_are_left_out_and_named(ranked_with_picks, officer):
    decision = award_decide(actor=officer, application=ranked_with_picks, outcome="award", justification="Ranked first")
    grant = decision.grant
    IndicatorTarget.objects.filter(period__grant=grant).delete()
    ResultPeriod.objects.filter(grant=grant).delete()
    # The officer shortened the draft agreement to one year: period 2 is gone.
    grant.end_date = date(2027, 12, 31)
    grant.save(update_fields=["end_date"])
    copied = logframe_targets_copy(actor=officer, application=ranked_with_picks, grant=grant)
    assert copied == {1: {"VOT": "120.00"}}
    assert {(t.period.number, t.indicator.code) for t in IndicatorTarget.objects.filter(period__grant=grant)} == {(1, "VOT")}
    event = AuditEvent.objects.filter(verb="grant.logframe_targets").latest("pk")
    assert sorted(event.data["dropped"]) == ["CASES@2", "VOT@2"]


def test_the_copy_is_an_award_hook_not_a_signal():
    """`award_decide` calls the hooks registered in `applications.award_hooks` (results registers `copy_on_award` in
    its AppConfig.ready); no receiver of the award decision's save is left."""
    from django.db.models.signals import post_save

    from applications.award_hooks import award_hooks, register_award_hook
    from applications.models import AwardDecision
    from results.logframe import copy_on_award

    assert copy_on_award in award_hooks()
    register_award_hook(copy_on_award)  # registering again does nothing
    assert award_hooks().count(copy_on_award) == 1
    assert not post_save.has_listeners(AwardDecision)
