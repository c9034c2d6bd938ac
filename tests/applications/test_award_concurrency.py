"""Concurrent award confirmations on PostgreSQL never commit more than the call allocation or the envelope."""
import threading
from decimal import Decimal

import pytest
from django.db import connection, connections
from django.utils import timezone

from accounts.models import Organisation
from applications.awards import award_decide
from applications.models import ApplicationStatus, AwardDecision
from core.errors import DomainError
from grants import ledger
from grants.ledger import balances

from accounts import roles as R

from ..conftest import make_user
from ..factories import CallFactory, EnvelopeFactory
from .review_helpers import eligible_application, reviewer, small_grid, submitted_review

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite has no row locks and serialises whole-database writes")


def scored_applications(call, n, requested):
    _, crit = small_grid(call)
    apps = []
    for _ in range(n):
        app = eligible_application(call, requested=requested)
        Organisation.objects.filter(pk=app.organisation_id).update(verified_at=timezone.now())
        submitted_review(app, reviewer(), crit, {"a1": 4, "a2": 4, "b1": 4})
        apps.append(app)
    return apps


def confirm_all(apps):
    officer = make_user(R.PROGRAMME_OFFICER)
    barrier = threading.Barrier(len(apps))
    outcomes = []

    def run(app):
        try:
            barrier.wait(timeout=30)
            award_decide(actor=officer, application=app, outcome="award", justification="Concurrent confirmation")
            outcomes.append("awarded")
        except DomainError as exc:
            outcomes.append(exc.code)
        except Exception as exc:  # anything else is a bug: make the test show it
            outcomes.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(a,)) for a in apps]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return outcomes


def test_racing_confirmations_stay_within_the_call_allocation():
    envelope = EnvelopeFactory(amount=(Decimal("10000000.00"), "EUR"))
    call = CallFactory(programme=envelope.programme)
    ledger.allocation_add(actor=None, call=call, amount="1000000.00")
    apps = scored_applications(call, 20, "150000.00")  # 20 x 150,000 asked of 1,000,000: 6 fit

    outcomes = confirm_all(apps)

    assert outcomes.count("awarded") == 6 and outcomes.count("exceeds_call_allocation") == 14
    assert balances(call=call).committed == Decimal("900000.00")
    assert AwardDecision.objects.filter(application__call=call).count() == 6
    assert sum(1 for a in apps if type(a).objects.get(pk=a.pk).status == ApplicationStatus.AWARDED) == 6


def test_racing_confirmations_across_calls_stay_within_the_envelope():
    envelope = EnvelopeFactory(amount=(Decimal("1000000.00"), "EUR"))
    calls = [CallFactory(programme=envelope.programme) for _ in range(2)]
    for call in calls:
        ledger.allocation_add(actor=None, call=call, amount="500000.00")
    apps = scored_applications(calls[0], 8, "100000.00") + scored_applications(calls[1], 8, "100000.00")

    outcomes = confirm_all(apps)

    assert outcomes.count("awarded") == 10
    assert balances(envelope=envelope).committed == Decimal("1000000.00")
    for call in calls:
        assert balances(call=call).committed == Decimal("500000.00")
