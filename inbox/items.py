"""What an inbox holds: work items grouped in one section per role, and the query helpers the role modules share."""
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.db.models import Count, IntegerField, Subquery, Value
from django.utils import timezone


@dataclass(frozen=True)
class Item:
    """One kind of work waiting: a sentence that already holds the count, the count itself, where to do the work,
    and the due date when there is one. `amount` (EUR) is shown beside the count when set."""

    text: str
    count: int
    url: str
    due: date | datetime | None = None
    overdue: bool = False
    amount: Decimal | None = None

    @property
    def due_day(self) -> date | None:
        """The due date as a day in the active time zone (deadlines are moments, reports are due on days)."""
        if isinstance(self.due, datetime):
            return timezone.localdate(self.due)
        return self.due


@dataclass(frozen=True)
class Section:
    role: str
    title: str
    items: list = field(default_factory=list)


class SubqueryCount(Subquery):
    """The number of rows of a correlated queryset, as an integer annotation (0 when none)."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) _inbox_count)"
    output_field = IntegerField()

    def __init__(self, queryset):
        super().__init__(queryset.order_by().values("pk"))


def counts(**querysets) -> dict[str, int]:
    """The number of rows of each queryset, under its name, in one query (their counts joined by UNION ALL)."""
    first, *rest = (
        queryset.order_by().annotate(inbox_count_of=Value(name)).values("inbox_count_of")
        .annotate(n=Count("pk")).values_list("inbox_count_of", "n")
        for name, queryset in querysets.items()
    )
    return dict(first.union(*rest, all=True))
