"""Each API list costs a fixed number of queries, whatever the number of rows it shows."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import BankDetails
from applications.models import Assignment, Review, ReviewStatus, Score

from ..applications.review_helpers import eligible_application, small_grid
from ..factories import CallFactory, OrganisationFactory
from ..grant_helpers import signed_grant
from .conftest import api_client, report


def _queries(client, url):
    """Queries of one request, after a first one has warmed the process-wide caches (content types)."""
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content
    assert response.json()["results"]
    return len(ctx.captured_queries)


def _grants(world, n):
    for _ in range(n):
        grant = signed_grant(call=world.call, organisation=world.organisation_a, amount="20000.00")
        report(grant, 1, submitted=True)


def _organisations(world, n):
    for _ in range(n):
        organisation = OrganisationFactory()
        BankDetails.objects.create(organisation=organisation, account_holder="X", bank_name="B", iban="DE0012345678")


def _calls(world, n):
    for _ in range(n):
        call = CallFactory(programme=world.call.programme)
        call.countries.set(world.call.countries.all())
        call.objectives.set(world.call.objectives.all())


def _applications(world, n):
    for _ in range(n):
        eligible_application(CallFactory(programme=world.call.programme))


def _reviews(world, n, reviewer):
    _grid, crit = small_grid(world.call)
    for _ in range(n):
        assignment = Assignment.objects.create(application=eligible_application(world.call), reviewer=reviewer)
        review = Review.objects.create(assignment=assignment, status=ReviewStatus.SUBMITTED, submitted_at=timezone.now())
        for criterion in crit.values():
            Score.objects.create(review=review, criterion=criterion, value=3)


@pytest.mark.parametrize("url, grow", [
    ("/api/v1/calls/", _calls),
    ("/api/v1/organisations/", _organisations),
    ("/api/v1/applications/", _applications),
    ("/api/v1/grants/", _grants),
    ("/api/v1/tranches/", _grants),
    ("/api/v1/tranches/?state=waiting", _grants),
    ("/api/v1/reports/", _grants),
])
def test_staff_lists(world, finance, url, grow):
    client = api_client(finance)
    few = _queries(client, url)
    grow(world, 12)
    assert _queries(client, url) == few


def test_member_lists(world, cso_user):
    client = api_client(cso_user)
    urls = ["/api/v1/organisations/", "/api/v1/grants/", "/api/v1/tranches/", "/api/v1/reports/", "/api/v1/applications/"]
    few = [_queries(client, url) for url in urls]
    _grants(world, 12)
    assert [_queries(client, url) for url in urls] == few


def test_review_lists(world, reviewer, officer):
    reviewer_client, officer_client = api_client(reviewer), api_client(officer)
    few = (_queries(reviewer_client, "/api/v1/reviews/"), _queries(officer_client, "/api/v1/reviews/"))
    _reviews(world, 12, reviewer)
    assert (_queries(reviewer_client, "/api/v1/reviews/"), _queries(officer_client, "/api/v1/reviews/")) == few


def test_envelope(world, officer, programme):
    """Computed from the rows (the cache emptied first) in as many queries for 12 more calls."""
    from django.core.cache import cache

    client = api_client(officer)
    cache.clear()
    with CaptureQueriesContext(connection) as few:
        assert client.get("/api/v1/envelope/").status_code == 200
    _calls(world, 12)
    cache.clear()
    with CaptureQueriesContext(connection) as many:
        assert client.get("/api/v1/envelope/").status_code == 200
    assert len(few.captured_queries) == len(many.captured_queries)
