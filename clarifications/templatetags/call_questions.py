"""The public questions and answers section of a call's page. `grants` sits above this app and cannot import it, so
its call template loads this tag: `{% load call_questions %}{% call_questions call %}`."""
from django import template
from django.utils import timezone

from accounts import roles as R
from accounts.access import has_role

from ..cutoffs import answer_cutoff, question_cutoff, questions_open
from ..forms import AskForm
from ..selectors import own_for_call, published_for_call
from ..services import ANSWERERS

register = template.Library()


@register.inclusion_tag("clarifications/_call_questions.html", takes_context=True)
def call_questions(context, call):
    user = context["request"].user
    is_applicant, is_open = has_role(user, R.APPLICANT), questions_open(call, timezone.now())
    return {
        "call": call,
        "published": published_for_call(call),
        "own": own_for_call(user, call),
        "question_cutoff": question_cutoff(call),
        "answer_cutoff": answer_cutoff(call),
        "form": AskForm(user=user) if is_applicant and is_open else None,
        "is_applicant": is_applicant,
        "questions_open": is_open,
        "is_answerer": has_role(user, *ANSWERERS),
        "request": context["request"],
        "csrf_token": context.get("csrf_token"),
    }
