"""The 360Giving export (data standard 1.4): a programme's grants as a JSON data package and as the standard's CSV.

Which grants: every `grants.Grant` of the programme, whatever its agreement status, because the row exists from the
award decision on and 360Giving publishes awards, not signatures: a draft agreement is an award not yet signed, and
a grant closed, suspended or terminated after signature was still awarded (and possibly paid). The one exception is
a draft terminated before signature: the award was withdrawn before any agreement existed, its commitment went back
to the call and nothing can have been paid (payments need a signature), so publishing it would report giving that
never happened.

Figures: `amountAwarded` is the agreement's amount (amendments included); `amountDisbursed` is net: the sum of the
payments that stand (a reversed payment counts for nothing) less what was recovered from the grantee (refunds and
offsets of recovery orders), which equals the ledger's disbursed balance of the grant and the IATI file's
disbursements less its incoming funds. Amounts are Decimal throughout and become JSON numbers only in `grants_package` (see `_json_number`).

Cost: two queries however many grants: the grants with their call, organisation, country, award decision and
latest agreement version, streamed; and the payments aggregated per grant. The files are written record by record
(`write_grants_package`, `write_grants_csv`), so memory does not grow with the grants.

Results: a grant with accepted values or targets of the programme's standard indicators carries them, after small-cell
suppression, in the additional field `results` (the standard has no field for them; see the section at the end),
the same figures as the IATI file's; two more queries per batch of grants with results, none without.
"""
import io
import json
from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from functools import cached_property
from itertools import chain, islice

from django.db.models import Exists, F, Max, OuterRef, Q, Subquery, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from core import csvfiles
from core.errors import DomainError
from core.identifiers import open_data_id
from core.money import EUR, ZERO, format_amount, round_money
from disbursements.models import Payment
from grants.models import AgreementStatus, AgreementVersion, Grant, LedgerEntry, LedgerKind
from results.models import ResultPeriod
from results.selectors import cell_table, grant_figure, programme_indicators, programme_settings, protected_figures

from .iati import GrantRecords, _standard_results
from .readiness import GIVING, refusal

STANDARD_VERSION = "1.4"
GRANT_BATCH = 500  # grants fetched from the database at a time

# org-id.guide lists whose numbers 360Giving has a field for (charity and UK company registers).
_NUMBER_FIELDS = {"GB-CHC": "charityNumber", "GB-SC": "charityNumber", "GB-NIC": "charityNumber", "GB-COH": "companyNumber"}

# The CSV columns: the standard's titles (property title, then ":" and the sub-property's title for arrays of objects,
# first item), each with the path of the value in a grant record. Titles are the standard's, so never translated.
CSV_COLUMNS = [
    ("Identifier", ("id",)),
    ("Title", ("title",)),
    ("Description", ("description",)),
    ("Currency", ("currency",)),
    ("Amount Awarded", ("amountAwarded",)),
    ("Amount Disbursed", ("amountDisbursed",)),
    ("Award Date", ("awardDate",)),
    ("Planned Dates:Start Date", ("plannedDates", 0, "startDate")),
    ("Planned Dates:End Date", ("plannedDates", 0, "endDate")),
    ("Planned Dates:Duration (months)", ("plannedDates", 0, "duration")),
    ("Recipient Org:Identifier", ("recipientOrganization", 0, "id")),
    ("Recipient Org:Name", ("recipientOrganization", 0, "name")),
    ("Recipient Org:Charity Number", ("recipientOrganization", 0, "charityNumber")),
    ("Recipient Org:Company Number", ("recipientOrganization", 0, "companyNumber")),
    ("Recipient Org:Country", ("recipientOrganization", 0, "addressCountry")),
    ("Funding Org:Identifier", ("fundingOrganization", 0, "id")),
    ("Funding Org:Name", ("fundingOrganization", 0, "name")),
    ("Grant Programme:Code", ("grantProgramme", 0, "code")),
    ("Grant Programme:Title", ("grantProgramme", 0, "title")),
    ("Beneficiary Location:Name", ("beneficiaryLocation", 0, "name")),
    ("Beneficiary Location:Country Code", ("beneficiaryLocation", 0, "countryCode")),
    ("From An Open Call?", ("fromOpenCall",)),
    ("Last Modified", ("dateModified",)),
    ("Data Source", ("dataSource",)),
]


def _prefix(programme) -> str:
    """The programme's 360Giving prefix; refused, with the download page's sentence, when it is not set."""
    if not programme.giving_prefix:
        raise DomainError(refusal(programme, GIVING), code="no_giving_prefix", field="giving_prefix")
    return programme.giving_prefix


