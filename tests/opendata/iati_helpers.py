"""Helpers for the IATI export tests: the official schema, grants with every kind of record (built through the
services), and the checks of the IATI rules the schema does not enforce."""
import functools
from collections import Counter, defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

from lxml import etree

from disbursements.models import Payment
from disbursements.services import payment_record
from grants import ledger
from grants.periods import add_months
from reports import services as report_services

from ..grant_helpers import signed_grant
from ..reports.conftest import with_logframe

SCHEMA = Path(__file__).resolve().parents[2].parent / "shared" / "standards" / "iati" / "iati-activities-schema.xsd"
FORBIDDEN = set("/&|?")


@functools.cache
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA)))


def parse(xml: bytes):
    return etree.fromstring(xml)


def assert_valid(root):
    """Valid against the IATI 2.03 activity schema; the schema's own message on failure."""
    validator = schema()
    assert validator.validate(root), validator.error_log.last_error


def paid_grant(*, call, organisation, officer, finance, writer, amount="200000.00", start=date(2025, 6, 1),
               end=date(2027, 5, 31), signed_on=date(2025, 5, 20), approve_report=True, **fields):
    """A signed grant with a payment of half its first tranche and (unless told otherwise) a logframe and the
    approved report of its first period, whose expenditure the programme accepted. The logframe comes with an
    application, of which an organisation has one per call: one reporting grant per organisation and call."""
    grant = signed_grant(call=call, organisation=organisation, amount=amount, start=start, end=end, signed_on=signed_on, **fields)
    first = grant.tranches.order_by("number").first()
    payment_record(actor=finance, tranche=first, amount=(first.planned_amount / 2).quantize(Decimal("0.01")),
                   value_date=signed_on, bank_reference=f"{grant.reference}-1")
    if approve_report:
        approved_report(with_logframe(grant, officer), writer=writer, officer=officer)
    grant.refresh_from_db()
    return grant


def approved_report(grant, *, writer, officer, period=1):
    """Open, fill, submit and approve the report of `period` through the report services."""
    report = report_services.report_open(actor=writer, grant=grant, period_number=period)
    version = report.versions.get()
    report_services.report_save(
        actor=writer, version=version,
        data={"summary": "Shelters opened.", "activities": "Training and outreach.", "safeguarding_incidents": False},
        indicators=[{"id": i.pk, "actual": "12", "comment": ""} for i in version.indicators.all()],
        expenditure={"1": "30000.00", "5": "5000.00"},
    )
    report_services.report_submit(actor=writer, report=report)
    report_services.report_approve(actor=officer, report=report)
    return report


# ---- reading the document -----------------------------------------------------------------------------------------


def activities(root) -> dict:
    """The activities by identifier."""
    return {a.findtext("iati-identifier"): a for a in root.iter("iati-activity")}


def transaction_sums(activity) -> dict:
    """{transaction type code: sum of values} of one activity."""
    sums = defaultdict(Decimal)
    for t in activity.iter("transaction"):
        sums[t.find("transaction-type").get("code")] += Decimal(t.findtext("value"))
    return sums


def net_payments(grant) -> Decimal:
    """What the grantee received: payments less those reversed."""
    return sum((p.amount for p in Payment.objects.filter(grant=grant, reversal_entry__isnull=True)), Decimal("0"))


def committed(grant) -> Decimal:
    return ledger.balances(grant=grant).committed


def assert_iati_rules(root, today: date):
    """The IATI rules the schema does not check."""
    identifiers = [a.findtext("iati-identifier") for a in root.iter("iati-activity")]
    refs = [t.get("ref") for t in root.iter("transaction")]
    links = [r.get("ref") for r in root.iter("related-activity")]
    org_activity_ids = [e.get(name) for e in root.iter("provider-org", "receiver-org")
                        for name in ("provider-activity-id", "receiver-activity-id") if e.get(name)]
    for value in identifiers + refs + links + org_activity_ids:
        assert value and not FORBIDDEN & set(value), value
    assert len(set(identifiers)) == len(identifiers)
    assert len(set(refs)) == len(refs) and all(refs), "every transaction has a ref, unique in the file"
    for element in root.iter("activity-date"):
        if element.get("type") in ("2", "4"):
            assert date.fromisoformat(element.get("iso-date")) <= today
    for element in root.iter("transaction-date"):
        assert date.fromisoformat(element.get("iso-date")) <= today
    for activity in root.iter("iati-activity"):
        for tag in ("recipient-country", "sector"):
            percentages = [Decimal(e.get("percentage")) for e in activity.findall(tag)]
            assert not percentages or sum(percentages) == 100, (tag, percentages)
        for budget in activity.findall("budget"):
            start = date.fromisoformat(budget.find("period-start").get("iso-date"))
            end = date.fromisoformat(budget.find("period-end").get("iso-date"))
            assert start <= end < add_months(start, 12), "a budget period is at most a year"
    _assert_hierarchy(root)


def _assert_hierarchy(root):
    """One parent listing every child (type 2), and every child pointing back to it (type 1)."""
    by_level = Counter(a.get("hierarchy") for a in root.iter("iati-activity"))
    assert by_level["1"] == 1
    parent = next(a for a in root.iter("iati-activity") if a.get("hierarchy") == "1")
    parent_id = parent.findtext("iati-identifier")
    children = {a.findtext("iati-identifier"): a for a in root.iter("iati-activity") if a.get("hierarchy") == "2"}
    assert {r.get("ref") for r in parent.findall("related-activity") if r.get("type") == "2"} == set(children)
    for child in children.values():
        assert [(r.get("ref"), r.get("type")) for r in child.findall("related-activity")] == [(parent_id, "1")]
