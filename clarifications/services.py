"""Questions on a call and their public answers. Applicants ask until the question cut-off; programme officers
answer and publish until the answer cut-off, edit a published answer (until then too), decline a question with a
reason or point it to an answer already published. Every change is audited; a publication notifies the asker and
every organisation with a draft or a submission on the call."""
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import roles as R
from accounts.access import has_role, needs_email_verification
from accounts.models import Membership, User
from audit.services import audit_record
from core.errors import DomainError
from core.formats import utc_text
from grants.models import Call
from notifications.services import notify

from .cutoffs import answer_cutoff, answers_open, question_cutoff, questions_open
from .models import ANSWER_MAX_LENGTH, QUESTION_MAX_LENGTH, QUESTION_TRANSITIONS, REASON_MAX_LENGTH, CallQuestion, QuestionStatus

# Who answers questions on calls.
ANSWERERS = (R.PROGRAMME_OFFICER, R.ADMINISTRATOR)
NOTIFICATION_KIND = "clarification_published"


def call_page_url(call) -> str:
    return reverse("call_detail", args=[call.programme.code, call.reference]) + "#questions"


def _text(value, *, field, limit, missing):
    value = (value or "").strip()
    if not value:
        raise DomainError(missing, code="required", field=field)
    if len(value) > limit:
        raise DomainError(
            _("Keep it to %(limit)d characters (this has %(length)d).") % {"limit": limit, "length": len(value)},
            code="too_long", field=field,
        )
    return value


def _require_answerer(actor):
    if not has_role(actor, *ANSWERERS):
        raise DomainError(_("Only programme officers answer questions on calls."), code="forbidden")


def _locked(question) -> CallQuestion:
    return (
        CallQuestion.objects.select_for_update(of=("self",)).select_related("call__programme", "asker")
        .get(pk=question.pk)
    )


def _move(question, status):
    if status not in QUESTION_TRANSITIONS[question.status]:
        raise DomainError(_("This question has been dealt with already."), code="invalid_transition")


def _require_answers_open(call, now):
    if not answers_open(call, now):
        raise DomainError(
            _("Answers to questions on this call could be published until %(moment)s; that time has passed.")
            % {"moment": utc_text(answer_cutoff(call))},
            code="answers_closed", field="answer",
        )


def _readers(call, *extra):
    """The people told of a new answer: members of every organisation with a live draft or submission on the call,
    and `extra` (the askers). Applications are read through the call's reverse relation, since `applications` sits
    above this app; "withdrawn" is `applications.models.ApplicationStatus.WITHDRAWN`."""
    organisations = call.applications.exclude(status="withdrawn").values("organisation")
    return list(
        User.objects.filter(Q(memberships__organisation__in=organisations) | Q(pk__in=[p.pk for p in extra]), is_active=True)
        .distinct().order_by("pk")
    )


def question_ask(*, actor, call, text, organisation=None) -> CallQuestion:
    """A signed-in applicant whose address is confirmed asks a question, for their organisation if they name one
    they belong to."""
    if not has_role(actor, R.APPLICANT):
        raise DomainError(_("Only registered applicants may ask questions on a call."), code="forbidden")
    if needs_email_verification(actor):
        raise DomainError(
            _("Please confirm your e-mail address before asking: open the link we sent you, or ask for a new one."),
            code="email_unverified", field="text",
        )
    text = _text(text, field="text", limit=QUESTION_MAX_LENGTH, missing=_("Type your question."))
    if organisation is not None and not Membership.objects.filter(user=actor, organisation=organisation).exists():
        raise DomainError(_("You are not a member of this organisation."), code="forbidden", field="organisation")
    with transaction.atomic():
        call = Call.objects.select_for_update(of=("self",)).select_related("programme").get(pk=call.pk)
        if not questions_open(call, timezone.now()):
            raise DomainError(
                _("Questions on this call were accepted until %(moment)s; that time has passed.")
                % {"moment": utc_text(question_cutoff(call))},
                code="questions_closed", field="text",
            )
        question = CallQuestion.objects.create(call=call, asker=actor, organisation=organisation, text=text)
        audit_record(actor=actor, verb="clarification.asked", target=question, data={"call": call.reference})
    return question


def answer_publish(*, actor, question, answer) -> CallQuestion:
    """Answer a question and publish both for everyone (without the asker's identity); notify the readers."""
    _require_answerer(actor)
    answer = _text(answer, field="answer", limit=ANSWER_MAX_LENGTH, missing=_("Type the answer."))
    with transaction.atomic():
        question = _locked(question)
        _move(question, QuestionStatus.PUBLISHED)
        now = timezone.now()
        _require_answers_open(question.call, now)
        question.status = QuestionStatus.PUBLISHED
        question.answer, question.answered_by, question.published_at = answer, actor, now
        question.save(update_fields=["status", "answer", "answered_by", "published_at"])
        audit_record(actor=actor, verb="clarification.published", target=question, data={"call": question.call.reference})
        notify(
            _readers(question.call, question.asker), NOTIFICATION_KIND,
            url=call_page_url(question.call), params={"call": question.call.reference},
        )
    return question


def answer_edit(*, actor, question, answer) -> CallQuestion:
    """Correct a published answer (until the answer cut-off); the audit event keeps the text before and after."""
    _require_answerer(actor)
    answer = _text(answer, field="answer", limit=ANSWER_MAX_LENGTH, missing=_("Type the answer."))
    with transaction.atomic():
        question = _locked(question)
        if question.status != QuestionStatus.PUBLISHED:
            raise DomainError(_("Only a published answer can be edited."), code="not_published")
        _require_answers_open(question.call, timezone.now())
        if answer == question.answer:
            return question
        before = question.answer
        question.answer, question.answer_edited_at = answer, timezone.now()
        question.save(update_fields=["answer", "answer_edited_at"])
        audit_record(
            actor=actor, verb="clarification.answer_edited", target=question,
            data={"call": question.call.reference, "before": before, "after": answer},
        )
    return question


def question_decline(*, actor, question, reason) -> CallQuestion:
    """Decline a question (outside the call's scope, about one application…): the asker sees the reason."""
    _require_answerer(actor)
    reason = _text(reason, field="reason", limit=REASON_MAX_LENGTH, missing=_("Give the asker a reason."))
    with transaction.atomic():
        question = _locked(question)
        _move(question, QuestionStatus.DECLINED)
        question.status, question.decline_reason, question.answered_by = QuestionStatus.DECLINED, reason, actor
        question.save(update_fields=["status", "decline_reason", "answered_by"])
        audit_record(actor=actor, verb="clarification.declined", target=question, data={"call": question.call.reference, "reason": reason})
    return question


def question_merge(*, actor, question, into) -> CallQuestion:
    """Answer a question with an answer already published on the same call; its asker is notified."""
    _require_answerer(actor)
    with transaction.atomic():
        question = _locked(question)
        _move(question, QuestionStatus.MERGED)
        into = CallQuestion.objects.select_for_update().filter(pk=getattr(into, "pk", None)).first()
        if into is None or into.call_id != question.call_id or into.status != QuestionStatus.PUBLISHED:
            raise DomainError(_("Choose a published answer on the same call."), code="invalid_target", field="into")
        question.status, question.merged_into, question.answered_by = QuestionStatus.MERGED, into, actor
        question.save(update_fields=["status", "merged_into", "answered_by"])
        audit_record(
            actor=actor, verb="clarification.merged", target=question,
            data={"call": question.call.reference, "into": into.pk},
        )
        notify([question.asker], NOTIFICATION_KIND, url=call_page_url(question.call), params={"call": question.call.reference})
    return question