def _grants(programme):
    latest_version = AgreementVersion.objects.filter(grant=OuterRef("pk")).order_by("-created_at").values("created_at")[:1]
    recoveries = LedgerEntry.objects.filter(grant=OuterRef("pk"), kind=LedgerKind.RECOVERY).order_by().values("grant_id")
    return (
        Grant.objects.filter(call__programme=programme)
        .exclude(status=AgreementStatus.TERMINATED, signed_on__isnull=True)
        .select_related("call", "organisation", "country")
        .annotate(
            summary=F("award_decision__application__summary"),
            decided_at=F("award_decision__decided_at"),
            last_version_at=Subquery(latest_version),
            recovered=Subquery(recoveries.annotate(total=Sum("amount")).values("total")),
            last_recovery_at=Subquery(recoveries.annotate(last=Max("created_at")).values("last")),
        )
        .order_by("reference")
    )


def _payments_by_grant(programme) -> dict:
    """{grant id: (disbursed, last payment or reversal time)}, one grouped query."""
    rows = (
        Payment.objects.filter(grant__call__programme=programme)
        .order_by()  # the model's ordering would otherwise join the GROUP BY
        .values("grant_id")
        .annotate(
            disbursed=Sum("amount", filter=Q(reversal_entry__isnull=True)),
            recorded=Max("recorded_at"),
            reversed=Max("reversal_entry__created_at"),
        )
    )
    return {
        row["grant_id"]: (round_money(row["disbursed"] or ZERO), max(t for t in (row["recorded"], row["reversed"]) if t))
        for row in rows
    }


def _timestamp(moment: datetime) -> str:
    return timezone.localtime(moment).replace(microsecond=0).isoformat()


def _organisation(organisation, prefix) -> dict:
    record = {
        "id": organisation.org_identifier or open_data_id(prefix, "ORG", organisation.pk),
        "name": organisation.legal_name,
        # ISO 3166 alpha-2: the standard leaves the field free text; a code reads the same in every language.
        "addressCountry": organisation.country.code,
    }
    number_field = _NUMBER_FIELDS.get(organisation.org_id_scheme)
    if number_field:
        record[number_field] = organisation.registration_number
    return record


def _grant_record(grant, *, prefix, funder, payments, source_url) -> dict:
    disbursed, last_payment_at = payments.get(grant.pk, (ZERO, None))
    recovered = getattr(grant, "recovered", None)  # the recovery rows' sum, negative
    if recovered:
        disbursed = round_money(disbursed + recovered)
    award_moment = grant.decided_at or grant.created_at
    modified = max(t for t in (grant.created_at, grant.status_changed_at, grant.decided_at, grant.last_version_at,
                               last_payment_at, getattr(grant, "last_recovery_at", None)) if t)
    record = {
        "id": open_data_id(prefix, grant.reference),
        "title": grant.title,
        "description": grant.summary or grant.call.title,
        "currency": EUR,
        "amountAwarded": round_money(grant.amount),
        "amountDisbursed": disbursed,
        "awardDate": timezone.localdate(award_moment).isoformat(),
        "recipientOrganization": [_organisation(grant.organisation, prefix)],
        "fundingOrganization": [funder],
        "grantProgramme": [{"code": grant.call.reference, "title": grant.call.title}],
        "fromOpenCall": "Yes",  # every grant comes from a call for proposals
        "dateModified": _timestamp(modified),
    }
    if grant.start_date and grant.end_date:
        record["plannedDates"] = [{
            "startDate": grant.start_date.isoformat(), "endDate": grant.end_date.isoformat(),
            "duration": grant.duration_months,
        }]
    if grant.country:
        record["beneficiaryLocation"] = [{"name": grant.country.name, "countryCode": grant.country.code.code}]
    if source_url:
        record["dataSource"] = source_url
    return record


def grant_records(programme, *, source_url=None):
    """The programme's published grants as 360Giving records (an iterator), amounts as Decimal. Refused
    (DomainError) without a 360Giving prefix, at once."""
    prefix = _prefix(programme)
    funder = {"id": programme.donor_iati_ref or open_data_id(prefix, "DONOR"), "name": programme.donor}
    payments = _payments_by_grant(programme)
    results = _Results(programme)
    return (
        results.add(grant, _grant_record(grant, prefix=prefix, funder=funder, payments=payments, source_url=source_url))
        for grant in results.batches(_grants(programme))
    )


def _json_number(amount: Decimal) -> int | float:
    """An amount as a JSON number with exactly its decimal digits. Whole amounts become ints; others floats, which
    is exact in the text: `repr(float)` is the shortest string that reads back as the same double, and every decimal
    of at most 15 significant digits survives the round trip, so 123456.78 prints as 123456.78. Amounts here have
    at most 14 digits (`max_digits=14` on every money field), and a payment sum never exceeds its grant."""
    amount = round_money(amount)
    return int(amount) if amount == amount.to_integral_value() else float(amount)


