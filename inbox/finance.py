"""The finance officer's work: tranches payable now (disbursements.schedule's payability) and the exchange-rate
months that reports waiting to be submitted need. Payments have no state to confirm: a recorded payment stands
until it is reversed, which corrects a mistake rather than answering a request, so there is no item for it.
Eight queries whatever the numbers of grants and reports."""
from collections import defaultdict

from django.db.models import Count, Sum
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.http import urlencode
from django.utils.translation import ngettext

from core.money import EUR, ZERO
from disbursements.fx import months_needed
from disbursements.models import ExchangeRate
from disbursements.payment.selectors import payment_queue
from disbursements.recovery.models import OUTSTANDING_STATUSES
from disbursements.recovery.order_list import OVERDUE
from disbursements.recovery.selectors import orders_readable_by, with_outstanding
from disbursements.requests.selectors import pending_payment_requests
from reports.models import ReportStatus, ReportVersion

from .items import Item


def _payable_items(user):
    rows = payment_queue(user).payable
    if not rows:
        return []
    total = sum((row.state.payable for row in rows), ZERO)
    n = len(rows)
    return [Item(ngettext("%(n)s tranche may be paid now", "%(n)s tranches may be paid now", n) % {"n": n},
                 n, reverse("payment_queue"), amount=total)]


def missing_rate_months(today):
    """{(currency, month): reports needing it} for the drafts in a currency other than EUR whose period has ended:
    the months their submission will convert with and the rate table does not hold yet."""
    drafts = (
        ReportVersion.objects.filter(status=ReportStatus.DRAFT, report__period_end__lt=today)
        .exclude(currency=EUR)
        .values_list("currency", "report__period_start", "report__period_end", "report__grant__call__programme__fx_basis")
    )
    needed = defaultdict(int)
    for currency, start, end, basis in drafts:
        for month in months_needed(basis=basis, month=end, period=(start, end)):
            needed[(currency.upper(), month)] += 1
    if not needed:
        return {}
    held = set(
        ExchangeRate.objects.filter(currency__in={c for c, _m in needed}, month__in={m for _c, m in needed})
        .values_list("currency", "month")
    )
    return {key: n for key, n in sorted(needed.items()) if key not in held}


def _rate_items(today):
    url = reverse("fx_rates")
    return [
        Item(ngettext("No %(currency)s rate for %(month)s: %(n)s report needs it",
                      "No %(currency)s rate for %(month)s: %(n)s reports need it", n)
             % {"currency": currency, "month": date_format(month, "YEAR_MONTH_FORMAT"), "n": n}, n, url)
        for (currency, month), n in missing_rate_months(today).items()
    ]


def _request_items():
    """Payment requests from grantees: to decide, and approved ones to pay (one query)."""
    counts = pending_payment_requests()
    url = reverse("grant_request_list") + "?kind=payment"
    items = []
    if n := counts.get("submitted", 0):
        items.append(Item(ngettext("%(n)s payment request to decide", "%(n)s payment requests to decide", n) % {"n": n}, n, url))
    if n := counts.get("approved", 0):
        items.append(Item(ngettext("%(n)s approved payment request to pay", "%(n)s approved payment requests to pay", n) % {"n": n}, n, url))
    return items


def _recovery_items(user, today):
    """Recovery orders still open (or partly settled) after their due date, with what is outstanding (one query)."""
    overdue = with_outstanding(
        orders_readable_by(user).filter(status__in=OUTSTANDING_STATUSES, due_date__lt=today)
    ).aggregate(n=Count("pk"), outstanding=Sum("outstanding_amount"))
    if not (n := overdue["n"]):
        return []
    return [Item(ngettext("%(n)s recovery order is past its due date", "%(n)s recovery orders are past their due date", n)
                 % {"n": n}, n, f"{reverse('recovery_list')}?{urlencode({'due': OVERDUE})}", overdue=True,
                 amount=overdue["outstanding"])]


def finance_items(user, now, today):
    return _payable_items(user) + _request_items() + _recovery_items(user, today) + _rate_items(today)
