"""Exchange rates: the monthly table, conversion with the stored rate and month, and clear refusals."""
import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from audit.models import AuditEvent
from disbursements.fx import FxError, convert_to_eur, fx_rate_set
from disbursements.models import ExchangeRate

D = Decimal


@pytest.fixture
def npr_rates(db):
    fx_rate_set(actor=None, currency="NPR", month="2027-01", rate="143.250000", source="InforEuro")
    fx_rate_set(actor=None, currency="NPR", month="2027-02", rate="145.750000", source="InforEuro")
    fx_rate_set(actor=None, currency="NPR", month="2027-03", rate="144.500000", source="InforEuro")


def test_monthly_conversion_keeps_rate_month_and_source(npr_rates):
    c = convert_to_eur(amount="1432500", currency="npr", month=date(2027, 1, 17))
    assert (c.eur, c.rate, c.months, c.source) == (D("10000.00"), D("143.250000"), (date(2027, 1, 1),), "InforEuro")
    # Rounded half-up to the cent once: 1000 / 145.75 = 6.861063...
    assert convert_to_eur(amount="1000", currency="NPR", month="2027-02").eur == D("6.86")


def test_period_average(npr_rates):
    c = convert_to_eur(amount="144500", currency="NPR", basis="average", period=(date(2027, 1, 1), date(2027, 3, 31)))
    assert c.rate == D("144.500000")  # (143.25 + 145.75 + 144.50) / 3
    assert c.eur == D("1000.00") and len(c.months) == 3


def test_unknown_month_or_currency_is_refused_clearly(npr_rates):
    with pytest.raises(FxError, match="no NPR rate for 2027-04"):
        convert_to_eur(amount="10", currency="NPR", month="2027-04")
    with pytest.raises(FxError, match="no NPR rate for 2027-04"):
        convert_to_eur(amount="10", currency="NPR", basis="average", period=(date(2027, 2, 1), date(2027, 4, 30)))
    with pytest.raises(FxError, match="not an ISO 4217"):
        convert_to_eur(amount="10", currency="XYZ", month="2027-01")
    with pytest.raises(FxError, match="not a month"):
        convert_to_eur(amount="10", currency="NPR", month="January")


def test_eur_converts_to_itself(db):
    assert convert_to_eur(amount="12.345", currency="EUR", month="2027-01").eur == D("12.35")


@pytest.mark.parametrize(("rate", "source", "code"), [("0", "InforEuro", "invalid_rate"), ("-1", "X", "invalid_rate"), ("abc", "X", "invalid_rate"), ("1.2", " ", "source_required")])
def test_bad_rates_are_refused(db, rate, source, code):
    with pytest.raises(FxError) as exc:
        fx_rate_set(actor=None, currency="MAD", month="2027-01", rate=rate, source=source)
    assert exc.value.code == code
    assert not ExchangeRate.objects.exists()


def test_correcting_a_rate_is_audited_with_the_old_one(npr_rates, officer):
    fx_rate_set(actor=officer, currency="NPR", month="2027-01", rate="143.300000", source="InforEuro (corrected)")
    event = AuditEvent.objects.filter(verb="fx.set").latest("id")
    assert event.data["previous_rate"] == "143.250000" and event.data["rate"] == "143.300000"
    assert ExchangeRate.objects.filter(currency="NPR").count() == 3


def test_import_command(db, tmp_path):
    good = tmp_path / "rates.csv"
    good.write_text("\ufeffcurrency;month;rate;source\nMAD;2027-01;10.812000;InforEuro\nUAH;2027-01;44.100000;\n", encoding="utf-8")
    out = io.StringIO()
    call_command("import_fx_rates", str(good), "--source", "Central bank", stdout=out)
    assert "2 rates recorded" in out.getvalue()
    assert ExchangeRate.objects.get(currency="UAH").source == "Central bank"
    call_command("import_fx_rates", str(good), "--source", "Central bank", stdout=io.StringIO())  # idempotent
    assert ExchangeRate.objects.count() == 2

    bad = tmp_path / "bad.csv"
    bad.write_text("currency,month,rate\nMAD,2027-02,10.9\nZZZ,2027-02,1\n", encoding="utf-8")
    with pytest.raises(CommandError, match="Line 3: ZZZ is not an ISO 4217"):
        call_command("import_fx_rates", str(bad), "--source", "X", stdout=io.StringIO())
    assert not ExchangeRate.objects.filter(month="2027-02-01").exists(), "a bad file imports nothing"
    missing = tmp_path / "missing.csv"
    missing.write_text("currency,value\nMAD,1\n", encoding="utf-8")
    with pytest.raises(CommandError, match="columns currency, month and rate"):
        call_command("import_fx_rates", str(missing), stdout=io.StringIO())
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_fx_rates", str(tmp_path / "nope.csv"), stdout=io.StringIO())
