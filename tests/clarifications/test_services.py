"""The rules of questions and answers on a call: who may do what, until when, what is audited and who is told."""
import pytest
from django.utils import timezone

from accounts import roles as R
from applications.models import Application
from applications.services import application_start, application_withdraw
from audit.models import AuditEvent
from clarifications.cutoffs import answer_cutoff, question_cutoff
from clarifications.models import CallQuestion, QuestionStatus
from clarifications.services import answer_edit, answer_publish, question_ask, question_decline, question_merge
from core.errors import DomainError
from grants.models import CallStatus
from notifications.models import Notification

from ..conftest import make_user
from ..factories import CallFactory, OrganisationFactory
from .conftest import clock_at, day_after, day_before

pytestmark = pytest.mark.django_db


def _events(verb):
    return AuditEvent.objects.filter(verb=verb)


# ---- cut-offs ----------------------------------------------------------------------------------------------------


def test_cutoffs_follow_the_programme_settings(call):
    assert (call.closes_at - question_cutoff(call)).days == 21
    assert (call.closes_at - answer_cutoff(call)).days == 11
    call.programme.question_cutoff_days = 30
    assert (call.closes_at - question_cutoff(call)).days == 30


def test_a_question_the_day_before_the_cutoff_is_accepted(call, cso_user):
    with clock_at(day_before(question_cutoff(call))):
        question = question_ask(actor=cso_user, call=call, text="May we apply with a partner?")
    assert question.status == QuestionStatus.ASKED
    assert _events("clarification.asked").get().target_id == str(question.pk)


def test_a_question_the_day_after_the_cutoff_is_refused_and_nothing_is_written(call, cso_user):
    with clock_at(day_after(question_cutoff(call))), pytest.raises(DomainError) as refused:
        question_ask(actor=cso_user, call=call, text="May we apply with a partner?")
    assert refused.value.field == "text" and "accepted until" in refused.value.message
    assert not CallQuestion.objects.exists() and not _events("clarification.asked").exists()


def test_the_cutoff_moment_itself_is_too_late(call, cso_user):
    with clock_at(question_cutoff(call)), pytest.raises(DomainError):
        question_ask(actor=cso_user, call=call, text="Exactly at the cut-off?")


def test_questions_on_a_closed_call_are_refused(programme, cso_user):
    call = CallFactory(programme=programme, status=CallStatus.CLOSED)
    with pytest.raises(DomainError):
        question_ask(actor=cso_user, call=call, text="Too late?")


def test_an_answer_the_day_before_the_answer_cutoff_is_published(call, asked, officer):
    with clock_at(day_before(answer_cutoff(call))):
        question = answer_publish(actor=officer, question=asked, answer="Yes.")
    assert question.status == QuestionStatus.PUBLISHED and question.answered_by == officer
    assert question.published_at == day_before(answer_cutoff(call))


def test_an_answer_the_day_after_the_answer_cutoff_is_refused(call, asked, officer):
    with clock_at(day_after(answer_cutoff(call))), pytest.raises(DomainError) as refused:
        answer_publish(actor=officer, question=asked, answer="Yes.")
    assert refused.value.field == "answer"
    asked.refresh_from_db()
    assert asked.status == QuestionStatus.ASKED and asked.answer == ""
    assert not _events("clarification.published").exists() and not Notification.objects.exists()


def test_editing_an_answer_after_the_answer_cutoff_is_refused(call, published, officer):
    with clock_at(day_after(answer_cutoff(call))), pytest.raises(DomainError):
        answer_edit(actor=officer, question=published, answer="Changed.")


# ---- who may ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [R.PROGRAMME_OFFICER, R.REVIEWER, R.FINANCE_OFFICER, R.DONOR_OBSERVER])
def test_only_applicants_ask(call, role):
    with pytest.raises(DomainError):
        question_ask(actor=make_user(role), call=call, text="Question?")


def test_an_applicant_confirms_their_address_before_asking(call):
    with pytest.raises(DomainError) as refused:
        question_ask(actor=make_user(R.APPLICANT, email_verified_at=None), call=call, text="Question?")
    assert refused.value.code == "email_unverified" and not CallQuestion.objects.exists()


def test_an_applicant_asks_only_for_their_own_organisation(call, cso_user, other_organisation):
    with pytest.raises(DomainError) as refused:
        question_ask(actor=cso_user, call=call, text="Question?", organisation=other_organisation)
    assert refused.value.field == "organisation"


@pytest.mark.parametrize("text", ["", "   ", "x" * 2001])
def test_a_question_is_not_blank_and_bounded(call, cso_user, text):
    with pytest.raises(DomainError) as refused:
        question_ask(actor=cso_user, call=call, text=text)
    assert refused.value.field == "text"