def _json_ready(value):
    if isinstance(value, Decimal):
        return _json_number(value)
    if isinstance(value, dict):
        return {key: _json_ready(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_json_ready(item) for item in value]
    return value


def _package(programme, grants, *, today, source_url) -> dict:
    publisher = {"name": programme.agency}
    if programme.agency_iati_ref:
        publisher["identifier"] = programme.agency_iati_ref
    today = today or timezone.localdate()
    package = {
        "version": STANDARD_VERSION,
        "identifier": open_data_id(programme.giving_prefix, "grants", today.isoformat()),
        "title": _("%(programme)s: grants (360Giving)") % {"programme": programme.name},
        "description": _("Grants awarded by %(programme)s, funded by %(donor)s, with the amounts paid so far.")
        % {"programme": programme.name, "donor": programme.donor},
        "issued": today.isoformat(),
        "publisher": publisher,
        "grants": grants,
    }
    if source_url:
        package["downloadURL"] = source_url
    return package


def _no_grants(programme):
    # the package schema needs at least one grant; a CSV of headers only is still a valid sheet
    return DomainError(_("Programme %(code)s has no awarded grant to publish yet.") % {"code": programme.code}, code="no_grants")


def grants_package(programme, *, today=None, source_url=None) -> dict:
    """A 360Giving data package of the programme's grants, ready for `json.dump` (amounts are JSON numbers).
    Refused (DomainError) without a 360Giving prefix or without any grant to publish.

    `today` is the issue date (default: today); `source_url`, when the package is served from a known address,
    becomes its download URL and each grant's data source."""
    grants = [_json_ready(record) for record in grant_records(programme, source_url=source_url)]
    if not grants:
        raise _no_grants(programme)
    return _package(programme, grants, today=today, source_url=source_url)


_GRANTS_SLOT = "\0grants\0"  # stands for the grants array while the rest of the package is encoded


def write_grants_package(programme, out, *, today=None, source_url=None) -> int:
    """Write the package of `grants_package` to the text stream `out`, exactly as `json.dumps(package,
    ensure_ascii=False, indent=2)` would, one grant at a time; return the number of grants. Refused as
    `grants_package` is, before anything is written."""
    records = grant_records(programme, source_url=source_url)
    first = next(records, None)
    if first is None:
        raise _no_grants(programme)
    package = json.dumps(_package(programme, _GRANTS_SLOT, today=today, source_url=source_url), ensure_ascii=False, indent=2)
    head, tail = package.split(json.dumps(_GRANTS_SLOT))
    out.write(head + "[")
    count = 0
    for count, record in enumerate(chain([first], records), start=1):
        grant = json.dumps(_json_ready(record), ensure_ascii=False, indent=2).replace("\n", "\n    ")
        out.write(("," if count > 1 else "") + "\n    " + grant)
    out.write("\n  ]" + tail)
    return count


def _cell(record, path):
    value = record
    for key in path:
        try:
            value = value[key]
        except (KeyError, IndexError):
            return ""
    return format_amount(value) if isinstance(value, Decimal) else value


def write_grants_csv(programme, out, *, source_url=None) -> int:
    """Write the same grants as `grants_package` to the text stream `out` (opened with newline=""), one row per
    grant under the standard's column titles (CSV_COLUMNS); return the number of grants."""
    records = grant_records(programme, source_url=source_url)
    writer = csvfiles.writer(out)
    writer.writerow(title for title, _path in CSV_COLUMNS)
    count = 0
    for count, record in enumerate(records, start=1):
        writer.writerow(_cell(record, path) for _title, path in CSV_COLUMNS)
    return count


def grants_csv(programme, *, today=None, source_url=None) -> str:
    """The CSV of `write_grants_csv` as a string. `today` is accepted for symmetry with the package; the CSV
    template has no issue date."""
    out = io.StringIO()
    write_grants_csv(programme, out, source_url=source_url)
    return out.getvalue()


# ---- results ------------------------------------------------------------------------------------------------------
#
# The 360Giving standard (1.4) has no field for what a grant achieved: its grant schema describes the award, the
# recipient, the money and classifications. Its documented ways to publish more are approved extensions (named in the
# package's `extensions`, each registered with 360Giving after the Standard Stewardship Committee's approval; the only
# one so far is the DEI extension) and additional fields, which the schema allows (no `additionalProperties: false`
# anywhere) and which publishers may add though tools do not interpret them. With no approved results extension, a
# grant's results are an additional field, `results`, and the package names no extension; the package stays valid
# against the official schemas (tests/opendata/test_360giving_results.py checks both, and that the standard has not
# since taken the name). The CSV keeps to the standard's columns: results, a list per grant, are in the JSON only.
#
# Each record (for a grant with accepted values or targets of the programme's standard indicators):
#   "results": [{"indicator": code, "title": in the file's language, "unit": code, "unitTitle", "donorIndicator": {"vocabulary":
#     the framework's name, "code": its code} (when mapped), "countsPeople": bool,
#     "periods": [{"number", "startDate", "endDate", "target" (when set), "achieved": figure,
#                  "disaggregation": [{"categories": [{"dimension", "category", "dimensionTitle", "categoryTitle"}],
#                                      "achieved": figure}] (when collected by cell)}]}]
# where a figure is {"value": number or null, "suppressed": bool}: null and not suppressed is "not collected".
#
# The figures are the IATI file's for the same grant: read by `iati._standard_results` (accepted values only, two
# queries per batch of grants with results, none for a batch without), protected by `results.selectors` as every
# output is (the grant's periods as one line with its figure over them; each period's cells as a table whose grand
# total is that period's figure). A suppressed figure is published as suppressed, never its value; the period's
# figure is the table's grand total, so it is not repeated among the cells.

RESULTS_FIELD = "results"


def _figure(cell) -> dict:
    return {"value": None if cell.suppressed else cell.value, "suppressed": cell.suppressed}


def _categories(pairs) -> list[dict]:
    return [{"dimension": d.code, "category": c.code, "dimensionTitle": d.title(), "categoryTitle": c.title()} for d, c in pairs]


class _Results:
    """Each grant's standard indicator results, read one batch of grants at a time as the grants stream by."""

    def __init__(self, programme):
        self.programme = programme
        self.batch: dict = {}  # {grant id: {indicator id: {period number: iati.PeriodFigures}}} of the current batch

    @cached_property
    def indicators(self):
        """The programme's indicators (with their dimensions and categories), its threshold and framework, read
        when the first grant with results is written."""
        settings = programme_settings(self.programme)
        return programme_indicators(self.programme), settings.small_cell_threshold, settings.external_framework

    def batches(self, grants):
        """The grants (a queryset), streamed; before each batch of GRANT_BATCH is handed on, the results of those of
        its grants that have any are read."""
        rows = grants.annotate(has_results=Exists(ResultPeriod.objects.filter(grant=OuterRef("pk")))).iterator(chunk_size=GRANT_BATCH)
        while batch := list(islice(rows, GRANT_BATCH)):
            records = defaultdict(GrantRecords)
            with_results = [grant.pk for grant in batch if grant.has_results]
            if with_results:
                _standard_results(with_results, records)
            self.batch = {pk: record.results for pk, record in records.items() if record.results}
            yield from batch

    def add(self, grant, record: dict) -> dict:
        """`record` with the grant's results, when it has any."""
        found = self.batch.get(grant.pk)
        if found:
            results = self._results(found)
            if results:
                record[RESULTS_FIELD] = results
        return record

    def _results(self, found: dict) -> list[dict]:
        indicators, threshold, framework = self.indicators
        results = []
        for indicator in indicators:
            periods = found.get(indicator.pk)
            if not periods:
                continue
            numbers = sorted(periods)
            achieved = [periods[n].total for n in numbers]
            cells, _total = protected_figures(indicator, achieved, grant_figure(indicator, achieved), threshold=threshold, exact=False)
            result = {"indicator": indicator.code, "title": indicator.title()}
            if indicator.unit:
                result.update(unit=indicator.unit.code, unitTitle=indicator.unit.title())
            if indicator.external_code:
                result["donorIndicator"] = {"vocabulary": framework, "code": indicator.external_code}
            result["countsPeople"] = indicator.counts_people
            result["periods"] = [self._period(indicator, number, periods[number], cell, threshold)
                                 for number, cell in zip(numbers, cells, strict=True)]
            results.append(result)
        return results

    def _period(self, indicator, number, figures, cell, threshold) -> dict:
        period = {"number": number, "startDate": figures.start.isoformat(), "endDate": figures.end.isoformat()}
        if figures.target is not None:
            period["target"] = figures.target
        period["achieved"] = _figure(cell)
        if figures.cells:
            period["disaggregation"] = _disaggregation(indicator, figures.cells, threshold, cell)
        return period


def _disaggregation(indicator, cells: dict, threshold, total) -> list[dict]:
    """Each cell of the period's table, each row total (of rows that are a category) and, with more than one row,
    each column total, as the IATI file gives them; the grand total is the period's own figure (`total`)."""
    side, across, table = cell_table(indicator, cells, threshold=threshold, exact=False, total=total)
    found = []
    for row, row_cells, row_total in zip(side, table.cells, table.row_totals, strict=True):
        for column, cell in zip(across, row_cells, strict=True):
            found.append({"categories": _categories((*row, *column)), "achieved": _figure(cell)})
        if row:
            found.append({"categories": _categories(row), "achieved": _figure(row_total)})
    if len(side) > 1:
        for column, cell in zip(across, table.column_totals, strict=True):
            found.append({"categories": _categories(column), "achieved": _figure(cell)})
    return found
