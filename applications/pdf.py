"""The PDF copy of a submitted application (reportlab), rendered from the saved record."""
from django.utils.translation import gettext as _

from core.formats import number_text
from core.pdf import Spacer, day, eur, facts, mm, para, render, styles, table, utc

from grants.budget import summarise


def application_pdf(application) -> bytes:
    st = styles()
    call = application.call
    lines = list(application.budget_lines.all())
    rows = list(application.logframe_rows.all())
    budget = summarise(application, lines)
    countries = ", ".join(c.name for c in application.countries.all())
    story = [
        para(_("Application %(ref)s") % {"ref": application.reference or _("(draft)")}, st["title"]),
        para(f"{call.programme} · {call.reference} – {call.title}", st["body"]),
        Spacer(1, 4 * mm),
        facts(
            [
                (_("Applicant"), f"{application.organisation.legal_name} ({application.organisation.country.name})"),
                (_("Title of the action"), application.title),
                (_("Objective"), str(application.objective or "")),
                (_("Countries"), countries),
                (_("Implementation period"), f"{day(application.start_date)} – {day(application.end_date)}"),
                (_("Amount requested"), eur(application.requested_amount if application.requested_amount is not None else budget.requested)),
                (_("Submitted"), utc(application.submitted_at)),
                (_("Submitted by"), application.submitted_by.email if application.submitted_by else ""),
            ],
            st,
        ),
        para(_("Summary"), st["h2"]),
        para(application.summary, st["body"]),
        para(_("Target beneficiaries (counted, never named)"), st["h2"]),
        table(
            [[para(h, st["cell_bold"]) for h in (_("Women"), _("Men"), _("Girls"), _("Boys"), _("of whom victims of trafficking"), _("of whom smuggled migrants"))]]
            + [[para(getattr(application, f) or 0, st["num"]) for f in ("women", "men", "girls", "boys", "victims_of_trafficking", "smuggled_migrants")]],
            [30 * mm] * 4 + [30 * mm, 30 * mm],
        ),
        para(_("Logical framework"), st["h2"]),
        table(
            [[para(h, st["cell_bold"]) for h in (_("Level"), _("Result"), _("Indicator"), _("Baseline"), _("Target"))]]
            + [
                [para(r.get_level_display(), st["cell"]), para(r.statement, st["cell"]), para(r.indicator, st["cell"]),
                 para(number_text(r.baseline), st["num"]), para(number_text(r.target), st["num"])]
                for r in rows
            ],
            [20 * mm, 62 * mm, 58 * mm, 20 * mm, 20 * mm],
        ),
        para(_("Budget (EUR)"), st["h2"]),
        table(
            [[para(h, st["cell_bold"]) for h in (_("Heading"), _("Description"), _("Unit"), _("Quantity"), _("Unit cost"), _("Total"))]]
            + [
                [para(line.get_heading_display(), st["cell"]), para(line.description, st["cell"]), para(line.unit, st["cell"]),
                 para(number_text(line.quantity), st["num"]), para(eur(line.unit_cost), st["num"]), para(eur(line.total), st["num"])]
                for line in lines
            ],
            [32 * mm, 54 * mm, 18 * mm, 18 * mm, 29 * mm, 29 * mm],
        ),
        Spacer(1, 3 * mm),
        table(
            [
                [para(_("Direct costs"), st["cell"]), para(eur(budget.direct), st["num"])],
                [para(_("Indirect costs (%(pct)s%% of direct)") % {"pct": budget.indirect_percent}, st["cell"]), para(eur(budget.indirect), st["num"])],
                [para(_("Contingency (%(pct)s%% of direct)") % {"pct": budget.contingency_percent}, st["cell"]), para(eur(budget.contingency), st["num"])],
                [para(_("Total costs of the action"), st["cell_bold"]), para(eur(budget.total), st["num_bold"])],
                [para(_("Own contribution"), st["cell"]), para(eur(budget.own_contribution), st["num"])],
                [para(_("Third-party contribution"), st["cell"]), para(eur(budget.third_party_contribution), st["num"])],
                [para(_("Co-financing (%(pct)s%% of total)") % {"pct": budget.cofinancing_percent}, st["cell"]), para(eur(budget.cofinancing), st["num"])],
                [para(_("Amount requested"), st["cell_bold"]), para(eur(budget.requested), st["num_bold"])],
            ],
            [120 * mm, 60 * mm],
            header=False,
            total_row=True,
        ),
        para(_("Attachments"), st["h2"]),
    ]
    attachments = list(application.attachments.all())
    story.append(
        table(
            [[para(a.title, st["cell"]), para(a.original_name, st["cell"]), para(f"{number_text(a.size)} B", st["num"])] for a in attachments],
            [80 * mm, 75 * mm, 25 * mm], header=False,
        ) if attachments else para(_("None"), st["body"])
    )
    return render(
        story,
        title=application.reference or application.title,
        footer=_("CSO Grants · %(ref)s · copy of the application as submitted") % {"ref": application.reference},
    )
