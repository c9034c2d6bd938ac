"""The grantee's entry of indicator values per period and the officer's review: saving cells and totals, a refused
total keeping what was typed, "not collected" against 0, who may use each page, sending back and resubmitting,
queries."""
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from lxml import html

from accounts.models import MemberRole
from accounts.services import membership_set
from audit.models import AuditEvent
from notifications.models import Notification
from results.models import IndicatorValue, ReviewStatus
from results.services import default_dimensions, indicator_create
from tests.conftest import make_user
from tests.grant_helpers import signed_grant

from .conftest import titles

CELLS = ["sex=female|age=0-11", "sex=female|age=12-17", "sex=female|age=18+",
         "sex=male|age=0-11", "sex=male|age=12-17", "sex=male|age=18+"]


@pytest.fixture
def grant(organisation):
    return signed_grant(organisation=organisation)


@pytest.fixture
def indicators(grant, officer):
    programme = grant.call.programme
    dimensions = {d.code: d for d in default_dimensions(programme)}
    people = indicator_create(actor=officer, programme=programme, code="P1", titles=titles("People assisted"),
                              dimensions=[dimensions["sex"], dimensions["age"]], counts_people=True)
    trained = indicator_create(actor=officer, programme=programme, code="T1", titles=titles("Officers trained"))
    return {"people": people, "trained": trained}


def url(grant, number=1):
    return f"/grants/{grant.reference}/results/{number}/"


def review_url(grant, number=1):
    return f"/results/review/{grant.reference}/{number}/"


def entry_data(indicator, cells=(), total=""):
    data = {f"i{indicator.pk}-c{n}": v for n, v in enumerate(cells)}
    data[f"i{indicator.pk}-total"] = total
    return data


def stored(grant, indicator):
    value = IndicatorValue.objects.get(period__grant=grant, period__number=1, indicator=indicator)
    return value, {c.key: c.amount for c in value.cells.all()}


def test_the_grantee_saves_a_period_with_cells_and_totals(client, cso_user, grant, indicators):
    client.force_login(cso_user)
    page = client.get(url(grant))
    assert page.status_code == 200 and "People assisted" in page.content.decode()
    data = {**entry_data(indicators["people"], ["2", "12", "", "0", "9", ""], "30"),
            **entry_data(indicators["trained"], total="25")}
    response = client.post(url(grant), data)
    assert response.status_code == 302
    people, cells = stored(grant, indicators["people"])
    assert people.total == 30 and people.review_status == ReviewStatus.SUBMITTED and people.recorded_by == cso_user
    # An empty box is "not collected" (null), 0 is zero.
    assert cells == dict(zip(CELLS, [2, 12, None, 0, 9, None], strict=True))
    assert cells["sex=male|age=0-11"] == Decimal(0) and cells["sex=female|age=18+"] is None
    assert stored(grant, indicators["trained"])[0].total == 25
    assert AuditEvent.objects.filter(verb="grant.result_values").exists()
    # The grant page's results section links each period's entry; the programme's grant page, its review.
    assert f'href="{url(grant)}"' in client.get(f"/my/grants/{grant.reference}/").content.decode()
    client.force_login(make_user("programme_officer"))
    staff_page = client.get(f"/grants/{grant.reference}/").content.decode()
    assert f'href="{review_url(grant)}"' in staff_page and f'href="{url(grant)}"' not in staff_page


def test_a_total_below_its_cells_is_refused_on_the_page_keeping_what_was_typed(client, cso_user, grant, indicators):
    client.force_login(cso_user)
    response = client.post(url(grant), entry_data(indicators["people"], ["2", "12", "30", "0", "9", "21"], "70"))
    assert response.status_code == 400
    body = response.content.decode()
    assert "P1: the total (70) is not the sum of its cells (74)." in body
    tree = html.fromstring(body)
    assert tree.get_element_by_id(f"id_i{indicators['people'].pk}-c2").get("value") == "30"
    assert tree.get_element_by_id(f"id_i{indicators['people'].pk}-total").get("value") == "70"
    assert not IndicatorValue.objects.exists()


def test_another_organisations_member_gets_404_and_staff_donors_reviewers_403(
    client, grant, indicators, other_cso_user, officer, donor, reviewer, organisation,
):
    client.force_login(other_cso_user)
    assert client.get(url(grant)).status_code == 404
    for user in (officer, donor, reviewer):
        client.force_login(user)
        assert client.get(url(grant)).status_code == 403
    viewer = make_user()
    membership_set(actor=None, organisation=organisation, user=viewer, role=MemberRole.VIEWER)
    client.force_login(viewer)
    assert client.post(url(grant), entry_data(indicators["trained"], total="1")).status_code == 403
    assert not IndicatorValue.objects.exists()


def test_a_period_the_grant_does_not_have_is_404(client, cso_user, grant, indicators):
    client.force_login(cso_user)
    for number in (99, 10**18 - 1):
        assert client.get(url(grant, number)).status_code == 404


