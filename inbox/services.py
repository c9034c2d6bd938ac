"""The one change the inbox makes: remembering a person's visits to their home page."""
from datetime import timedelta

from django.db import transaction

from .models import InboxVisit

# Opening home again within this time is the same visit, so reloading the page keeps showing what changed.
SAME_VISIT = timedelta(hours=1)


def visit_record(*, actor, now) -> InboxVisit:
    """Mark that `actor` opened home at `now`; a visit after a pause moves the last one to `previous_at`.

    Not audited: it records when a person looked, not a change to the programme, and an audit event per page view
    would also renew `audit.selectors.data_version` and so every generated file."""
    with transaction.atomic():
        visit, created = InboxVisit.objects.select_for_update().get_or_create(
            user=actor, defaults={"seen_at": now, "previous_at": None},
        )
        if created:
            return visit
        if now - visit.seen_at >= SAME_VISIT:
            visit.previous_at = visit.seen_at
        visit.seen_at = now
        visit.save(update_fields=["seen_at", "previous_at"])
    return visit
