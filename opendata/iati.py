"""The IATI 2.03 activity file of a programme: the programme is the parent activity (hierarchy 1) and each signed
grant a child activity (hierarchy 2) that carries the money (commitments, disbursements, expenditure) and the
results of its approved reports. The parent holds no transactions, so nothing is counted twice.

What the schema cannot check is decided here:
- every identifier and transaction ref goes through `core.identifiers.open_data_id` (no `/ & | ?`);
- no actual date, transaction date or value date lies after `today` (clipped to it);
- percentages sum to exactly 100 (the largest share takes the rounding difference);
- budgets cover at most a year each and sum exactly to their total (split by days, remainder on the last);
- amounts are written with two decimals from Decimals, never floats.

The file is written as a stream (`write_activities`): the parent's figures come from one aggregated query, then
the grants are read in batches of GRANT_BATCH with their records (`_records`, five queries per batch) and each child
activity is built, written and dropped, so memory stays flat and queries grow with batches, not grants.

Besides its logframe results, a grant carries the programme's standard indicators it has values or targets for
(`results`): two more queries for a batch with any (`_standard_results`), and the indicators and results settings
once for the file; a programme without results costs not one query more.
"""
import functools
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from io import BytesIO
from itertools import islice

from django.conf import settings
from django.db.models import Exists, F, OuterRef, Q, Subquery, Sum
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from lxml import etree

from core.errors import DomainError
from core.identifiers import open_data_id
from core.money import ZERO, format_amount, round_money
from disbursements.models import ApprovedExpenditure, Payment
from grants.models import AgreementStatus, AgreementVersion, Envelope, Grant, LedgerEntry, LedgerKind
from grants.periods import reporting_periods
from reports.models import IndicatorProgress, ReportStatus
from results.aggregation import counted_values
from results.models import IndicatorTarget, ResultPeriod
from results.selectors import cell_table, grant_figure, programme_indicators, programme_settings, protected_figures

IATI_VERSION = "2.03"
CURRENCY = "EUR"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
HUNDRED = Decimal("100")
BUDGET_MONTHS = 12  # IATI: no budget period longer than a year

# IATI codelists used below.
STATUS_PIPELINE, STATUS_IMPLEMENTATION, STATUS_FINALISATION = "1", "2", "3"  # ActivityStatus
GRANT_STATUS = {
    AgreementStatus.SIGNED: "2", AgreementStatus.IN_IMPLEMENTATION: "2", AgreementStatus.CLOSING: "3",
    AgreementStatus.CLOSED: "4", AgreementStatus.TERMINATED: "5", AgreementStatus.SUSPENDED: "6",
}
PLANNED_START, ACTUAL_START, PLANNED_END, ACTUAL_END = "1", "2", "3", "4"  # ActivityDateType
ROLE_FUNDING, ROLE_EXTENDING, ROLE_IMPLEMENTING = "1", "3", "4"  # OrganisationRole
RELATED_PARENT, RELATED_CHILD = "1", "2"  # RelatedActivityType
COMMITMENT, DISBURSEMENT, EXPENDITURE = "2", "3", "4"  # TransactionType
# Money a grantee pays back (a refund of a recovery order, or an amount offset against a later payment). The
# TransactionType codelist has no "refund": Reimbursement (7) is a disbursement covering what the recipient already
# spent, and Loan Repayment (6) and Interest Payment (5) concern loans; Incoming Funds (1), "funds received for use
# on the activity", is the code for money the reporting organisation receives, so a recovery is an incoming-funds
# transaction from the grantee (provider) to the agency (receiver). The grant's net disbursed is therefore
# sum(type 3) - sum(type 1) of its activity, equal to the ledger's and to 360Giving's amountDisbursed.
INCOMING_FUNDS = "1"
RESULT_TYPE = {"output": "1", "outcome": "2"}  # ResultType; 9 = other
RESULT_OTHER = "9"
SECTOR_DAC = "1"  # SectorVocabulary: OECD DAC CRS purpose codes (5 digits)
BUDGET_ORIGINAL, BUDGET_COMMITTED = "1", "2"  # BudgetType, BudgetStatus
MEASURE_UNIT = "1"  # IndicatorMeasure
INDICATOR_REPORTING_ORG = "99"  # IndicatorVocabulary: the reporting organisation's own (the donor framework's codes)
DESCRIPTION_GENERAL = "1"  # DescriptionType

