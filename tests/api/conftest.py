"""Shared fixtures of the API tests: clients signed in per role (by session or by bearer token), and a small world
with two organisations' objects at every step (call, application, review, grant, tranches, reports)."""
import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import roles as R
from accounts.models import BankDetails
from api.authentication import token_hash
from api.models import ApiToken
from applications.models import Application, ApplicationStatus, Assignment, Review, ReviewStatus
from grants.models import CallStatus
from reports.models import Report, ReportStatus

from ..conftest import make_user
from ..factories import CallFactory, CountryFactory, ObjectiveFactory
from ..grant_helpers import signed_grant

SESSION, TOKEN = "session", "token"


def api_client(user=None, *, via=SESSION) -> APIClient:
    """A DRF client acting as `user`: signed in with a session, or sending `Authorization: Bearer <token>` for a
    fresh token of the user. Without a user, an anonymous client."""
    client = APIClient()
    if user is None:
        return client
    if via == SESSION:
        client.force_login(user)
    else:
        key = secrets.token_urlsafe(32)
        ApiToken.objects.create(user=user, name="tests", key_prefix=key[:8], key_hash=token_hash(key))
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


@pytest.fixture
def anonymous_api():
    return api_client()


@pytest.fixture
def cso_api(cso_user):
    return api_client(cso_user)


@pytest.fixture
def other_cso_api(other_cso_user):
    return api_client(other_cso_user, via=TOKEN)


@pytest.fixture
def officer_api(officer):
    return api_client(officer)


@pytest.fixture
def finance_api(finance):
    return api_client(finance, via=TOKEN)


@pytest.fixture
def donor_api(donor):
    return api_client(donor)


@pytest.fixture
def reviewer_api(reviewer):
    return api_client(reviewer, via=TOKEN)


@pytest.fixture
def administrator_api(administrator):
    return api_client(administrator, via=TOKEN)


def submitted_application(call, organisation, *, actor, number, status=ApplicationStatus.ELIGIBLE):
    """A submitted application straight on the model (the submission service is tested in tests/applications)."""
    return Application.objects.create(
        call=call, organisation=organisation, created_by=actor, submitted_by=actor, status=status,
        title=f"Application {number}", sequence=number, reference=f"{call.programme.code}-2026-{call.reference}-{number:04d}",
        submitted_at=timezone.now(), requested_amount=Decimal("100000.00"),
    )


def report(grant, period_number, *, submitted, final=False):
    """A report row of `grant`: a draft, or submitted today (the report services are tested in tests/reports)."""
    start = date(2026, 1, 1) + timedelta(days=90 * (period_number - 1))
    return Report.objects.create(
        grant=grant, period_number=period_number, is_final=final, period_start=start,
        period_end=start + timedelta(days=89), due_date=start + timedelta(days=150),
        status=ReportStatus.SUBMITTED if submitted else ReportStatus.DRAFT,
        submitted_at=timezone.now() if submitted else None,
    )


@dataclass
class World:
    """Objects of organisation A (`cso_user`'s) and B (`other_cso_user`'s), and what no one outside staff sees."""

    call: object
    draft_call: object
    organisation_a: object
    organisation_b: object
    application_a_draft: object
    application_b_submitted: object
    assignment: object
    grant_a: object
    grant_b: object
    tranche_a: object
    tranche_b: object
    report_a_draft: object
    report_a_submitted: object
    report_b_submitted: object


@pytest.fixture
def world(programme, organisation, other_organisation, cso_user, other_cso_user, reviewer):
    nepal = CountryFactory(code="NP", name="Nepal")
    objective = ObjectiveFactory(programme=programme, number=1)
    call = CallFactory(programme=programme, reference="A01")
    call.countries.set([nepal])
    call.objectives.set([objective])
    draft_call = CallFactory(programme=programme, reference="D01", status=CallStatus.DRAFT)
    application_a = Application.objects.create(call=call, organisation=organisation, created_by=cso_user, title="Draft of A")
    application_b = submitted_application(call, other_organisation, actor=other_cso_user, number=1)
    assignment = Assignment.objects.create(application=application_b, reviewer=reviewer)
    Review.objects.create(assignment=assignment, status=ReviewStatus.DRAFT)
    grant_a = signed_grant(call=call, organisation=organisation, allocate=True)
    grant_b = signed_grant(call=call, organisation=other_organisation, allocate=True)
    BankDetails.objects.create(
        organisation=organisation, account_holder="A", bank_name="Bank", iban="NP12 3456 7890 1234", currency="NPR",
    )
    return World(
        call=call, draft_call=draft_call, organisation_a=organisation, organisation_b=other_organisation,
        application_a_draft=application_a, application_b_submitted=application_b, assignment=assignment,
        grant_a=grant_a, grant_b=grant_b,
        tranche_a=grant_a.tranches.get(number=1), tranche_b=grant_b.tranches.get(number=1),
        report_a_draft=report(grant_a, 1, submitted=False), report_a_submitted=report(grant_a, 2, submitted=True),
        report_b_submitted=report(grant_b, 1, submitted=True),
    )


@pytest.fixture
def other_reviewer(db):
    """A reviewer with no assignment."""
    return make_user(R.REVIEWER)
