"""Eight requests making a person's calendar feed at once, on PostgreSQL with real transactions: they queue on the
person's row, each replaces the one before, and one feed stays active (the partial unique index backs it)."""
from agenda.models import CalendarFeed
from agenda.services import feed_create
from audit.models import AuditEvent
from tests.concurrency import RACE_MARKS, race_split

pytestmark = RACE_MARKS


def test_feeds_made_at_once_leave_one_active(cso_user):
    race_split([lambda: feed_create(actor=cso_user)] * 8, refused=())  # any error fails the test
    assert CalendarFeed.objects.filter(user=cso_user).count() == 8
    assert CalendarFeed.objects.filter(user=cso_user, revoked_at__isnull=True).count() == 1
    assert AuditEvent.objects.filter(verb="calendar_feed.create").count() == 8
    assert AuditEvent.objects.filter(verb="calendar_feed.revoke").count() == 7
