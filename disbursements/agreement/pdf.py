"""The grant agreement as a PDF, rendered from a snapshot (disbursements.agreements.agreement_snapshot): the text
of the agreement, Annex I (budget) and Annex II (payment schedule). A stored version renders the same way every
time; a draft renders from the live grant and is marked DRAFT."""
from datetime import date
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.formats import number_text
from core.pdf import Spacer, day, eur, facts, mm, para, render, styles, table
from grants.models import AgreementVersionKind, BudgetHeading

from ..models import TrancheKind


def _amount(value):
    return eur(Decimal(value)) if value not in (None, "") else ""


def _day(value):
    if not value:
        return "—"
    return day(value if isinstance(value, date) else date.fromisoformat(value))


def _period(snapshot):
    start, end, months = _day(snapshot["start_date"]), _day(snapshot["end_date"]), snapshot["duration_months"]
    if not months:
        return _("%(start)s to %(end)s") % {"start": start, "end": end}
    return ngettext("%(start)s to %(end)s (%(months)s month)", "%(start)s to %(end)s (%(months)s months)", months) % {
        "start": start, "end": end, "months": months}


def _label(choices, value):
    return str(choices(value).label) if value in choices.values else value


def _condition(tranche):
    if tranche["kind"] == TrancheKind.PREFINANCING:
        return _("On signature of the agreement.")
    if tranche["kind"] == TrancheKind.FURTHER:
        return _("After approval of the interim report of period %(n)s, subject to the expenditure rule.") % {"n": tranche["after_period"]}
    return _("After approval of the final report: the accepted expenditure less the payments made.")


def _by_heading(lines):
    """Totals per heading, from the lines: the labels in the document's language, whatever it was signed in."""
    totals = {}
    for line in lines:
        totals[line["heading"]] = totals.get(line["heading"], Decimal("0")) + Decimal(line["total"])
    return [(_label(BudgetHeading, key), total) for key, total in sorted(totals.items())]  # headings "1" to "6"


def _budget(snapshot, st):
    budget = snapshot["budget"]
    rows = [[para(h, st["cell_bold"]) for h in (_("Heading"), _("Description"), _("Unit"), _("Quantity"), _("Unit cost"), _("Total"))]]
    for line in budget["lines"]:
        rows.append([
            para(_label(BudgetHeading, line["heading"]), st["cell"]), para(line["description"], st["cell"]),
            para(line["unit"], st["cell"]), para(number_text(Decimal(line["quantity"])), st["num"]),
            para(_amount(line["unit_cost"]), st["num"]), para(_amount(line["total"]), st["num"]),
        ])
    lines_table = table(rows, [32 * mm, 50 * mm, 18 * mm, 18 * mm, 27 * mm, 27 * mm])
    totals = [
        *_by_heading(budget["lines"]),
        (_("Direct costs"), budget["direct"]),
        (_("Indirect costs"), budget["indirect"]),
        (_("Contingency reserve"), budget["contingency"]),
        (_("Total costs of the action"), budget["total"]),
        (_("Own contribution"), budget["own_contribution"]),
        (_("Third-party contribution"), budget["third_party_contribution"]),
        (_("Grant amount"), snapshot["amount"]),
    ]
    totals_table = table(
        [[para(label, st["cell_bold"]), para(_amount(amount), st["num_bold"])] for label, amount in totals],
        [120 * mm, 52 * mm], header=False, total_row=True,
    )
    return [para(_("Annex I – Budget of the action"), st["h2"]), lines_table, Spacer(1, 3 * mm), totals_table]


def _schedule(snapshot, st):
    rows = [[para(h, st["cell_bold"]) for h in (_("Tranche"), _("Kind"), _("Amount"), _("Condition"), _("Expected"))]]
    for tranche in snapshot["schedule"]:
        rows.append([
            para(tranche["number"], st["cell"]), para(_label(TrancheKind, tranche["kind"]), st["cell"]),
            para(_amount(tranche["amount"]), st["num"]), para(_condition(tranche), st["cell"]),
            para(_day(tranche["expected_on"]), st["cell"]),
        ])
    story = [para(_("Annex II – Payment schedule"), st["h2"])]
    if len(rows) == 1:
        return [*story, para(_("The schedule is set once the dates and the amount are agreed."), st["body"])]
    total = sum((Decimal(t["amount"]) for t in snapshot["schedule"]), Decimal(0))
    rows.append([para(_("Total"), st["cell_bold"]), "", para(eur(total), st["num_bold"]), "", ""])
    return [*story, table(rows, [16 * mm, 38 * mm, 32 * mm, 60 * mm, 26 * mm], total_row=True)]


def agreement_pdf_bytes(snapshot, *, version=None, draft=False) -> bytes:
    """The agreement of `snapshot` as PDF bytes; `version` (an AgreementVersion) names the version shown."""
    st = styles()
    parties = snapshot["parties"]
    grantee = parties["grantee"]
    story = [para(_("Grant agreement %(ref)s") % {"ref": snapshot["reference"]}, st["title"]), para(snapshot["title"], st["body"])]
    if draft:
        story.append(para(_("DRAFT – not signed; for discussion only."), st["h2"]))
    elif version is not None:
        story.append(para(
            _("Version %(n)s: %(kind)s, recorded %(day)s") % {
                "n": version.number, "kind": _label(AgreementVersionKind, version.kind), "day": _day(version.created_at.date())},
            st["small"],
        ))
        if version.reason:
            story.append(para(_("Reason: %(reason)s") % {"reason": version.reason}, st["small"]))
    story += [
        para(_("The parties"), st["h2"]),
        facts([
            (_("Contracting authority"), _("%(agency)s, managing %(programme)s") % {"agency": parties["agency"], "programme": parties["programme"]}),
            (_("Funded by"), parties["donor"]),
            (_("Grantee"), f"{grantee['legal_name']} ({grantee['acronym']}), {grantee['country']}" if grantee["acronym"] else grantee["legal_name"]),
        ], st),
        para(_("The grant"), st["h2"]),
        facts([
            (_("Call for proposals"), f"{snapshot['call']['reference']} – {snapshot['call']['title']}"),
            (_("Maximum grant amount"), _amount(snapshot["amount"])),
            (_("Implementation period"), _period(snapshot)),
            (_("Country"), snapshot["country"] or "—"),
            (_("Objective"), snapshot["objective"] or "—"),
            (_("Currency of the financial reports"), snapshot["reporting_currency"]),
            (_("Signed on"), _day(snapshot["signed_on"])),
            (_("Signed for the grantee by"), snapshot["grantee_signatory"] or "—"),
        ], st),
        para(_("Special conditions"), st["h2"]),
        para(snapshot["special_conditions"] or _("None."), st["body"]),
        Spacer(1, 4 * mm),
        *_budget(snapshot, st),
        Spacer(1, 4 * mm),
        *_schedule(snapshot, st),
    ]
    footer = f"{snapshot['reference']} · " + (_("DRAFT") if draft else _("version %(n)s") % {"n": version.number if version else snapshot["version"]})
    return render(story, title=_("Grant agreement %(ref)s") % {"ref": snapshot["reference"]}, footer=footer)
