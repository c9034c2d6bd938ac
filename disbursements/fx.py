"""Exchange rates: the monthly table, and the conversion of local-currency expenditure to EUR.

A converted amount always carries the rate, the month (or months) and the source it was converted with, so a
report converted today reads the same after the table changes.
"""
import csv
import io
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _
from moneyed import CURRENCIES

from audit.services import audit_record
from core.errors import DomainError
from core.money import EUR, MoneyValueError, round_money, to_decimal
from grants.ledger import figures_changed_everywhere
from grants.models import FxBasis
from grants.periods import add_months

from .models import ExchangeRate

RATE_PLACES = Decimal("0.000001")
RATE_LIMIT = Decimal(10) ** 12  # ExchangeRate.rate: 18 digits, 6 of them decimals
SOURCE_MAX_LENGTH = ExchangeRate._meta.get_field("source").max_length
IMPORT_MAX_ROWS = 5_000  # two years of InforEuro's 170-odd currencies; each row is a locked write and an audit event


class FxError(DomainError):
    """A conversion or a rate was refused; the message says which currency and month are missing or wrong."""


def _currency(code):
    code = (code or "").strip().upper()
    if code == EUR:
        raise FxError(_("Rates are against the euro: EUR itself needs none."), code="eur", field="currency")
    if code not in CURRENCIES:
        raise FxError(_("%(code)s is not an ISO 4217 currency code.") % {"code": code or "—"}, code="unknown_currency", field="currency")
    return code


def month_of(value) -> date:
    """The first day of the month of a date, or of a 'YYYY-MM' string."""
    if isinstance(value, date):
        return value.replace(day=1)
    try:
        year, month = str(value).strip().split("-")[:2]
        return date(int(year), int(month), 1)
    except (ValueError, TypeError) as exc:
        raise FxError(_("%(value)s is not a month (YYYY-MM).") % {"value": value}, code="invalid_month", field="month") from exc


def fx_rate_set(*, actor, currency, month, rate, source) -> ExchangeRate:
    """Record the month's rate for a currency (1 EUR = `rate` units), or correct it; audited with the old rate. A
    new or changed rate moves every programme's figures version (the exchange differences read the rates)."""
    with transaction.atomic():
        fx, changed = _rate_write(actor=actor, currency=currency, month=month, rate=rate, source=source)
        if changed:
            figures_changed_everywhere()
    return fx


def _rate_write(*, actor, currency, month, rate, source) -> tuple[ExchangeRate, bool]:
    """fx_rate_set without moving the figures version: the rate, and whether it was written."""
    currency, month = _currency(currency), month_of(month)
    try:
        rate = to_decimal(rate)
    except MoneyValueError as exc:
        raise FxError(_("The rate must be a number."), code="invalid_rate", field="rate") from exc
    if rate >= RATE_LIMIT:
        raise FxError(_("The rate is too large."), code="invalid_rate", field="rate")
    rate = rate.quantize(RATE_PLACES)
    if rate <= 0:
        raise FxError(_("The rate must be greater than zero."), code="invalid_rate", field="rate")
    source = (source or "").strip()
    if not source:
        raise FxError(_("Say where the rate comes from (e.g. InforEuro)."), code="source_required", field="source")
    if len(source) > SOURCE_MAX_LENGTH:
        raise FxError(
            _("The source is too long (at most %(max)d characters).") % {"max": SOURCE_MAX_LENGTH}, code="too_long", field="source"
        )
    with transaction.atomic():
        existing = ExchangeRate.objects.select_for_update().filter(currency=currency, month=month).first()
        before = existing.rate if existing else None
        if existing and existing.rate == rate and existing.source == source:
            return existing, False
        fx, _created = ExchangeRate.objects.update_or_create(
            currency=currency, month=month, defaults={"rate": rate, "source": source, "recorded_by": actor if getattr(actor, "is_authenticated", False) else None}
        )
        audit_record(
            actor=actor, verb="fx.set", target=fx,
            data={"currency": currency, "month": f"{month:%Y-%m}", "rate": str(rate), "previous_rate": str(before) if before else None, "source": source},
        )
    return fx, True