def test_the_review_page_is_for_officers_and_administrators(
    client, cso_user, grant, indicators, donor, reviewer, finance, administrator,
):
    client.force_login(cso_user)
    client.post(url(grant), entry_data(indicators["trained"], total="3"))
    for user in (cso_user, donor, reviewer, finance):
        client.force_login(user)
        assert client.get(review_url(grant)).status_code == 403
    client.force_login(administrator)
    assert client.get(review_url(grant)).status_code == 200
    assert client.get(review_url(grant, 2)).status_code == 404


def test_the_officer_accepts_one_returns_one_and_the_grantee_resubmits(client, cso_user, officer, grant, indicators):
    people, trained = indicators["people"], indicators["trained"]
    client.force_login(cso_user)
    client.post(url(grant), {**entry_data(people, ["1", "2", "3", "4", "5", "6"]), **entry_data(trained, total="25")})
    people_value, trained_value = stored(grant, people)[0], stored(grant, trained)[0]
    assert people_value.total == 21  # an empty total takes the sum of a complete set of cells

    client.force_login(officer)
    page = client.get(review_url(grant)).content.decode()
    assert "People assisted" in page and "Officers trained" in page
    refused = client.post(review_url(grant), {"value": trained_value.pk, "action": "return", f"v{trained_value.pk}-comment": " "})
    assert refused.status_code == 400 and "Say what the grantee should correct." in refused.content.decode()
    assert client.post(review_url(grant), {"value": people_value.pk, "action": "accept"}).status_code == 302
    assert client.post(review_url(grant), {"value": trained_value.pk, "action": "return",
                                           f"v{trained_value.pk}-comment": "Count only this year's trainees."}).status_code == 302
    people_value.refresh_from_db()
    trained_value.refresh_from_db()
    assert (people_value.review_status, trained_value.review_status) == (ReviewStatus.ACCEPTED, ReviewStatus.RETURNED)
    assert trained_value.reviewed_by == officer and trained_value.reviewed_at is not None
    assert AuditEvent.objects.filter(verb="grant.result_value_review").count() == 2
    # The grantee is told that a value was sent back (and nothing of the accepted one).
    told = Notification.objects.get(recipient=cso_user, kind="result_returned")
    assert told.url == url(grant) and told.params["indicator"] == "T1"
    # A reviewed value is not reviewed again until it is resubmitted.
    assert client.post(review_url(grant), {"value": people_value.pk, "action": "return",
                                           f"v{people_value.pk}-comment": "x"}).status_code == 400

    client.force_login(cso_user)
    tree = html.fromstring(client.get(url(grant)).content.decode())
    assert "Count only this year's trainees." in tree.get_element_by_id("indicator-T1").text_content()
    # The accepted value is shown, not edited.
    assert not tree.xpath(f"//input[@name='i{people.pk}-total']")
    assert client.post(url(grant), entry_data(trained, total="20")).status_code == 302
    trained_value.refresh_from_db()
    assert (trained_value.total, trained_value.review_status) == (20, ReviewStatus.SUBMITTED)
    assert stored(grant, people)[0].review_status == ReviewStatus.ACCEPTED


def _count(client, user, path):
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


def test_both_pages_cost_the_same_queries_for_few_and_many_indicators(client, cso_user, officer, grant, indicators):
    programme = grant.call.programme
    dimensions = {d.code: d for d in default_dimensions(programme)}

    def submit_all():
        client.force_login(cso_user)
        data = {}
        for value_indicator in programme.standard_indicators.all():
            data.update(entry_data(value_indicator, total="1") if not value_indicator.dimensions.exists()
                        else entry_data(value_indicator, ["1"] * 6))
        assert client.post(url(grant), data).status_code == 302

    submit_all()
    few = _count(client, cso_user, url(grant)), _count(client, officer, review_url(grant))
    for n in range(8):
        indicator_create(actor=officer, programme=programme, code=f"X{n}", titles=titles(f"Extra {n}"),
                         dimensions=[dimensions["sex"], dimensions["age"]] if n % 2 else [])
    submit_all()
    assert (_count(client, cso_user, url(grant)), _count(client, officer, review_url(grant))) == few


def test_unreadable_numbers_and_part_people_are_refused_keeping_the_draft(client, cso_user, grant, indicators):
    client.force_login(cso_user)
    people = indicators["people"]
    response = client.post(url(grant), entry_data(people, ["abc", "1"]))
    assert response.status_code == 400 and "Nothing was saved yet" in response.content.decode()
    assert html.fromstring(response.content.decode()).get_element_by_id(f"id_i{people.pk}-c0").get("value") == "abc"
    response = client.post(url(grant), entry_data(people, ["2.5"]))
    assert response.status_code == 400 and "P1: enter a whole number of people, 0 or more." in response.content.decode()
    assert not IndicatorValue.objects.exists()
