"""A donor observer's inbox: what changed since the visit before this one, remembered on InboxVisit."""
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts import roles as R
from disbursements.models import Payment
from disbursements.services import payment_record
from grants.models import Grant
from inbox.models import InboxVisit
from inbox.services import SAME_VISIT, visit_record
from reports.models import Report, ReportStatus

from ..grant_helpers import awarded_grant, signed_grant
from .builders import items_of, queries_of, report

pytestmark = pytest.mark.django_db


def _pay(grant, finance, ref):
    return payment_record(actor=finance, tranche=grant.tranches.get(number=1), amount=Decimal("1000.00"),
                          value_date=timezone.localdate(), bank_reference=ref)


def test_changes_since_the_previous_visit(client, donor, programme, finance):
    grant = signed_grant(programme=programme, amount="100000.00")
    _pay(grant, finance, "B-1")
    approved = report(grant, status=ReportStatus.APPROVED)
    Report.objects.filter(pk=approved.pk).update(approved_at=timezone.now())

    client.force_login(donor)
    body = client.get("/").content.decode()  # first visit: the last 30 days
    assert "1 grant awarded since your last visit" in body and "€100,000.00" in body
    assert "1 payment made since your last visit" in body and "1 report approved since your last visit" in body
    visit = InboxVisit.objects.get(user=donor)
    assert visit.previous_at is None

    # Two hours later the donor comes back: only what happened in between is listed.
    earlier = timezone.now() - 2 * SAME_VISIT
    InboxVisit.objects.filter(pk=visit.pk).update(seen_at=earlier)
    Grant.objects.update(created_at=earlier - timedelta(minutes=1))
    Report.objects.update(approved_at=earlier - timedelta(minutes=1))
    Payment.objects.update(recorded_at=earlier - timedelta(minutes=1))
    _pay(grant, finance, "B-2")
    body = client.get("/").content.decode()
    assert "1 payment made since your last visit" in body
    assert "grant awarded" not in body and "report approved" not in body
    visit.refresh_from_db()
    assert visit.previous_at == earlier

    # Reloading within the same visit keeps the list.
    assert "1 payment made since your last visit" in client.get("/").content.decode()


def test_visit_record_rolls_over_only_after_a_pause(donor):
    now = timezone.now()
    first = visit_record(actor=donor, now=now)
    assert (first.seen_at, first.previous_at) == (now, None)
    again = visit_record(actor=donor, now=now + timedelta(minutes=5))
    assert again.previous_at is None
    later = visit_record(actor=donor, now=now + timedelta(hours=3))
    assert later.previous_at == now + timedelta(minutes=5)


def test_nothing_new(donor):
    assert items_of(donor, R.DONOR_OBSERVER, since=timezone.now()) == []


def test_queries_do_not_grow_with_rows(donor, programme, finance):
    grant = signed_grant(programme=programme, amount="100000.00")

    def add(n):
        for _ in range(n):
            k = next(numbers)
            awarded_grant(call=grant.call, amount="1000.00")
            _pay(grant, finance, f"Q-{k}")

    numbers = iter(range(100))
    since = timezone.now() - timedelta(days=1)
    add(5)
    few, _items = queries_of(donor, R.DONOR_OBSERVER, since=since)
    add(45)
    many, items = queries_of(donor, R.DONOR_OBSERVER, since=since)
    assert [item.count for item in items_of(donor, R.DONOR_OBSERVER, since=since)] == [51, 50]
    assert few == many <= 5
