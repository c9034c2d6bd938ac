"""The staff audit log as a list (lists.listing): newest first, filtered by area of the application and period,
searched on the actor, the action and the object, exported with its filters.

The trail grows without end, so nothing on the page reads all of it: the areas are a fixed list (a test checks
every `audit_record` verb in the code belongs to one), and the count stops at COUNT_LIMIT."""
from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lists.listing import Column, Filter, ListSpec

from audit.models import AuditEvent, AuditEventQuerySet

LIST_NAME = "audit"
COUNT_LIMIT = 10_000

# The part of a verb before its dot ("ledger.commit" is in "ledger").
AREAS = (
    "agreement", "api_token", "application", "assignment", "assurance", "bank_details", "bulk", "calendar_feed",
    "call", "clarification", "conflict", "conversation", "due_diligence", "expenditure", "fx", "grant",
    "grant_request", "grid", "group", "invitation", "ledger", "membership", "notification", "organisation", "outbox",
    "panel", "payment", "programme", "recovery", "report", "review", "risk", "role", "sanctions", "saved_view",
    "signin", "two_factor", "user", "verification",
)
PERIODS = {
    "day": (_("Last 24 hours"), timedelta(days=1)),
    "week": (_("Last 7 days"), timedelta(days=7)),
    "month": (_("Last 30 days"), timedelta(days=30)),
    "year": (_("Last 365 days"), timedelta(days=365)),
}


class CappedCountQuerySet(AuditEventQuerySet):
    """Counts at most COUNT_LIMIT rows (a LIMIT inside the COUNT), so the pager never scans the whole trail."""

    def count(self):
        if self._result_cache is not None:
            return len(self._result_cache)
        return super(CappedCountQuerySet, self.order_by()[:COUNT_LIMIT]).count()


def audit_rows():
    return CappedCountQuerySet(model=AuditEvent).select_related("target_type")


def _object(event):
    return f"{event.target_type.name}: {event.target_repr}" if event.target_type else event.target_repr


def _since(queryset, period):
    return queryset.filter(created_at__gte=timezone.now() - PERIODS[period][1])


AUDIT_LIST = ListSpec(
    name=LIST_NAME,
    columns=(
        Column("time", _("Time (UTC)"), lambda e: e.created_at, kind="datetime", sort=("created_at",)),
        Column("actor", _("Who"), lambda e: e.actor_email or _("system"), sort=("actor_email",)),
        Column("action", _("Action"), lambda e: e.verb, sort=("verb",)),
        Column("object", _("Object"), _object),
        Column("amount", _("Amount"), lambda e: e.amount, kind="money"),
        Column("before", _("Before"), lambda e: e.amount_before, kind="money"),
        Column("after", _("After"), lambda e: e.amount_after, kind="money"),
        Column("currency", _("Currency"), lambda e: e.currency),
        Column("ip", _("IP address"), lambda e: e.ip_address or ""),
    ),
    filters=(
        Filter("area", _("Area"), lambda: [(area, f"{area}.*") for area in AREAS],
               lambda qs, v: qs.filter(verb__startswith=f"{v}.")),
        Filter("period", _("Period"), lambda: [(key, label) for key, (label, _delta) in PERIODS.items()], _since),
    ),
    search_fields=("actor_email", "verb", "target_repr"),
    search_label=_("Who, action or object"),
    default_sort="-time",
    tie_break=("-pk",),
)
