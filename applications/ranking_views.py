"""The officer's ranking of a call: scores, divergence, moderation, the award proposal and confirmed decisions."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import roles as R
from accounts.access import has_role, require_role
from core import csvfiles
from core.documents import document_language, pdf_response
from core.errors import DomainError
from grants.models import Call, CallStatus, Grant, GridStage

from .awards import award_decide, award_proposal, score_moderate
from .forms import AwardDecisionForm, ModerationForm
from .models import Application
from .review.documents import committee_report_pdf, decision_letter_pdf
from .views import _readable_application

DECIDERS = (R.PROGRAMME_OFFICER, R.ADMINISTRATOR)


def _call(request, call_pk):
    require_role(request.user, *R.STAFF_ROLES)
    return get_object_or_404(Call.objects.select_related("programme").exclude(status=CallStatus.DRAFT), pk=call_pk)


def _stage(request, call):
    """Which stage's ranking: full applications, or concept notes for a call that has that stage (?stage=concept_note)."""
    if call.has_concept_note_stage and request.GET.get("stage") == GridStage.CONCEPT_NOTE:
        return GridStage.CONCEPT_NOTE
    return GridStage.FULL_APPLICATION


@login_required
def ranking(request, call_pk):
    call = _call(request, call_pk)
    stage = _stage(request, call)
    results, proposals, remaining = award_proposal(call, stage)
    sections = list(results.grid.sections.all()) if results.grid else []
    # An award makes a draft agreement under the application's reference: one query finds those that exist.
    agreements = set(Grant.objects.filter(call=call, reference__in=[p.result.application.reference for p in proposals])
                     .values_list("reference", flat=True))
    rows = [
        {
            "proposal": p,
            "result": p.result,
            "sections": [p.result.sections.get(s.pk) for s in sections],
            "decision": getattr(p.result.application, "award_decision", None),
            "agreement": p.result.application.reference if p.result.application.reference in agreements else None,
            "form": AwardDecisionForm(initial={"outcome": p.outcome}, prefix=f"d{p.result.application.pk}", stage=stage),
            # Same field names in every row (the view reads them unprefixed), distinct ids so each label finds its field.
            "moderation_form": ModerationForm(auto_id=f"id_m{p.result.application.pk}_%s"),
        }
        for p in proposals
    ]
    return render(
        request,
        "applications/ranking.html",
        {
            "call": call, "stage": stage, "results": results, "rows": rows, "sections": sections, "remaining": remaining,
            "grid_max": sum(results.section_maxima.values()), "can_decide": has_role(request.user, *DECIDERS),
            # rank, application, reviews, mean, normalised, one per section, requested, proposal, decision
            "columns": 8 + len(sections),
        },
    )


def _decider_application(request, call_pk, application_pk):
    call = _call(request, call_pk)
    if not has_role(request.user, *DECIDERS):
        raise PermissionDenied
    return get_object_or_404(Application.objects.select_related("organisation"), pk=application_pk, call=call)


@login_required
@require_POST
def decide(request, call_pk, application_pk):
    application = _decider_application(request, call_pk, application_pk)
    form = AwardDecisionForm(request.POST, prefix=f"d{application.pk}", stage=application.stage)
    if form.is_valid():
        try:
            award_decide(actor=request.user, application=application, **form.cleaned_data)
        except DomainError as exc:
            messages.error(request, f"{application.reference}: {exc.message}")
        else:
            messages.success(request, _("%(ref)s: decision recorded.") % {"ref": application.reference})
    else:
        messages.error(request, f"{application.reference}: " + " ".join(e for errors in form.errors.values() for e in errors))
    return redirect(f"{reverse('ranking', args=[call_pk])}?stage={application.stage}#a{application.pk}")


@login_required
@require_POST
def moderate(request, call_pk, application_pk):
    application = _decider_application(request, call_pk, application_pk)
    form = ModerationForm(request.POST)
    if form.is_valid():
        try:
            score_moderate(actor=request.user, application=application, **form.cleaned_data)
        except DomainError as exc:
            messages.error(request, f"{application.reference}: {exc.message}")
        else:
            messages.success(request, _("%(ref)s: moderated total recorded.") % {"ref": application.reference})
    else:
        messages.error(request, f"{application.reference}: " + " ".join(e for errors in form.errors.values() for e in errors))
    return redirect(f"{reverse('ranking', args=[call_pk])}?stage={application.stage}#a{application.pk}")


@login_required
def ranking_csv(request, call_pk):
    call = _call(request, call_pk)
    stage = _stage(request, call)
    results, proposals, _remaining = award_proposal(call, stage)
    sections = list(results.grid.sections.all()) if results.grid else []
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="ranking-{call.programme.code}-{call.reference}-{stage}.csv"'
    writer = csvfiles.writer(response)
    writer.writerow(
        ["rank", "reference", "applicant", "country", "reviews", "raw_total", "normalised_total", "moderated_total"]
        + [f"section_{s.position + 1}" for s in sections]
        + ["spread", "divergent", "eliminated", "requested_eur", "proposal", "decision", "amount_awarded_eur"]
    )
    for p in proposals:
        r = p.result
        decision = getattr(r.application, "award_decision", None)
        writer.writerow(
            [r.rank or "", r.application.reference, r.application.organisation.legal_name, r.application.organisation.country.code,
             r.review_count, r.raw_total, r.normalised_total, r.moderated_total if r.moderated_total is not None else ""]
            + [r.sections.get(s.pk, "") for s in sections]
            + [r.spread, "yes" if r.divergent else "no", "; ".join(_elimination_text(e) for e in r.eliminated),
               r.application.requested_amount, p.outcome, decision.outcome if decision else "",
               decision.amount if decision and decision.amount is not None else ""]
        )
    return response


def _elimination_text(reason):
    kind, detail = reason
    if kind == "section":
        return _("below the threshold of %(section)s") % {"section": detail.title}
    return _("below the pass mark of %(mark)s") % {"mark": detail}


@login_required
def committee_report(request, call_pk):
    call = _call(request, call_pk)
    stage = _stage(request, call)
    language = document_language(request)
    with translation.override(language):
        data = committee_report_pdf(call, stage)
    return pdf_response(data, f"committee-report-{call.programme.code}-{call.reference}-{stage}-{language}.pdf")


@login_required
def decision_letter(request, pk):
    """The decision letter: for the applicant's members and programme staff, once a decision is recorded."""
    application = _readable_application(request.user, pk)
    if not hasattr(application, "award_decision"):
        raise Http404
    # The letter is written to the applicant: in their language unless another is asked for.
    language = document_language(request, default=application.submitted_by.language if application.submitted_by else None)
    with translation.override(language):
        data = decision_letter_pdf(application)
    return pdf_response(data, f"{application.reference}-decision-{language}.pdf")
