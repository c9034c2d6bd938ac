"""Eight requests making a person's calendar feed at once, on PostgreSQL with real transactions: they queue on the
person's row, each replaces the one before, and one feed stays active (the partial unique index backs it)."""
import pytest
from django.db import connection

from agenda.models import CalendarFeed
from agenda.services import feed_create
from audit.models import AuditEvent
from tests.api.test_idempotency_concurrency import race

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: SQLite has no concurrent writers"),
]


def test_feeds_made_at_once_leave_one_active(cso_user):
    results = race([lambda: feed_create(actor=cso_user)] * 8)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert CalendarFeed.objects.filter(user=cso_user).count() == 8
    assert CalendarFeed.objects.filter(user=cso_user, revoked_at__isnull=True).count() == 1
    assert AuditEvent.objects.filter(verb="calendar_feed.create").count() == 8
    assert AuditEvent.objects.filter(verb="calendar_feed.revoke").count() == 7
