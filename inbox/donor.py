"""A donor observer's inbox: what changed since their previous visit (awards decided, payments made, reports
approved). Three grouped queries."""
from django.db.models import Count, Sum
from django.urls import reverse
from django.utils.translation import ngettext

from core.money import round_money
from disbursements.models import Payment
from grants.models import Grant
from reports.models import Report, ReportStatus

from .items import Item


def donor_items(user, since):
    """Changes after `since` (a moment; the caller picks one for a first visit)."""
    # Each award creates its grant (applications.awards.award_decide), so a new grant is a new award.
    awards = Grant.objects.filter(created_at__gt=since).aggregate(n=Count("pk"), total=Sum("amount"))
    paid = Payment.objects.filter(recorded_at__gt=since, reversal_entry__isnull=True).aggregate(n=Count("pk"), total=Sum("amount"))
    approved = Report.objects.filter(status=ReportStatus.APPROVED, approved_at__gt=since).count()
    items = []
    if n := awards["n"]:
        items.append(Item(ngettext("%(n)s grant awarded since your last visit", "%(n)s grants awarded since your last visit", n)
                          % {"n": n}, n, reverse("grant_list"), amount=round_money(awards["total"])))
    if n := paid["n"]:
        items.append(Item(ngettext("%(n)s payment made since your last visit", "%(n)s payments made since your last visit", n)
                          % {"n": n}, n, reverse("payment_queue"), amount=round_money(paid["total"])))
    if approved:
        items.append(Item(ngettext("%(n)s report approved since your last visit", "%(n)s reports approved since your last visit",
                                   approved) % {"n": approved}, approved, reverse("report_queue")))
    return items
