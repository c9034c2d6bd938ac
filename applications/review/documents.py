"""PDF documents of the review (reportlab): the evaluation committee report of a call, and the letter telling
an applicant the decision. Both render saved data; the letter never names a reviewer."""
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from core.pdf import Spacer, eur, mm, para, render, styles, table, utc

from ..aggregation import call_results, counted_scores
from ..awards import award_proposal
from grants.models import GridStage

from ..models import AwardDecision, AwardOutcome, ConflictDeclaration, Review, Score


def _criteria(grid):
    return [(section, criterion) for section in grid.sections.all() for criterion in section.criteria.all()] if grid else []


def _counted_reviews(call, stage, application_ids=None):
    """Counted reviews with their scores and reviewer, by application id (same rule as the aggregation)."""
    scores = counted_scores(call, stage)
    if application_ids is not None:
        scores = scores.filter(review__assignment__application_id__in=application_ids)
    review_ids = scores.values("review_id").distinct()
    reviews = (
        Review.objects.filter(pk__in=review_ids)
        .select_related("assignment__reviewer", "assignment__application")
        .prefetch_related(Prefetch("scores", queryset=Score.objects.select_related("criterion")))
        .order_by("assignment__application_id", "assignment__reviewer_id")
    )
    by_application = {}
    for review in reviews:
        by_application.setdefault(review.assignment.application_id, []).append(review)
    return by_application


def committee_report_pdf(call, stage=GridStage.FULL_APPLICATION) -> bytes:
    """For the programme and the donor: grid, ranking, every reviewer's scores by name, conflicts, decisions."""
    st = styles()
    results, proposals, remaining = award_proposal(call, stage)
    grid = results.grid
    sections = list(grid.sections.all()) if grid else []
    story = [
        para(_("Evaluation committee report") + (" – " + _("concept notes") if stage == GridStage.CONCEPT_NOTE else ""), st["title"]),
        para(f"{call.programme} · {call.reference} – {call.title}", st["body"]),
        para(_("Produced on %(when)s") % {"when": utc(timezone.now())}, st["small"]),
        Spacer(1, 4 * mm),
        para(_("Evaluation grid"), st["h2"]),
    ]
    if grid:
        story.append(table(
            [[para(h, st["cell_bold"]) for h in (_("Section"), _("Criterion"), _("Scale"), _("Multiplier"), _("Maximum"))]]
            + [[para(s.title, st["cell"]), para(c.title, st["cell"]), para(f"{c.scale_min}–{c.scale_max}", st["num"]),
                para(f"×{c.multiplier}", st["num"]), para(c.max_points, st["num"])] for s, c in _criteria(grid)],
            [38 * mm, 82 * mm, 18 * mm, 22 * mm, 20 * mm],
        ))
        thresholds = [f"{s.title}: {s.threshold}" for s in sections if s.threshold is not None]
        story.append(para(
            _("Total %(max)s. Thresholds: %(t)s. Pass mark: %(p)s. Ranked by: %(basis)s.")
            % {"max": sum(results.section_maxima.values()), "t": "; ".join(thresholds) or _("none"),
               "p": grid.pass_mark if grid.pass_mark is not None else _("none"), "basis": call.get_ranking_basis_display()},
            st["small"],
        ))
    story += [para(_("Ranking and decisions"), st["h2"])]
    rows = [[para(h, st["cell_bold"]) for h in (_("Rank"), _("Application"), _("Mean"), _("Normalised"), _("Proposal"), _("Decision and justification"))]]
    decisions = {d.application_id: d for d in AwardDecision.objects.filter(application__call=call, application__stage=stage)}
    for p in proposals:
        r = p.result
        decision = decisions.get(r.application.pk)
        decided = ""
        if decision:
            decided = f"{decision.get_outcome_display()}" + (f" {eur(decision.amount)}" if decision.amount else "") + f": {decision.justification}"
        eliminated = "; ".join(_("below the threshold of %(s)s") % {"s": d.title} if k == "section" else _("below the pass mark") for k, d in r.eliminated)
        rows.append([
            para(r.rank or "—", st["num"]),
            para(f"{r.application.reference}\n{r.application.organisation_name}", st["cell"]),
            para(r.moderated_total if r.moderated_total is not None else r.raw_total, st["num"]),
            para(r.normalised_total, st["num"]),
            para(f"{p.label}" + (f" ({eliminated})" if eliminated else "") + (" · " + _("divergent") if r.divergent else ""), st["cell"]),
            para(decided, st["cell"]),
        ])
    story.append(table(rows, [12 * mm, 46 * mm, 15 * mm, 21 * mm, 36 * mm, 50 * mm]))
    story.append(para(_("Left in the call's allocation after the proposal: %(amount)s") % {"amount": eur(remaining)}, st["small"]))

    story.append(para(_("Scores by reviewer"), st["h2"]))
    reviews = _counted_reviews(call, stage)
    header = [para(_("Reviewer"), st["cell_bold"])] + [para(str(i + 1), st["num"]) for i in range(len(sections))] + [para(_("Comments"), st["cell_bold"])]
    for r in results.ranked + results.eliminated:
        story.append(para(f"{r.application.reference} – {r.application.title}", st["cell_bold"]))
        body = [header]
        for review in reviews.get(r.application.pk, []):
            per_section = next((x for x in r.reviews if x.review_id == review.pk), None)
            comments = " ".join(s.comment for s in review.scores.all() if s.comment)
            body.append(
                [para(review.assignment.reviewer.get_full_name(), st["cell"])]
                + [para(round(per_section.sections[s.pk], 2) if per_section and s.pk in per_section.sections else "n/a", st["num"]) for s in sections]
                + [para(comments, st["cell"])]
            )
        width = 180 * mm - 40 * mm - 14 * mm * len(sections)
        story.append(table(body, [40 * mm] + [14 * mm] * len(sections) + [width]))
        story.append(Spacer(1, 2 * mm))

    story.append(para(_("Conflicts of interest declared"), st["h2"]))
    conflicts = (
        ConflictDeclaration.objects.filter(application__call=call, application__stage=stage, has_conflict=True)
        .select_related("application", "reviewer", "declared_by")
        .order_by("application__sequence", "reviewer__email")
    )
    conflict_rows = [[para(h, st["cell_bold"]) for h in (_("Application"), _("Reviewer"), _("Reason"), _("Recorded by"))]] + [
        [para(c.application.reference, st["cell"]), para(c.reviewer.get_full_name(), st["cell"]), para(c.reason, st["cell"]),
         para(c.declared_by.get_full_name(), st["cell"])]
        for c in conflicts
    ]
    story.append(table(conflict_rows, [35 * mm, 40 * mm, 70 * mm, 35 * mm]) if len(conflict_rows) > 1 else para(_("None."), st["body"]))
    return render(story, title=_("Evaluation committee report"), footer=f"CSO Grants · {call.programme.code} {call.reference} · {_('committee report')}")


