from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import roles as R
from accounts.access import require_role
from core.errors import DomainError
from grants.models import Call, CallStatus
from grants.selectors import call_for

from . import services
from .cutoffs import answer_cutoff, answers_open, question_cutoff, questions_open
from .forms import AnswerForm, AskForm, DeclineForm, MergeForm
from .models import CallQuestion, QuestionStatus
from .selectors import questions_of_call


def _refusal_on(form, exc):
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


@login_required
def question_ask(request, programme_code, reference):
    """Ask a question on a call (signed-in applicants). The call page holds the same form; this page also shows it
    again with the message on the field when something was wrong."""
    require_role(request.user, R.APPLICANT)
    call = call_for(request.user, programme_code=programme_code, reference=reference)
    form = AskForm(request.POST or None, user=request.user)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.question_ask(
                    actor=request.user, call=call, text=form.cleaned_data["text"], organisation=form.organisation
                )
            except DomainError as exc:
                _refusal_on(form, exc)
            else:
                messages.success(request, _("Your question was sent. Its answer will be published on this page."))
                return redirect(services.call_page_url(call))
    return render(
        request, "clarifications/ask.html",
        {
            "call": call, "form": form, "cutoff": question_cutoff(call),
            "is_open": questions_open(call, timezone.now()),
        },
        status=400 if form.errors else 200,
    )


def _officer_call(call_pk):
    return get_object_or_404(Call.objects.select_related("programme").exclude(status=CallStatus.DRAFT), pk=call_pk)


def _render_questions(request, call, *, failed=None, status=200):
    """The officers' page; `failed` is (question id, action, bound form) to show again with its messages."""
    questions = questions_of_call(call)
    published = [q for q in questions if q.status == QuestionStatus.PUBLISHED]
    waiting = [q for q in questions if q.status == QuestionStatus.ASKED]
    for question in questions:
        prefix = f"q{question.pk}"
        question.forms = {
            "publish": AnswerForm(prefix=prefix),
            "edit": AnswerForm(prefix=prefix, initial={"answer": question.answer}),
            "decline": DeclineForm(prefix=prefix),
            "merge": MergeForm(prefix=prefix, published=published),
        }
        if failed and failed[0] == question.pk:
            question.forms[failed[1]] = failed[2]
            question.failed = failed[1]
    return render(
        request, "clarifications/call_questions.html",
        {
            "call": call, "waiting": waiting, "published": published,
            "dealt": [q for q in questions if q.status in (QuestionStatus.DECLINED, QuestionStatus.MERGED)],
            "answer_cutoff": answer_cutoff(call), "answers_open": answers_open(call, timezone.now()),
        },
        status=status,
    )


@login_required
def call_questions(request, call_pk):
    """Questions on a call for programme officers: those to answer, with the forms, and those answered."""
    require_role(request.user, *services.ANSWERERS)
    return _render_questions(request, _officer_call(call_pk))


def _publish(actor, question, data):
    services.answer_publish(actor=actor, question=question, answer=data["answer"])
    return _("The answer was published on the call's page.")


def _edit(actor, question, data):
    services.answer_edit(actor=actor, question=question, answer=data["answer"])
    return _("The published answer was updated.")


def _decline(actor, question, data):
    services.question_decline(actor=actor, question=question, reason=data["reason"])
    return _("The question was declined; its asker sees your reason.")


def _merge(actor, question, data):
    services.question_merge(actor=actor, question=question, into=data["into"])
    return _("The asker was pointed to the published answer.")


# What each officer's form on the questions page does: its form and the service it calls.
ACTIONS = {"publish": (AnswerForm, _publish), "edit": (AnswerForm, _edit), "decline": (DeclineForm, _decline),
           "merge": (MergeForm, _merge)}


@login_required
@require_POST
def question_act(request, pk, action):
    """Publish an answer, edit it, decline or merge a question; a refusal comes back on the officers' page."""
    require_role(request.user, *services.ANSWERERS)
    if action not in ACTIONS:
        raise Http404
    question = get_object_or_404(CallQuestion.objects.exclude(call__status=CallStatus.DRAFT), pk=pk)
    call = _officer_call(question.call_id)
    form_class, act = ACTIONS[action]
    extra = {"published": list(CallQuestion.objects.filter(call=call, status=QuestionStatus.PUBLISHED))} if form_class is MergeForm else {}
    form = form_class(request.POST, prefix=f"q{question.pk}", **extra)
    if form.is_valid():
        try:
            done = act(request.user, question, form.cleaned_data)
        except DomainError as exc:
            _refusal_on(form, exc)
        else:
            messages.success(request, done)
            return redirect(reverse("call_questions", args=[call.pk]) + f"#question-{question.pk}")
    return _render_questions(request, call, failed=(question.pk, action, form), status=400)