GRANT_BATCH = 200  # grants built and written together (their records read in one set of queries)


# ---- reading ------------------------------------------------------------------------------------------------------


@dataclass
class GrantRecords:
    """What one grant contributes to the file besides its own row, each list oldest first."""

    commitments: list = field(default_factory=list)  # LedgerEntry values
    recoveries: list = field(default_factory=list)  # LedgerEntry values of the recovery rows, with their value date
    payments: list = field(default_factory=list)
    expenditure: list = field(default_factory=list)
    indicators: list = field(default_factory=list)  # IndicatorProgress values of approved report versions
    signature_recorded_at: object = None  # when the agreement's version 1 was stored
    results: dict = field(default_factory=dict)  # {standard indicator id: {period number: PeriodFigures}}


@dataclass
class PeriodFigures:
    """A grant's value (total and cells) and target of one standard indicator in one results period."""

    start: date
    end: date
    total: Decimal | None = None
    cells: dict = field(default_factory=dict)  # {cell key: amount}
    target: Decimal | None = None


def published_grants(programme):
    """The programme's grants whose agreement was signed, whatever became of it since: never drafts, nor an
    agreement terminated before signature."""
    return Grant.objects.filter(call__programme=programme, signed_on__isnull=False).exclude(status=AgreementStatus.DRAFT)


def _records(grant_ids) -> dict:
    """{grant id: GrantRecords} of the given grants, in five queries."""
    records = defaultdict(GrantRecords)
    for row in LedgerEntry.objects.filter(
        grant__in=grant_ids, kind__in=(LedgerKind.COMMITMENT, LedgerKind.RECOVERY)
    ).order_by("created_at", "pk").values(
        "pk", "grant_id", "kind", "amount", "created_at", value_date=F("recovery_settlement__value_date")
    ):
        record = records[row["grant_id"]]
        (record.recoveries if row["kind"] == LedgerKind.RECOVERY else record.commitments).append(row)
    for row in AgreementVersion.objects.filter(grant__in=grant_ids, number=1).values("grant_id", "created_at"):
        records[row["grant_id"]].signature_recorded_at = row["created_at"]
    for row in Payment.objects.filter(grant__in=grant_ids).order_by("value_date", "pk").values(
        "pk", "grant_id", "amount", "value_date", reversed_at=F("reversal_entry__created_at")
    ):
        records[row["grant_id"]].payments.append(row)
    for row in ApprovedExpenditure.objects.filter(grant__in=grant_ids).order_by("period_number").values(
        "grant_id", "period_number", "amount", "period_end", "approved_at"
    ):
        records[row["grant_id"]].expenditure.append(row)
    approved = Q(version__status=ReportStatus.APPROVED, version__report__status=ReportStatus.APPROVED)
    for row in IndicatorProgress.objects.filter(approved, version__report__grant__in=grant_ids).order_by(
        "version__report__period_number", "position", "pk"
    ).values(
        "level", "statement", "indicator", "baseline", "target", "actual", grant_id=F("version__report__grant_id"),
        period_start=F("version__report__period_start"), period_end=F("version__report__period_end"),
    ):
        records[row["grant_id"]].indicators.append(row)
    return records


def _standard_results(grant_ids, records):
    """Add each grant's standard indicator values (with their cells) and targets to `records`, in two queries. Only
    accepted values, as on the results dashboard (`results.aggregation.counted_values`)."""
    period = {"grant": F("period__grant_id"), "number": F("period__number"), "start": F("period__start"),
              "end": F("period__end")}

    def figures(row) -> PeriodFigures:
        periods = records[row["grant"]].results.setdefault(row["indicator_id"], {})
        return periods.setdefault(row["number"], PeriodFigures(row["start"], row["end"]))

    for row in counted_values().filter(period__grant__in=grant_ids).values(
        "indicator_id", "total", "cells__key", "cells__amount", **period
    ):
        found = figures(row)
        found.total = row["total"]
        if row["cells__key"] is not None:
            found.cells[row["cells__key"]] = row["cells__amount"]
    for row in IndicatorTarget.objects.filter(period__grant__in=grant_ids).values("indicator_id", "target", **period):
        figures(row).target = row["target"]


