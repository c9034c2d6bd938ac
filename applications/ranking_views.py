"""The officer's ranking of a call: scores, divergence, moderation, the award proposal and confirmed decisions."""
from collections import Counter

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accounts import roles as R
from accounts.access import has_role, require_role
from core import csvfiles
from core.converters import as_id
from core.documents import document_language, pdf_response
from core.errors import DomainError
from grants.models import Call, CallStatus, Grant, GridStage
from lists.listing import ListSpec, state_for
from lists.search import search

from .aggregation import section_means
from .awards import ELIMINATED, FUNDED, RESERVE, award_decide, award_proposal, awards_confirm_proposal, proposal_board, score_moderate
from .forms import AwardDecisionForm, ModerationForm
from .models import Application, ApplicationStatus
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


TABS = (
    (FUNDED, _lazy("Above the funding line")), (RESERVE, _lazy("Reserve list")), (ELIMINATED, _lazy("Eliminated")),
    ("all", _lazy("All")),
)
# The ranking is in rank order; the list framework gives it its page size, paging and search.
RANKING_LIST = ListSpec(
    name="ranking", columns=(), search_fields=("reference", "organisation__legal_name"),
    search_label=_lazy("Reference or applicant"), default_page_size=25,
)


def _elimination_labels(reasons, titles):
    return [_("Below the threshold of %(s)s") % {"s": titles.get(detail, "")} if kind == "section"
            else _("Below the pass mark of %(m)s") % {"m": detail} for kind, detail in reasons]


@login_required
def ranking(request, call_pk):
    """The call's award proposal on its cached ranking, shown a tab and a page at a time: a fixed number of queries
    whatever the size of the call. A row's section scores are computed when asked for (?sections=<id>)."""
    call = _call(request, call_pk)
    stage = _stage(request, call)
    board = proposal_board(call, stage)
    state, _choices = state_for(RANKING_LIST, request.GET)
    tab = request.GET.get("tab", FUNDED)
    tab = tab if tab in dict(TABS) else FUNDED
    matching = None
    if state.q:
        found = search(Application.objects.filter(call=call, stage=stage), RANKING_LIST.search_fields, state.q)
        matching = set(found.order_by().values_list("pk", flat=True))
    everywhere = board.positions(ids=matching)
    counts = Counter(board.tabs[i] for i in everywhere)
    extra = {"stage": stage if call.has_concept_note_stage else None}
    tabs = [{"name": name, "label": label, "count": len(everywhere) if name == "all" else counts[name[0]],
             "query": state.query(page=None, tab=name, **extra)} for name, label in TABS]
    page = Paginator(everywhere if tab == "all" else board.positions(tab, matching), state.per_page).get_page(state.page)
    shown = [board.entry(i) for i in page]
    applications = (
        Application.objects.filter(call=call, pk__in=[p.row.application_id for p in shown])
        .select_related("organisation", "award_decision").in_bulk()
    )
    # An award makes a draft agreement under the application's reference: one query finds those that exist.
    agreements = set(Grant.objects.filter(call=call, reference__in=[a.reference for a in applications.values()])
                     .values_list("reference", flat=True))
    query = state.query(page=None, tab=tab, **extra)
    expanded = as_id(request.GET.get("sections"))
    titles = {pk: title for pk, title, _threshold in board.sections}
    can_decide = has_role(request.user, *DECIDERS)
    rows = []
    for p in shown:
        application = applications[p.row.application_id]
        application.call = call
        decidable = can_decide and application.status in (ApplicationStatus.ELIGIBLE, ApplicationStatus.RESERVE)
        rows.append({
            "proposal": p, "r": p.row, "application": application,
            "decision": getattr(application, "award_decision", None),
            "agreement": application.reference if application.reference in agreements else None,
            "eliminated": _elimination_labels(p.row.eliminated, titles),
            "sections": section_means(application) if application.pk == expanded else None,
            "sections_query": f"{query}&page={page.number}&sections={application.pk}",
            "form": decidable and AwardDecisionForm(initial={"outcome": p.outcome}, prefix=f"d{application.pk}", stage=stage),
            # Same field names in every row (the view reads them unprefixed), distinct ids so each label finds its field.
            "moderation_form": decidable and (p.row.divergent or p.row.moderated_total is not None)
            and ModerationForm(auto_id=f"id_m{application.pk}_%s"),
        })
    return render(
        request,
        "applications/ranking.html",
        {
            "call": call, "stage": stage, "board": board, "rows": rows, "to_confirm": len(board.confirm), "page": page,
            "query": query, "tab": tab, "tabs": tabs, "state": state, "can_decide": can_decide,
            "search_label": RANKING_LIST.search_label, "default_page_size": RANKING_LIST.default_page_size, "columns": 8,
        },
    )


@login_required
@require_POST
def confirm_proposal(request, call_pk):
    """Confirm, in one go, every award the proposal makes; the ones refused are listed with the reason."""
    call = _call(request, call_pk)
    if not has_role(request.user, *DECIDERS):
        raise PermissionDenied
    stage = _stage(request, call)
    back = f"{reverse('ranking', args=[call.pk])}?stage={stage}"
    try:
        confirmed, refused = awards_confirm_proposal(
            actor=request.user, call=call, stage=stage, justification=request.POST.get("justification", ""),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    if confirmed:
        messages.success(request, ngettext("%(n)d decision recorded: %(refs)s.", "%(n)d decisions recorded: %(refs)s.", len(confirmed))
                         % {"n": len(confirmed), "refs": ", ".join(confirmed)})
    for reference, reason in refused:
        messages.error(request, _("%(ref)s was not confirmed: %(reason)s") % {"ref": reference, "reason": reason})
    if not confirmed and not refused:
        messages.info(request, _("The proposal has no award left to confirm."))
    return redirect(back)


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
        r, a = p.result, p.result.application
        writer.writerow(
            [r.rank or "", a.reference, a.organisation_name, a.country,
             r.review_count, r.raw_total, r.normalised_total, r.moderated_total if r.moderated_total is not None else ""]
            + [r.sections.get(s.pk, "") for s in sections]
            + [r.spread, "yes" if r.divergent else "no", "; ".join(_elimination_text(e) for e in r.eliminated),
               a.requested_amount, p.outcome, a.decision or "", a.decision_amount if a.decision_amount is not None else ""]
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