@pytest.mark.parametrize("role", [R.APPLICANT, R.REVIEWER, R.FINANCE_OFFICER, R.DONOR_OBSERVER])
def test_only_officers_answer(asked, role):
    actor = make_user(role)
    for act in (
        lambda: answer_publish(actor=actor, question=asked, answer="Yes."),
        lambda: question_decline(actor=actor, question=asked, reason="Out of scope."),
    ):
        with pytest.raises(DomainError):
            act()
    asked.refresh_from_db()
    assert asked.status == QuestionStatus.ASKED


def test_an_administrator_answers_too(asked, administrator):
    assert answer_publish(actor=administrator, question=asked, answer="Yes.").status == QuestionStatus.PUBLISHED


def test_a_question_is_published_once(published, officer):
    with pytest.raises(DomainError):
        answer_publish(actor=officer, question=published, answer="Again.")


# ---- edit, decline, merge and the audit trail ----------------------------------------------------------------------


def test_editing_a_published_answer_is_audited_with_the_text_before_and_after(published, officer):
    answer_edit(actor=officer, question=published, answer="Yes, valued at market prices and documented.")
    published.refresh_from_db()
    assert published.answer == "Yes, valued at market prices and documented." and published.answer_edited_at
    event = _events("clarification.answer_edited").get()
    assert event.actor == officer
    assert event.data["before"] == "Yes, if it is valued at market prices."
    assert event.data["after"] == published.answer


def test_only_a_published_answer_is_edited(asked, officer):
    with pytest.raises(DomainError):
        answer_edit(actor=officer, question=asked, answer="Yes.")


def test_declining_needs_a_reason_and_is_audited(asked, officer):
    with pytest.raises(DomainError) as refused:
        question_decline(actor=officer, question=asked, reason=" ")
    assert refused.value.field == "reason"
    question = question_decline(actor=officer, question=asked, reason="This concerns one application only.")
    assert question.status == QuestionStatus.DECLINED
    assert _events("clarification.declined").get().data["reason"] == "This concerns one application only."
    with pytest.raises(DomainError):
        answer_publish(actor=officer, question=question, answer="Too late.")


def test_a_question_is_merged_into_a_published_answer_of_the_same_call(call, published, asked, officer, cso_user, programme):
    second = question_ask(actor=cso_user, call=call, text="Is in-kind co-financing fine?")
    with pytest.raises(DomainError):
        question_merge(actor=officer, question=second, into=question_ask(actor=cso_user, call=call, text="Waiting?"))
    other_call = CallFactory(programme=programme)
    elsewhere = answer_publish(
        actor=officer, question=question_ask(actor=cso_user, call=other_call, text="Other call?"), answer="Other."
    )
    with pytest.raises(DomainError):
        question_merge(actor=officer, question=second, into=elsewhere)
    merged = question_merge(actor=officer, question=second, into=published)
    assert merged.status == QuestionStatus.MERGED and merged.merged_into == published
    assert _events("clarification.merged").get().data["into"] == published.pk
    assert Notification.objects.filter(recipient=cso_user, url__endswith="#questions").count() >= 2


def test_every_change_is_audited(published, officer):
    assert set(AuditEvent.objects.filter(verb__startswith="clarification.").values_list("verb", flat=True)) == {
        "clarification.asked", "clarification.published",
    }
    assert _events("clarification.published").get().actor == officer


# ---- notifications --------------------------------------------------------------------------------------------------


def _member(organisation):
    from accounts.models import MemberRole
    from accounts.services import membership_set

    user = make_user(R.APPLICANT, email_verified_at=timezone.now())
    membership_set(actor=None, organisation=organisation, user=user, role=MemberRole.EDITOR)
    return user


def test_a_published_answer_notifies_the_asker_and_applicants_with_drafts_or_submissions(call, officer, programme):
    drafting, submitted, withdrawn, elsewhere = (OrganisationFactory() for _ in range(4))
    drafter, submitter, withdrawer, bystander = (_member(org) for org in (drafting, submitted, withdrawn, elsewhere))
    asker = _member(OrganisationFactory())
    application_start(actor=drafter, call=call, organisation=drafting)
    sent = application_start(actor=submitter, call=call, organisation=submitted)
    Application.objects.filter(pk=sent.pk).update(status="submitted", sequence=1, reference="GLOACT-2026-C01-0001")
    application_withdraw(actor=withdrawer, application=application_start(actor=withdrawer, call=call, organisation=withdrawn))
    application_start(actor=bystander, call=CallFactory(programme=programme), organisation=elsewhere)
    question = question_ask(actor=asker, call=call, text="Question?")

    answer_publish(actor=officer, question=question, answer="Answer.")

    notified = Notification.objects.filter(kind="clarification_published")
    assert set(notified.values_list("recipient", flat=True)) == {asker.pk, drafter.pk, submitter.pk}
    expected_url = f"/calls/{programme.code}/{call.reference}/#questions"
    assert {(n.url, n.params["call"]) for n in notified} == {(expected_url, call.reference)}