def _parent_rows(grants):
    """One small row per grant, in reference order, for the parent activity: its reference, country (the agreement's
    or the grantee's), DAC sector and committed amount. One query, streamed."""
    committed = (
        LedgerEntry.objects.filter(grant=OuterRef("pk"), kind=LedgerKind.COMMITMENT)
        .order_by().values("grant").annotate(total=Sum("amount")).values("total")
    )
    return grants.order_by("reference").values(
        "reference", "organisation__country", "call__dac_sector",
        country_code=F("country__code"), committed=Subquery(committed),
    ).iterator(chunk_size=GRANT_BATCH)


def _grant_batches(grants):
    """The grants (call, country and organisation joined) in reference order, as lists of GRANT_BATCH with their
    records: one query for the grants, streamed, and five per batch (seven when some grant of it has results)."""
    rows = grants.select_related("call", "country", "organisation").annotate(
        has_results=Exists(ResultPeriod.objects.filter(grant=OuterRef("pk")))
    ).order_by("reference").iterator(chunk_size=GRANT_BATCH)
    while batch := list(islice(rows, GRANT_BATCH)):
        records = _records([grant.pk for grant in batch])
        with_results = [grant.pk for grant in batch if grant.has_results]
        if with_results:
            _standard_results(with_results, records)
        yield batch, records


# ---- arithmetic ---------------------------------------------------------------------------------------------------


def shares(weights: dict) -> dict:
    """Percentages (two decimals) of each key's weight in the total, summing to exactly 100: the largest share
    absorbs the rounding. Keys without weight are left out; when nothing weighs, the keys share equally."""
    weights = {key: w for key, w in weights.items() if w > 0} or {key: Decimal(1) for key in weights}
    if not weights:
        return {}
    total = sum(weights.values())
    result = {key: round_money(w * HUNDRED / total) for key, w in sorted(weights.items())}
    largest = max(result, key=lambda key: weights[key])
    result[largest] += HUNDRED - sum(result.values())
    return result


def budget_split(start: date, end: date, amount: Decimal) -> list[tuple[date, date, Decimal]]:
    """`amount` over the 12-month periods from `start` to `end` (the last one shorter), in proportion to their
    days; the last period takes the remainder, so the parts sum exactly to `amount`."""
    periods = reporting_periods(start, end, period_months=BUDGET_MONTHS)
    total_days = sum((p.end - p.start).days + 1 for p in periods)
    parts, left = [], amount
    for p in periods[:-1]:
        part = round_money(amount * ((p.end - p.start).days + 1) / total_days)
        parts.append((p.start, p.end, part))
        left -= part
    parts.append((periods[-1].start, periods[-1].end, left))
    return parts


def _decimal_text(value) -> str | None:
    """An indicator value without trailing zeros (150.00 -> "150"), or None when empty."""
    return None if value is None else f"{Decimal(value).normalize():f}"


# ---- writing ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Txn:
    """A transaction of a child activity before it is written."""

    type: str
    ref: str
    day: date
    amount: Decimal
    value_date: date
    to_grantee: bool = False  # money from the agency to the grantee: provider and receiver organisations
    from_grantee: bool = False  # money from the grantee back to the agency (a recovery)


def _sub(parent, tag, attrs=None, text=None):
    """A child element; attributes that are None or "" are left out."""
    element = etree.SubElement(parent, tag, {k: v for k, v in (attrs or {}).items() if v not in (None, "")})
    if text is not None:
        element.text = text
    return element


def _with_narrative(parent, tag, text, attrs=None):
    """`tag` with one narrative holding `text`, or with none when `text` is empty."""
    element = _sub(parent, tag, attrs)
    if text and text.strip():
        _sub(element, "narrative", text=text.strip())
    return element


