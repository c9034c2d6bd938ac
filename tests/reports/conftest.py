from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts import roles as R
from accounts.models import MemberRole
from accounts.services import membership_set
from applications.models import Application, AwardDecision, LogframeRow

from ..conftest import make_user
from ..grant_helpers import signed_grant

ROWS = [
    {"level": "outcome", "statement": "Child victims recover", "indicator": "Children reintegrated", "baseline": Decimal("0"), "target": Decimal("150")},
    {"level": "output", "statement": "Shelter places", "indicator": "Places", "baseline": Decimal("10"), "target": Decimal("40")},
]


def with_logframe(grant, actor):
    """Link the grant to an awarded application with two logframe rows, as award_decide leaves it."""
    application = Application.objects.create(call=grant.call, organisation=grant.organisation, title=grant.title, created_by=actor)
    for i, row in enumerate(ROWS):
        LogframeRow.objects.create(application=application, position=i, **row)
    AwardDecision.objects.create(
        application=application, outcome="award", amount=grant.amount, justification="Ranked first.", decided_by=actor,
        decided_at=timezone.now(), grant=grant,
    )
    return grant


def member(organisation, role):
    user = make_user(R.APPLICANT, email_verified_at=timezone.now())
    membership_set(actor=None, organisation=organisation, user=user, role=role)
    return user


@pytest.fixture
def grant(call, organisation, officer):
    """A signed 36-month EUR 300,000 grant of `organisation`: periods 2026, 2027 and the final one, 2028."""
    grant = signed_grant(amount="300000.00", start=date(2026, 1, 1), end=date(2028, 12, 31), call=call, organisation=organisation)
    return with_logframe(grant, officer)


@pytest.fixture
def editor(organisation):
    return member(organisation, MemberRole.EDITOR)


@pytest.fixture
def viewer(organisation):
    return member(organisation, MemberRole.VIEWER)
