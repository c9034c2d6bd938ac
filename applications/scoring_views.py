"""The reviewer's score sheet and the officer's view of the reviews of a call."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from accounts import roles as R
from accounts.access import require_role
from core.converters import as_id
from core.errors import DomainError
from grants.models import Call, CallStatus

from . import scoring, selectors
from grants.budget import summarise
from .models import Application, Review, ReviewStatus
from .review.selectors import application_for_reviewer
from .scoring_forms import ReopenForm, ScoreSheetForm, sheet_blocks


def _application_context(application):
    """What templates/applications/_read.html needs."""
    application = selectors.with_details(
        Application.objects.select_related(*selectors.LIST_RELATED, "objective")
    ).get(pk=application.pk)
    lines = list(application.budget_lines.all())
    return {"application": application, "lines": lines, "rows": list(application.logframe_rows.all()), "budget": summarise(application, lines)}


def _save_and_act(request, review, form):
    """Save the scores, then submit if asked. Returns a redirect, or re-renders with the problems on their criteria."""
    try:
        scoring.review_save(
            actor=request.user, review=review, scores=form.scores(), overall_comment=form.cleaned_data["overall_comment"]
        )
    except scoring.ScoresRefused as exc:
        form.add_problems(exc.problems)
        messages.error(request, exc.message)
        return None
    if request.POST.get("action") != "submit":
        messages.success(request, _("Your scores are saved. You can come back and change them until you submit."))
        return redirect("review_score", assignment_pk=review.assignment_id)
    try:
        scoring.review_submit(actor=request.user, review=review)
    except scoring.ScoresRefused as exc:
        form.add_problems(exc.problems)
        messages.error(request, _("Your scores are saved, but the review cannot be submitted yet: see the points marked below."))
        return None
    messages.success(request, _("Your review is submitted. It is now locked."))
    return redirect("review_score", assignment_pk=review.assignment_id)


@login_required
def review_score(request, assignment_pk):
    """The application, read-only, above the evaluation grid: score, comment, save, come back, submit."""
    require_role(request.user, R.REVIEWER)
    assignment = scoring.assignment_for_reviewer(request.user, assignment_pk)
    application = application_for_reviewer(request.user, assignment.application_id)
    try:
        review = scoring.review_open(actor=request.user, assignment=assignment)
    except DomainError as exc:
        return render(
            request, "applications/review/score_unavailable.html",
            {"application": application, "reason": exc.message}, status=400 if request.method == "POST" else 200,
        )
    editable, form, status = scoring.review_is_editable(review), None, 200
    if request.method == "POST":
        if not editable:
            messages.error(request, _("This review is locked: nothing was changed."))
            return redirect("review_score", assignment_pk=assignment.pk)
        form = ScoreSheetForm(request.POST, review=review, sheet=scoring.review_sheet(review))
        if form.is_valid():
            try:
                outcome = _save_and_act(request, review, form)
            except DomainError as exc:  # the rules changed under the reviewer's feet: the call reopened, a decision...
                form.add_error(None, exc.message)
                outcome = None
            if outcome is not None:
                return outcome
        else:
            messages.error(request, _("Nothing was saved: correct the scores marked below."))
        status = 400
    sheet = scoring.review_sheet(review)  # after a save, so the subtotals are the saved ones
    if editable and form is None:
        form = ScoreSheetForm(review=review, sheet=sheet)
    context = _application_context(application)
    context.update({
        "review": review, "form": form, "editable": editable,
        "blocks": sheet_blocks(sheet, form),
        "points": sum(s.points for s in sheet), "max_points": sum(s.max_points for s in sheet),
    })
    return render(request, "applications/review/score.html", context, status=status)


@login_required
def review_progress(request, call_pk):
    """Per application, its reviewers and where their reviews stand; a submitted review can be reopened."""
    require_role(request.user, *scoring.REOPENERS)
    call = get_object_or_404(Call.objects.select_related("programme").exclude(status=CallStatus.DRAFT), pk=call_pk)
    refused, status = None, 200
    if request.method == "POST":
        review_pk = as_id(request.POST.get("review"))
        if review_pk is None:
            raise Http404
        review = get_object_or_404(Review, pk=review_pk, assignment__application__call=call)
        refused = ReopenForm(request.POST, prefix=f"review-{review.pk}")
        if refused.is_valid():
            try:
                scoring.review_reopen(actor=request.user, review=review, reason=refused.cleaned_data["reason"])
            except DomainError as exc:
                refused.add_error("reason" if exc.field == "reason" else None, exc.message)
            else:
                messages.success(request, _("The review was reopened and its reviewer told by e-mail."))
                return redirect("review_progress", call_pk=call.pk)
        status = 400
    applications = list(scoring.call_review_progress(call))
    for application in applications:
        for assignment in application.active_assignments:
            review = getattr(assignment, "review", None)
            assignment.review_status = review.status if review else ""
            if assignment.review_status == ReviewStatus.SUBMITTED:
                assignment.reopen_form = refused if refused and refused.prefix == f"review-{review.pk}" else ReopenForm(prefix=f"review-{review.pk}")
    return render(request, "applications/review/score_progress.html", {"call": call, "applications": applications}, status=status)