def _iso(day: date) -> str:
    return day.isoformat()


class _Writer:
    """Writes the activities of one programme as of `today`."""

    def __init__(self, programme, today: date):
        self.programme = programme
        self.today = today
        self.agency_ref = programme.agency_iati_ref
        self.parent_id = open_data_id(self.agency_ref, programme.code)
        self.lang = settings.LANGUAGE_CODE.split("-")[0]

    def child_id(self, grant) -> str:
        return open_data_id(self.agency_ref, grant.reference)

    def clip(self, day: date) -> date:
        return min(day, self.today)

    # -- parts shared by the parent and the children

    def _activity(self, hierarchy, identifier, title, description):
        """A detached `<iati-activity>` with the parts every activity starts with; written once complete."""
        activity = etree.Element("iati-activity", {
            "default-currency": CURRENCY, "hierarchy": hierarchy, XML_LANG: self.lang,
        })
        _sub(activity, "iati-identifier", text=identifier)
        p = self.programme
        _with_narrative(activity, "reporting-org", p.agency, {"ref": self.agency_ref, "type": p.agency_org_type})
        _with_narrative(activity, "title", title)
        _with_narrative(activity, "description", description, {"type": DESCRIPTION_GENERAL})
        _with_narrative(activity, "participating-org", p.donor, {
            "role": ROLE_FUNDING, "ref": p.donor_iati_ref, "type": p.donor_org_type,
        })
        _with_narrative(activity, "participating-org", p.agency, {
            "role": ROLE_EXTENDING, "ref": self.agency_ref, "type": p.agency_org_type,
        })
        return activity

    def _status_and_dates(self, activity, status, start, end):
        _sub(activity, "activity-status", {"code": status})
        for kind, day, actual in ((PLANNED_START, start, False), (ACTUAL_START, start, True),
                                  (PLANNED_END, end, False), (ACTUAL_END, end, True)):
            if not actual or day <= self.today:
                _sub(activity, "activity-date", {"type": kind, "iso-date": _iso(day)})

    def _countries_and_sectors(self, activity, countries: dict, sectors: dict):
        for code, percentage in shares(countries).items():
            _sub(activity, "recipient-country", {"code": code, "percentage": f"{percentage:.2f}"})
        for code, percentage in shares(sectors).items():
            _sub(activity, "sector", {"vocabulary": SECTOR_DAC, "code": code, "percentage": f"{percentage:.2f}"})

    def _budgets(self, activity, start, end, amount):
        for period_start, period_end, part in budget_split(start, end, amount):
            budget = _sub(activity, "budget", {"type": BUDGET_ORIGINAL, "status": BUDGET_COMMITTED})
            _sub(budget, "period-start", {"iso-date": _iso(period_start)})
            _sub(budget, "period-end", {"iso-date": _iso(period_end)})
            _sub(budget, "value", {"value-date": _iso(period_start)}, format_amount(part))

    # -- the parent

    def parent(self, rows, envelope_amount):
        """The parent activity from `_parent_rows`."""
        p = self.programme
        activity = self._activity("1", self.parent_id, p.name, p.description or p.name)
        _with_narrative(activity, "participating-org", p.agency, {
            "role": ROLE_IMPLEMENTING, "ref": self.agency_ref, "type": p.agency_org_type,
        })
        if self.today < p.start_date:
            status = STATUS_PIPELINE
        elif self.today > p.end_date:
            status = STATUS_FINALISATION
        else:
            status = STATUS_IMPLEMENTATION
        self._status_and_dates(activity, status, p.start_date, p.end_date)
        countries, sectors, children = defaultdict(Decimal), defaultdict(Decimal), []
        for row in rows:
            committed = row["committed"] or ZERO
            countries[str(row["country_code"] or row["organisation__country"])] += committed
            sectors[row["call__dac_sector"]] += committed
            children.append(open_data_id(self.agency_ref, row["reference"]))
        if not children:  # no grant yet: the programme's sectors are those of its calls
            sectors = dict.fromkeys(sorted(set(p.calls.values_list("dac_sector", flat=True))), ZERO)
        self._countries_and_sectors(activity, countries, sectors)
        if envelope_amount is not None:
            self._budgets(activity, p.start_date, p.end_date, envelope_amount)
        for child_id in children:
            _sub(activity, "related-activity", {"ref": child_id, "type": RELATED_CHILD})
        return activity

    # -- a child

    def child(self, grant, records: GrantRecords):
        organisation = grant.organisation
        description = _("Grant to %(organisation)s under the call “%(call)s” of %(programme)s.") % {
            "organisation": organisation.legal_name, "call": grant.call.title, "programme": self.programme.name,
        }
        child_id = self.child_id(grant)
        activity = self._activity("2", child_id, grant.title, description)
        _with_narrative(activity, "participating-org", organisation.legal_name, {
            "role": ROLE_IMPLEMENTING, "ref": organisation.org_identifier, "type": organisation.org_type,
        })
        self._status_and_dates(activity, GRANT_STATUS[grant.status], grant.start_date, grant.end_date)
        self._countries_and_sectors(activity, {_country_code(grant): HUNDRED}, {grant.call.dac_sector: HUNDRED})
        self._budgets(activity, grant.start_date, grant.end_date, grant.amount)
        for txn in transactions(grant, records, child_id):
            self._transaction(activity, txn, grant, child_id)
        _sub(activity, "related-activity", {"ref": self.parent_id, "type": RELATED_PARENT})
        self._results(activity, grant, records.indicators)
        self._standard_results(activity, records.results)
        return activity

    def _transaction(self, activity, txn: Txn, grant, child_id):
        element = _sub(activity, "transaction", {"ref": txn.ref})
        _sub(element, "transaction-type", {"code": txn.type})
        _sub(element, "transaction-date", {"iso-date": _iso(self.clip(txn.day))})
        _sub(element, "value", {"value-date": _iso(self.clip(txn.value_date))}, format_amount(txn.amount))
        if txn.to_grantee:
            p, organisation = self.programme, grant.organisation
            _with_narrative(element, "provider-org", p.agency, {
                "ref": self.agency_ref, "type": p.agency_org_type, "provider-activity-id": self.parent_id,
            })
            _with_narrative(element, "receiver-org", organisation.legal_name, {
                "ref": organisation.org_identifier, "type": organisation.org_type, "receiver-activity-id": child_id,
            })
        elif txn.from_grantee:
            p, organisation = self.programme, grant.organisation
            _with_narrative(element, "provider-org", organisation.legal_name, {
                "ref": organisation.org_identifier, "type": organisation.org_type, "provider-activity-id": child_id,
            })
            _with_narrative(element, "receiver-org", p.agency, {
                "ref": self.agency_ref, "type": p.agency_org_type, "receiver-activity-id": self.parent_id,
            })

    def _results(self, activity, grant, rows):
        """One result per logframe result (level and statement), each indicator with one period per approved report."""
        results = {}
        for row in rows:
            if row["statement"] or row["indicator"]:
                indicators = results.setdefault((row["level"], row["statement"]), {})
                indicators.setdefault(row["indicator"], []).append(row)
        for (level, statement), indicators in results.items():
            result = _sub(activity, "result", {"type": RESULT_TYPE.get(level, RESULT_OTHER)})
            _with_narrative(result, "title", statement or next(iter(indicators)))
            for name, periods in indicators.items():
                indicator = _sub(result, "indicator", {"measure": MEASURE_UNIT})
                _with_narrative(indicator, "title", name or statement)
                _sub(indicator, "baseline", {"year": str(grant.start_date.year), "value": _decimal_text(periods[0]["baseline"])})
                for row in periods:
                    period = _sub(indicator, "period")
                    _sub(period, "period-start", {"iso-date": _iso(row["period_start"])})
                    _sub(period, "period-end", {"iso-date": _iso(row["period_end"])})
                    for tag in ("target", "actual"):
                        if row[tag] is not None:
                            _sub(period, tag, {"value": _decimal_text(row[tag])})


    @functools.cached_property
    def indicators(self):
        """The programme's standard indicators (dimensions and categories with them) and its small-cell threshold,
        read once, when the first grant with results is written."""
        return programme_indicators(self.programme), programme_settings(self.programme).small_cell_threshold

    def _standard_results(self, activity, results: dict):
        """One output result per standard indicator the grant has values or targets for, one period per results
        period with its target and what may be published of its value.

        People counts are protected as on the results dashboard (`results.selectors`): the periods and the grant's
        figure over them as one line, each period's cells as its disaggregation table. A hidden figure is left out
        (no `<actual>`, nor a value that is merely marked), as is a figure not collected: what is published can
        never give a hidden one away, since the same figures are hidden wherever they are shown."""
        if not results:
            return
        indicators, threshold = self.indicators
        for indicator in indicators:
            periods = results.get(indicator.pk)
            if not periods:
                continue
            numbers = sorted(periods)
            achieved = [periods[n].total for n in numbers]
            cells, _total = protected_figures(indicator, achieved, grant_figure(indicator, achieved),
                                              threshold=threshold, exact=False)
            result = _sub(activity, "result", {"type": RESULT_TYPE["output"]})  # standard indicators have no level
            self._titles(result, indicator)
            element = _sub(result, "indicator", {"measure": MEASURE_UNIT})
            self._titles(element, indicator)
            if indicator.external_code:
                _sub(element, "reference", {"vocabulary": INDICATOR_REPORTING_ORG, "code": indicator.external_code})
            for number, cell in zip(numbers, cells, strict=True):
                figures = periods[number]
                period = _sub(element, "period")
                _sub(period, "period-start", {"iso-date": _iso(figures.start)})
                _sub(period, "period-end", {"iso-date": _iso(figures.end)})
                if figures.target is not None:
                    _sub(period, "target", {"value": _decimal_text(figures.target)})
                self._actual(period, cell, ())
                if figures.cells:
                    self._disaggregation(period, indicator, figures.cells, threshold, cell)

    def _disaggregation(self, period, indicator, cells: dict, threshold, total):
        """An `<actual>` per cell of the period's disaggregation table, per row total and (with more than one
        row) per column total, each naming its categories as dimensions; the grand total is the period's own
        (`total`, its Cell in the grant's series: hidden there, the table hides what would give it away)."""
        side, across, table = cell_table(indicator, cells, threshold=threshold, exact=False, total=total)
        for row, row_cells, row_total in zip(side, table.cells, table.row_totals, strict=True):
            for column, cell in zip(across, row_cells, strict=True):
                self._actual(period, cell, (*row, *column))
            if row:
                self._actual(period, row_total, row)
        if len(side) > 1:
            for column, cell in zip(across, table.column_totals, strict=True):
                self._actual(period, cell, column)

    def _actual(self, period, cell, categories):
        """`<actual>` of a published figure with a `<dimension>` per (dimension, category); nothing for a hidden
        or uncollected one."""
        if cell.suppressed or cell.value is None:
            return
        actual = _sub(period, "actual", {"value": _decimal_text(cell.value)})
        for dimension, category in categories:
            _sub(actual, "dimension", {"name": dimension.title(self.lang), "value": category.title(self.lang)})

    def _titles(self, parent, item):
        """`<title>` with the item's title in the file's language, then in each other language it has."""
        title = _sub(parent, "title")
        _sub(title, "narrative", text=item.title(self.lang))
        for code, _name in settings.LANGUAGES:
            if code != self.lang and item.titles.get(code):
                _sub(title, "narrative", {XML_LANG: code}, item.titles[code])


