"""The applicant's dashboard and the officer's screening list cost the same queries for 5 or 50 applications."""
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import MemberRole
from accounts.services import membership_set
from applications import services

from ..conftest import make_user
from ..factories import CallFactory, OrganisationFactory
from .helpers import complete_draft


def _count(client, url):
    client.get(url)  # warm per-process caches (content types, session) so only the page itself is counted
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _submitted_applications(call, n, start):
    for i in range(start, start + n):
        organisation = OrganisationFactory(registration_number=f"QC-{i}")
        user = make_user()
        membership_set(actor=None, organisation=organisation, user=user, role=MemberRole.EDITOR)
        services.application_submit(actor=user, application=complete_draft(actor=user, call=call, organisation=organisation))


def test_screening_list_is_constant(client, officer, open_call):
    client.force_login(officer)
    _submitted_applications(open_call, 5, 0)
    few = _count(client, f"/screening/calls/{open_call.pk}/")
    _submitted_applications(open_call, 45, 5)
    many = _count(client, f"/screening/calls/{open_call.pk}/")
    assert few == many <= 12, (few, many)


def test_applicant_dashboard_is_constant(client, cso_user, organisation, programme, open_call):
    """One organisation applying to many calls: the dashboard does not grow with them."""
    client.force_login(cso_user)

    def apply_to(n):
        for _ in range(n):
            call = CallFactory(programme=programme)
            call.objectives.set(open_call.objectives.all())
            call.countries.set(open_call.countries.all())
            services.application_start(actor=cso_user, call=call, organisation=organisation)

    apply_to(5)
    few = _count(client, "/applications/")
    apply_to(45)
    many = _count(client, "/applications/")
    assert few == many <= 12, (few, many)


def test_screening_overview_is_constant(client, officer, programme, open_call):
    client.force_login(officer)
    _submitted_applications(open_call, 3, 100)
    CallFactory.create_batch(5, programme=programme)
    few = _count(client, "/screening/")
    CallFactory.create_batch(45, programme=programme)
    assert _count(client, "/screening/") == few