def decision_letter_pdf(application) -> bytes:
    """The applicant's letter: the decision, its scores by section, and the reviewers' comments, anonymised."""
    st = styles()
    decision = application.award_decision
    results = call_results(application.call, application.stage)
    result = next(r for r in results.results if r.application.pk == application.pk)
    sections = list(results.grid.sections.all()) if results.grid else []
    organisation = application.organisation
    if decision.outcome == AwardOutcome.SHORTLIST:
        opening = _("We are pleased to inform you that your concept note has been shortlisted: you are invited to submit a full application.")
        closing = _("The full application is due by %(deadline)s.") % {"deadline": utc(application.call.closes_at)}
    elif decision.outcome == AwardOutcome.AWARD:
        opening = _("We are pleased to inform you that the evaluation committee has selected your proposal for a grant of %(amount)s.") % {"amount": eur(decision.amount)}
        closing = _("The programme team will contact you to prepare the grant agreement.")
    elif decision.outcome == AwardOutcome.RESERVE:
        opening = _("Your proposal has been placed on the reserve list. It may be funded if resources become available.")
        closing = _("We will write to you again when the reserve list is closed.")
    else:
        opening = _("We regret to inform you that your proposal has not been selected for funding.")
        closing = _("We thank you for your interest and encourage you to apply to future calls.")
    story = [
        para(_("Decision on your application"), st["title"]),
        para(utc(decision.decided_at)[:10], st["small"]),
        Spacer(1, 3 * mm),
        para(organisation.legal_name, st["body"]),
        para(organisation.address or organisation.country.name, st["body"]),
        Spacer(1, 6 * mm),
        para(_("Call %(ref)s – %(title)s") % {"ref": application.call.reference, "title": application.call.title}, st["h2"]),
        para(_("Application %(ref)s: %(title)s") % {"ref": application.reference, "title": application.title}, st["body"]),
        Spacer(1, 3 * mm),
        para(opening, st["body"]),
        para(_("Reasons: %(text)s") % {"text": decision.justification}, st["body"]),
        para(_("Your scores"), st["h2"]),
        table(
            [[para(_("Section"), st["cell_bold"]), para(_("Mean score"), st["num_bold"]), para(_("Maximum"), st["num_bold"])]]
            + [[para(s.title, st["cell"]), para(result.sections.get(s.pk, "n/a"), st["num"]), para(results.section_maxima[s.pk], st["num"])] for s in sections]
            + [[para(_("Total"), st["cell_bold"]), para(result.score(application.call.ranking_basis), st["num_bold"]), para(sum(results.section_maxima.values()), st["num_bold"])]],
            [110 * mm, 35 * mm, 35 * mm],
        ),
        para(_("Reviewers' comments"), st["h2"]),
    ]
    for index, review in enumerate(_counted_reviews(application.call, application.stage, [application.pk]).get(application.pk, [])):
        label = _("Reviewer %(letter)s") % {"letter": chr(ord("A") + index)}
        comments = [f"{s.criterion.title}: {s.comment}" for s in review.scores.all() if s.comment]
        if review.overall_comment:
            comments.append(review.overall_comment)
        story.append(para(label, st["cell_bold"]))
        story.append(para("\n".join(comments) or _("No comment."), st["body"]))
    story += [Spacer(1, 4 * mm), para(closing, st["body"]), Spacer(1, 6 * mm),
              para(_("The programme team, %(programme)s") % {"programme": application.call.programme.name}, st["body"])]
    return render(story, title=application.reference, footer=f"CSO Grants · {application.reference} · {decision.get_outcome_display()}")