def _country_code(grant) -> str:
    """The grant's country, or the grantee's country of registration when the agreement names none."""
    return str(grant.country.code if grant.country_id else grant.organisation.country)


def transactions(grant, records: GrantRecords, child_id: str) -> list[Txn]:
    """The grant's transactions in date order:
    - commitments (2): what was committed up to the signature (the ledger rows recorded before agreement version 1
      was stored, or the first row for grants without versions), dated `signed_on`; then each later row (amount
      amendments, releases at closing or termination) on the day it was recorded;
    - disbursements (3): each payment on its value date; a reversal, negative, on the day it was recorded;
    - incoming funds (1): each amount recovered from the grantee (a refund, or an offset against a payment), on
      the day it was recorded, valued at its value date;
    - expenditure (4): each approved report's expenditure, dated its approval, valued at its period end."""
    rows = records.commitments
    cut = records.signature_recorded_at or (rows[0]["created_at"] if rows else None)
    at_signature = sum((r["amount"] for r in rows if r["created_at"] <= cut), ZERO)
    txns = []
    if at_signature:
        txns.append(Txn(COMMITMENT, open_data_id(child_id, "C", "signed"), grant.signed_on, at_signature, grant.signed_on, True))
    for row in rows:
        if row["created_at"] > cut:
            day = timezone.localdate(row["created_at"])
            txns.append(Txn(COMMITMENT, open_data_id(child_id, "C", row["pk"]), day, row["amount"], day, True))
    for row in records.payments:
        ref = open_data_id(child_id, "D", row["pk"])
        txns.append(Txn(DISBURSEMENT, ref, row["value_date"], row["amount"], row["value_date"], True))
        if row["reversed_at"]:
            day = timezone.localdate(row["reversed_at"])
            txns.append(Txn(DISBURSEMENT, open_data_id(ref, "reversal"), day, -row["amount"], day, True))
    for row in records.recoveries:
        day = timezone.localdate(row["created_at"])
        txns.append(Txn(INCOMING_FUNDS, open_data_id(child_id, "R", row["pk"]), day, -row["amount"],
                        row["value_date"] or day, from_grantee=True))
    for row in records.expenditure:
        txns.append(Txn(EXPENDITURE, open_data_id(child_id, "E", row["period_number"]),
                        timezone.localdate(row["approved_at"]), row["amount"], row["period_end"]))
    return sorted(txns, key=lambda t: (t.day, t.type, t.ref))


