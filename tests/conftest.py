import io
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.utils import timezone, translation

from accounts import roles as R
from accounts.models import MemberRole
from accounts.services import membership_set, role_grant

from .factories import CallFactory, EnvelopeFactory, OrganisationFactory, UserFactory


def pytest_sessionstart(session):
    """Pages in other languages need the compiled catalogues; `make` compiles them, a bare pytest run does here."""
    from core.catalogues import compile_if_stale

    compile_if_stale()


@pytest.fixture(autouse=True)
def _english_after_each_test():
    """A request leaves its language active in the thread (a server's next request activates its own); tests start
    each from English so one test's French or Arabic never reaches the next."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: a rolled-back test's ids come round again in the next one, so figures
    cached under them (the audit trail's latest id, a version number) could otherwise be read by another test."""
    cache.clear()


def make_user(*roles, **kwargs):
    user = UserFactory(**kwargs)
    for role in roles:
        role_grant(actor=None, user=user, role=role)
    return user


@pytest.fixture
def officer(db):
    return make_user(R.PROGRAMME_OFFICER)


@pytest.fixture
def finance(db):
    return make_user(R.FINANCE_OFFICER)


@pytest.fixture
def donor(db):
    return make_user(R.DONOR_OBSERVER)


@pytest.fixture
def reviewer(db):
    return make_user(R.REVIEWER)


@pytest.fixture
def administrator(db):
    return make_user(R.ADMINISTRATOR, is_staff=True)


@pytest.fixture
def organisation(db):
    return OrganisationFactory()


@pytest.fixture
def other_organisation(db):
    return OrganisationFactory(country="MA")


@pytest.fixture
def cso_user(organisation):
    user = make_user(R.APPLICANT, email_verified_at=timezone.now())
    membership_set(actor=None, organisation=organisation, user=user, role=MemberRole.ORG_ADMIN)
    return user


@pytest.fixture
def other_cso_user(other_organisation):
    user = make_user(R.APPLICANT, email_verified_at=timezone.now())
    membership_set(actor=None, organisation=other_organisation, user=user, role=MemberRole.ORG_ADMIN)
    return user


@pytest.fixture
def envelope(db):
    return EnvelopeFactory(amount=(Decimal("1000000.00"), "EUR"))


@pytest.fixture
def programme(envelope):
    return envelope.programme


@pytest.fixture
def call(programme):
    return CallFactory(programme=programme)


@pytest.fixture
def demo(db, settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=io.StringIO())


def login(client, user):
    client.force_login(user)
    return client