def _rate_rows(text):
    """The rows of a rates CSV as (line number, {lower-case column: value}), all read before anything is written.
    Raises FxError for anything that is not such a CSV, so no malformed file reaches the person as a server error."""
    text = text.lstrip("\ufeff")
    if "\x00" in text:
        raise FxError(_("The file contains NUL bytes: it is not a CSV text file."), code="not_text", field="file")
    try:
        dialect = csv.Sniffer().sniff(text[:2048], delimiters=",;")
    except csv.Error:  # one column, or none: read it as commas and let the column check say what is missing
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    rows = []
    try:
        columns = {(c or "").strip().lower() for c in (reader.fieldnames or [])}
        if not {"currency", "month", "rate"} <= columns:
            raise FxError(_("The file needs the columns currency, month and rate (and optionally source)."), code="columns", field="file")
        for row in reader:
            if len(rows) == IMPORT_MAX_ROWS:
                raise FxError(
                    _("The file has more than %(max)d rates; split it into smaller files. Nothing was imported.") % {"max": IMPORT_MAX_ROWS},
                    code="too_many", field="file",
                )
            if None in row:  # DictReader files values beyond the header's columns under None
                raise FxError(
                    _("Line %(line)s has more values than the file has columns. Nothing was imported.") % {"line": reader.line_num},
                    code="extra_values", field="file",
                )
            rows.append((reader.line_num, {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}))
    except csv.Error as exc:
        raise FxError(
            _("Line %(line)s cannot be read as CSV: a value is too long or a quote is not closed. Nothing was imported.")
            % {"line": reader.line_num + 1},  # line_num counts the lines of the records read whole
            code="malformed", field="file",
        ) from exc
    return rows


def rates_import(*, actor, text: str, source="") -> int:
    """Record every rate of a CSV text (columns currency, month YYYY-MM, rate, optional source; comma or semicolon;
    a BOM tolerated; at most IMPORT_MAX_ROWS rows), all or nothing. A bad file or line raises FxError, naming the
    line. Returns the count. Moves the figures version once, when any rate is new or changed."""
    rows = _rate_rows(text)
    if not rows:
        raise FxError(_("The file has no rates."), code="empty", field="file")
    changed = False
    with transaction.atomic():
        for line, row in rows:
            try:
                _fx, written = _rate_write(actor=actor, currency=row["currency"], month=row["month"], rate=row["rate"],
                                           source=row.get("source") or source)
            except FxError as exc:
                raise FxError(
                    _("Line %(line)s: %(message)s Nothing was imported.") % {"line": line, "message": exc.message},
                    code=exc.code, field="file",
                ) from exc
            changed = changed or written
        if changed:
            figures_changed_everywhere()
    return len(rows)


@dataclass(frozen=True)
class Conversion:
    """A local-currency amount in EUR, with what it was converted with."""

    amount: Decimal
    currency: str
    eur: Decimal
    rate: Decimal
    months: tuple = field(default_factory=tuple)
    source: str = ""
    basis: str = FxBasis.MONTHLY


def _months_between(first, last):
    months, current, end = [], month_of(first), month_of(last)
    while current <= end:
        months.append(current)
        current = add_months(current, 1)
    return months


def months_needed(*, basis, month=None, period=None) -> list[date]:
    """The months whose rates a conversion reads: every month of `period` for the average basis, else `month`'s."""
    return _months_between(*period) if basis == FxBasis.AVERAGE else [month_of(month)]


def convert_to_eur(*, amount, currency, month=None, basis=FxBasis.MONTHLY, period=None) -> Conversion:
    """Convert `amount` of `currency` to EUR with the rate of `month`, or with the average of the monthly rates
    over `period` (first day, last day) when `basis` is "average". EUR converts to itself at 1."""
    try:
        amount = to_decimal(amount)
    except MoneyValueError as exc:
        raise FxError(_("The amount must be a number."), code="invalid_amount", field="amount") from exc
    if (currency or "").strip().upper() == EUR:
        return Conversion(amount, EUR, round_money(amount), Decimal(1), (), "", basis)
    currency = _currency(currency)
    months = months_needed(basis=basis, month=month, period=period)
    rates = {r.month: r for r in ExchangeRate.objects.filter(currency=currency, month__in=months)}
    missing = [m for m in months if m not in rates]
    if missing:
        raise FxError(
            _("There is no %(currency)s rate for %(months)s: add it to the exchange-rate table first.")
            % {"currency": currency, "months": ", ".join(f"{m:%Y-%m}" for m in missing)},
            code="missing_rate", field="currency",
        )
    rate = (sum((rates[m].rate for m in months), Decimal(0)) / len(months)).quantize(RATE_PLACES)
    sources = sorted({rates[m].source for m in months})
    return Conversion(amount, currency, round_money(amount / rate), rate, tuple(months), "; ".join(sources), basis)