# ---- the document -------------------------------------------------------------------------------------------------


def write_activities(programme, out, *, today: date | None = None) -> tuple[int, int]:
    """Write the IATI 2.03 activity file of `programme` (UTF-8, with its XML declaration, indented) to the binary
    stream `out`: the parent activity, then one child per signed grant, each written as soon as it is built.
    Returns the numbers of activities and of transactions written. Refused (DomainError "no_iati_ref"), before
    anything is written, while the programme has no reporting organisation identifier."""
    if not programme.agency_iati_ref:
        raise DomainError(
            _("Programme %(code)s has no IATI identifier for its managing agency: set it before publishing to IATI.")
            % {"code": programme.code},
            code="no_iati_ref", field="agency_iati_ref",
        )
    writer = _Writer(programme, today or timezone.localdate())
    grants = published_grants(programme)
    envelope = Envelope.objects.filter(programme=programme).values_list("amount", flat=True).first()
    counts = [0, 0]

    def emit(xf, activity):
        etree.indent(activity, level=1)
        xf.write("\n  ", activity)
        counts[0] += 1
        counts[1] += len(activity.findall("transaction"))

    with translation.override(settings.LANGUAGE_CODE), etree.xmlfile(out, encoding="UTF-8") as xf:
        xf.write_declaration()  # and its line break
        with xf.element("iati-activities", {
            "version": IATI_VERSION, "generated-datetime": timezone.now().replace(microsecond=0).isoformat(),
        }):
            emit(xf, writer.parent(_parent_rows(grants), envelope))
            for batch, records in _grant_batches(grants):
                for grant in batch:
                    emit(xf, writer.child(grant, records[grant.pk]))
            xf.write("\n")
    out.write(b"\n")  # after the root, where the XML writer takes no text
    return tuple(counts)


def activities_xml(programme, *, today: date | None = None) -> bytes:
    """The IATI 2.03 activity file of `programme`, UTF-8 encoded, in memory (tests and small programmes)."""
    out = BytesIO()
    write_activities(programme, out, today=today)
    return out.getvalue()


def activities_tree(programme, *, today: date | None = None):
    """The `<iati-activities>` element of `activities_xml`."""
    return etree.fromstring(activities_xml(programme, today=today))
