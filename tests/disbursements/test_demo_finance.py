"""The demo's exchange differences and recovery order: the Niger grant reports in XOF, its pre-financing was
credited at the bank's rate below the InforEuro parity, so the dashboard shows a loss with no rate missing; the
Bishkek grant has a manual recovery order partly refunded. The envelope figures stay true; seeding again adds
nothing."""
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.models import User
from disbursements.exchange import exchange_differences
from disbursements.models import ExchangeRate
from disbursements.recovery.models import RecoveryOrder, RecoveryStatus, RecoverySettlement
from disbursements.recovery.services import outstanding_of
from grants.models import Grant, Programme

pytestmark = pytest.mark.django_db


def test_the_niger_grant_shows_an_exchange_loss_at_the_programme_rate(demo, client):
    niger = Grant.objects.get(organisation__acronym="RNPE")
    payment = niger.payments.get()
    assert niger.reporting_currency == "XOF" and payment.local_currency == "XOF"
    assert payment.local_amount == (payment.amount * Decimal("652.35")).quantize(Decimal("0.01"))
    assert ExchangeRate.objects.get(currency="XOF", month=payment.value_date.replace(day=1)).rate == Decimal("655.957")

    fx = exchange_differences(Programme.objects.get(code="GLOACT"))
    assert fx.applies and not fx.missing_rates and not fx.missing_local
    (line,) = fx.grants
    assert line.reference == niger.reference and line.gains == 0
    expected = ((payment.local_amount - payment.amount * Decimal("655.957")) / Decimal("655.957")).quantize(Decimal("0.01"))
    assert line.losses == fx.net == expected < 0

    client.force_login(User.objects.get(email="donor@demo.test"))
    page = client.get(reverse("envelope_dashboard")).content.decode()
    assert 'id="exchange"' in page and niger.reference in page


def test_the_bishkek_grant_has_a_recovery_order_partly_refunded(demo):
    order = RecoveryOrder.objects.get(grant__organisation__acronym="BSMC")
    assert order.status == RecoveryStatus.PARTLY_SETTLED and order.amount == Decimal("1250.00")
    assert outstanding_of(order) == Decimal("750.00")
    assert order.settlements.get().kind == "refund"


def test_seeding_again_adds_nothing_and_the_figures_stay_true(demo):
    rates = ExchangeRate.objects.count()
    call_command("seed_demo", stdout=io.StringIO())
    assert ExchangeRate.objects.count() == rates and RecoveryOrder.objects.count() == 1
    assert RecoverySettlement.objects.count() == 1
    call_command("check_figures", stdout=io.StringIO())
