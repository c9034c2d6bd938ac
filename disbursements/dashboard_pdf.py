"""The donor's envelope status report: the dashboard's figures as a PDF (tables), dated."""
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.formats import number_text
from core.pdf import Spacer, eur, facts, mm, para, render, styles, table


def _amount_table(header, rows, widths, st, total=None):
    """A table of a label column and amount columns; `total` is an optional last row of the same shape."""
    data = [[para(h, st["cell_bold"]) for h in header]]
    body = rows + ([total] if total else [])
    for i, row in enumerate(body):
        bold = total is not None and i == len(body) - 1
        data.append([para(row[0], st["cell_bold" if bold else "cell"])]
                    + [para(v if isinstance(v, str) else eur(v), st["num_bold" if bold else "num"]) for v in row[1:]])
    return table(data, widths, total_row=total is not None)


def status_report_pdf(d) -> bytes:
    st = styles()
    p = d.position
    programme = d.programme
    day = date_format(d.as_of, "DATE_FORMAT")
    story = [
        para(_("%(programme)s: envelope status report") % {"programme": programme.short_name}, st["title"]),
        para(_("%(name)s. Donor: %(donor)s. Managed by %(agency)s. Report date: %(day)s. All amounts in EUR.")
             % {"name": programme.name, "donor": programme.donor, "agency": programme.agency, "day": day}, st["small"]),
        Spacer(1, 3 * mm),
        para(_("Overall"), st["h2"]),
        facts([
            (_("Envelope"), eur(p.envelope)),
            (_("Allocated to calls"), eur(p.allocated)),
            (_("Committed to grants"), eur(p.committed)),
            (_("Disbursed (net of reversals)"), eur(p.disbursed)),
            (_("Available to allocate"), eur(p.available)),
            (_("Committed, not disbursed"), eur(d.committed_not_disbursed)),
            (_("Outstanding advances (paid, not yet justified)"), eur(d.ageing.total)),
        ], st),
        para(_("By call"), st["h2"]),
        _amount_table(
            [_("Call"), _("Allocated"), _("Committed"), _("Disbursed"), _("Available")],
            [[f"{c.call.reference} {c.call.title}", c.allocated, c.committed, c.disbursed, c.available] for c in p.calls],
            (46 * mm, 31 * mm, 31 * mm, 31 * mm, 31 * mm), st,
            total=[_("Total"), p.allocated, p.committed, p.disbursed, d.allocated_not_committed],
        ),
    ]
    for heading, column, rows in ((_("By country"), _("Country"), d.by_country), (_("By objective"), _("Objective"), d.by_objective)):
        story += [
            para(heading, st["h2"]),
            para(_("Allocated: per call only."), st["small"]),
            _amount_table(
                [column, _("Committed"), _("Disbursed"), _("Not yet disbursed")],
                [[r.label, r.committed, r.disbursed, r.undisbursed] for r in rows],
                (74 * mm, 32 * mm, 32 * mm, 32 * mm), st,
                total=[_("Total"), p.committed, p.disbursed, d.committed_not_disbursed],
            ),
        ]
    story += [
        para(_("Disbursements by month"), st["h2"]),
        para(_("Payments count in the month of their value date; reversals in the month they were recorded."), st["small"]),
        _amount_table(
            [_("Month"), _("Net disbursed"), _("Cumulative"), _("Share of the envelope")],
            [[date_format(m.month, "YEAR_MONTH_FORMAT"), m.net, m.cumulative,
              f"{number_text(m.cumulative * 100 / p.envelope, 1)} %" if p.envelope else ""] for m in d.months_with_movement],
            (58 * mm, 38 * mm, 38 * mm, 36 * mm), st,
        ),
        para(_("Outstanding advances by age"), st["h2"]),
        para(_("Approved expenditure clears the oldest payments first; the rest ages from its value date, in whole months."), st["small"]),
        _amount_table(
            [_("Age"), _("Outstanding")],
            [[str(b.label), b.amount] for b in d.ageing.buckets],
            (86 * mm, 38 * mm), st,
            total=[_("Total"), d.ageing.total],
        ),
    ]
    if d.ageing.advances:
        story += [
            para(_("Outstanding advances by grant"), st["h2"]),
            _amount_table(
                [_("Grant"), _("Paid"), _("Approved expenditure"), _("Outstanding"), _("Oldest unjustified payment")],
                [[f"{a.reference} {a.organisation}", a.paid, a.approved, a.outstanding,
                  ngettext("%(day)s (%(months)s month)", "%(day)s (%(months)s months)", a.age_months)
                  % {"day": date_format(a.oldest, "DATE_FORMAT"), "months": a.age_months}]
                 for a in d.ageing.advances],
                (50 * mm, 31 * mm, 31 * mm, 31 * mm, 37 * mm), st,
            ),
        ]
    title = _("Envelope status report")
    return render(story, title=title, footer=f"{programme.code} · {title} · {day}")
