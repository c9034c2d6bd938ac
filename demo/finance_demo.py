"""Exchange rates and a recovery order in the demo:

- the programme's monthly XOF rate, from InforEuro, for every month since the Niger grant (which reports in CFA
  francs) started: the fixed parity, 655.957 XOF to the euro. Its pre-financing was credited at the bank's buying
  rate, so the envelope dashboard's "Exchange differences" shows a loss, and the grant's payment table the
  programme rate and the difference. No month is left without a rate: a programme keeps its table complete, and
  the list of missing rates has its own tests;
- a recovery order issued by finance on the Bishkek grant: its pre-financing transfer included the bank charges
  the programme's bank had already paid (a duplicate payment); the grantee has refunded part of it, the rest is
  outstanding.

Idempotent: a rate already recorded is left as it is, and the order is issued only when the Bishkek grant has none.
"""
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from accounts.models import User
from disbursements.fx import fx_rate_set
from disbursements.models import ExchangeRate
from disbursements.recovery.models import RecoveryOrder
from disbursements.recovery.services import recovery_order_issue, recovery_refund_record
from grants.models import Grant, Programme
from grants.periods import add_months

XOF_PARITY = Decimal("655.957")
RECOVERY = Decimal("1250.00")
REFUNDED = Decimal("500.00")


def seed_finance(*, programme_code="GLOACT", say=lambda text: None):
    programme = Programme.objects.filter(code=programme_code).first()
    if programme is None:
        return
    finance = User.objects.get(email="finance@demo.test")
    grants = {g.organisation.acronym: g for g in Grant.objects.filter(call__programme=programme).select_related("organisation")}
    today = timezone.localdate()

    niger = grants.get("RNPE")
    if niger is not None and niger.reporting_currency == "XOF":
        month, recorded = niger.start_date.replace(day=1), set(ExchangeRate.objects.filter(currency="XOF").values_list("month", flat=True))
        added = 0
        while month <= today:
            if month not in recorded:
                fx_rate_set(actor=finance, currency="XOF", month=month, rate=XOF_PARITY, source="InforEuro")
                added += 1
            month = add_months(month, 1)
        if added:
            say(f"recorded {added} monthly XOF rates (InforEuro): the Niger grant's pre-financing shows an exchange loss")

    bishkek = grants.get("BSMC")
    if bishkek is not None and bishkek.payments.exists() and not RecoveryOrder.objects.filter(grant=bishkek).exists():
        order = recovery_order_issue(
            actor=finance, grant=bishkek, amount=RECOVERY, due_date=today + timedelta(days=30),
            reason="Duplicate payment: the pre-financing transfer included EUR 1,250.00 for the grantee's bank "
                   "charges, which the programme's bank had already paid to the grantee's bank.",
        )
        recovery_refund_record(actor=finance, order=order, amount=REFUNDED, value_date=today,
                               bank_reference=f"DEMO-{bishkek.reference}-R1")
        say(f"issued recovery order {order.reference} of EUR {RECOVERY:,.2f} on the Bishkek grant, EUR {REFUNDED:,.2f} refunded")
