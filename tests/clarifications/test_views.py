"""The call page's questions and answers, the page to ask and the officers' page: who sees what, and refusals."""
import pytest
from django.urls import reverse

from accounts import roles as R
from clarifications.cutoffs import question_cutoff
from clarifications.models import CallQuestion, QuestionStatus
from clarifications.services import question_ask
from grants.models import CallStatus

from ..conftest import make_user
from ..factories import CallFactory
from .conftest import clock_at, day_after

pytestmark = pytest.mark.django_db


def _call_page(call):
    return reverse("call_detail", args=[call.programme.code, call.reference])


def _ask_url(call):
    return reverse("call_question_ask", args=[call.programme.code, call.reference])


def _act(question, action):
    return reverse("call_question_act", args=[question.pk, action])


# ---- the public call page --------------------------------------------------------------------------------------------


def test_everyone_reads_published_answers_without_the_askers_identity(client, call, published, cso_user, organisation, other_cso_user):
    cso_user.full_name = "Maya Gurung"
    cso_user.save(update_fields=["full_name"])
    for viewer in (None, other_cso_user, make_user(R.REVIEWER)):
        if viewer:
            client.force_login(viewer)
        page = client.get(_call_page(call)).content.decode()
        assert "Is co-financing in kind accepted?" in page and "Yes, if it is valued at market prices." in page
        for identity in ("Maya Gurung", cso_user.email, organisation.legal_name):
            assert identity not in page, identity
        client.logout()


def test_the_page_shows_the_cutoffs_in_utc_for_the_local_time_script(client, call):
    page = client.get(_call_page(call)).content.decode()
    assert "Questions accepted until" in page and "Answers published until" in page
    assert f'datetime="{question_cutoff(call).isoformat()}"' in page


def test_questions_and_answers_are_escaped(client, call, cso_user, officer):
    from clarifications.services import answer_publish

    question = question_ask(actor=cso_user, call=call, text='<script>alert("q")</script>')
    answer_publish(actor=officer, question=question, answer="<b onmouseover=x>bold</b>")
    page = client.get(_call_page(call)).content.decode()
    assert "<script>alert" not in page and "&lt;script&gt;alert(&quot;q&quot;)&lt;/script&gt;" in page
    assert "<b onmouseover" not in page and "&lt;b onmouseover=x&gt;" in page
    client.force_login(officer)
    officer_page = client.get(reverse("call_questions", args=[call.pk])).content.decode()
    assert "<script>alert" not in officer_page and "<b onmouseover" not in officer_page


def test_a_signed_in_applicant_sees_the_form_and_their_own_waiting_question(client, call, asked, cso_user, other_cso_user):
    client.force_login(cso_user)
    page = client.get(_call_page(call)).content.decode()
    assert f'action="{_ask_url(call)}"' in page
    assert "Your questions" in page and asked.text in page
    client.force_login(other_cso_user)
    page = client.get(_call_page(call)).content.decode()
    assert f'action="{_ask_url(call)}"' in page and asked.text not in page


def test_visitors_and_staff_get_no_form(client, call, officer):
    assert f'action="{_ask_url(call)}"' not in client.get(_call_page(call)).content.decode()
    client.force_login(officer)
    page = client.get(_call_page(call)).content.decode()
    assert f'action="{_ask_url(call)}"' not in page
    assert reverse("call_questions", args=[call.pk]) in page


def test_after_the_cutoff_the_form_is_gone(client, call, cso_user):
    client.force_login(cso_user)
    with clock_at(day_after(question_cutoff(call))):
        page = client.get(_call_page(call)).content.decode()
    assert f'action="{_ask_url(call)}"' not in page and "Questions on this call are closed." in page


# ---- asking ----------------------------------------------------------------------------------------------------------


def test_an_applicant_asks_and_returns_to_the_call_page(client, call, cso_user, organisation):
    client.force_login(cso_user)
    response = client.post(_ask_url(call), {"text": "Are audits eligible costs?"})
    assert response.status_code == 302 and response.url == _call_page(call) + "#questions"
    question = CallQuestion.objects.get()
    assert (question.asker, question.organisation, question.status) == (cso_user, organisation, QuestionStatus.ASKED)


def test_a_blank_or_long_question_comes_back_with_the_message_on_the_field(client, call, cso_user):
    client.force_login(cso_user)
    for text in ("", "x" * 2001):
        response = client.post(_ask_url(call), {"text": text})
        assert response.status_code == 400
        assert response.context["form"].errors["text"]
    assert not CallQuestion.objects.exists()


def test_asking_after_the_cutoff_says_why(client, call, cso_user):
    client.force_login(cso_user)
    with clock_at(day_after(question_cutoff(call))):
        response = client.post(_ask_url(call), {"text": "Still open?"})
    assert response.status_code == 400 and "accepted until" in response.content.decode()
    assert not CallQuestion.objects.exists()


@pytest.mark.parametrize("role", [R.PROGRAMME_OFFICER, R.REVIEWER, R.DONOR_OBSERVER])
def test_only_applicants_may_ask(client, call, role):
    client.force_login(make_user(role))
    assert client.get(_ask_url(call)).status_code == 403
    assert client.post(_ask_url(call), {"text": "Question?"}).status_code == 403


def test_visitors_are_sent_to_sign_in_and_drafts_are_missing(client, programme, cso_user):
    draft = CallFactory(programme=programme, status=CallStatus.DRAFT)
    assert client.post(_ask_url(draft), {"text": "Question?"}).status_code == 302
    client.force_login(cso_user)
    assert client.post(_ask_url(draft), {"text": "Question?"}).status_code == 404


# ---- the officers' page ------------------------------------------------------------------------------------------------


def test_officers_see_questions_with_their_askers(client, call, asked, published, officer, administrator, cso_user):
    waiting = question_ask(actor=cso_user, call=call, text="Waiting for an answer?")
    for user in (officer, administrator):
        client.force_login(user)
        response = client.get(reverse("call_questions", args=[call.pk]))
        assert response.status_code == 200
        assert [q.pk for q in response.context["waiting"]] == [waiting.pk]
        assert [q.pk for q in response.context["published"]] == [published.pk]
        assert str(cso_user) in response.content.decode()


@pytest.mark.parametrize("role", [R.APPLICANT, R.REVIEWER, R.FINANCE_OFFICER, R.DONOR_OBSERVER])
def test_the_officers_page_and_actions_are_refused_to_other_roles(client, call, asked, role):
    client.force_login(make_user(role))
    assert client.get(reverse("call_questions", args=[call.pk])).status_code == 403
    for action in ("publish", "edit", "decline", "merge"):
        assert client.post(_act(asked, action), {f"q{asked.pk}-answer": "Yes."}).status_code == 403
    asked.refresh_from_db()
    assert asked.status == QuestionStatus.ASKED


def test_an_applicant_of_the_asking_organisation_cannot_answer_either(client, asked, cso_user):
    client.force_login(cso_user)
    assert client.post(_act(asked, "publish"), {f"q{asked.pk}-answer": "Yes."}).status_code == 403


def test_an_officer_publishes_an_answer(client, call, asked, officer):
    client.force_login(officer)
    response = client.post(_act(asked, "publish"), {f"q{asked.pk}-answer": "Yes, with receipts."})
    assert response.status_code == 302
    asked.refresh_from_db()
    assert (asked.status, asked.answer, asked.answered_by) == (QuestionStatus.PUBLISHED, "Yes, with receipts.", officer)


def test_an_empty_answer_comes_back_with_the_message(client, asked, officer):
    client.force_login(officer)
    response = client.post(_act(asked, "publish"), {f"q{asked.pk}-answer": " "})
    assert response.status_code == 400 and "This field is required." in response.content.decode()


def test_declining_and_merging_through_the_page(client, call, published, officer, cso_user):
    second = question_ask(actor=cso_user, call=call, text="Same as before?")
    client.force_login(officer)
    assert client.post(_act(second, "merge"), {f"q{second.pk}-into": str(published.pk)}).status_code == 302
    third = question_ask(actor=cso_user, call=call, text="About our own budget?")
    response = client.post(_act(third, "decline"), {f"q{third.pk}-reason": ""})
    assert response.status_code == 400
    assert client.post(_act(third, "decline"), {f"q{third.pk}-reason": "About one application."}).status_code == 302
    assert dict(CallQuestion.objects.values_list("pk", "status")) == {
        published.pk: QuestionStatus.PUBLISHED, second.pk: QuestionStatus.MERGED, third.pk: QuestionStatus.DECLINED,
    }


def test_a_merge_into_a_question_that_is_not_published_is_refused_on_the_field(client, call, asked, officer, cso_user):
    other = question_ask(actor=cso_user, call=call, text="Another?")
    client.force_login(officer)
    response = client.post(_act(asked, "merge"), {f"q{asked.pk}-into": str(other.pk)})
    assert response.status_code == 400


def test_unknown_actions_draft_calls_and_get_requests(client, programme, asked, officer, cso_user):
    client.force_login(officer)
    assert client.post(_act(asked, "delete")).status_code == 404
    assert client.get(_act(asked, "publish")).status_code == 405
    draft = CallFactory(programme=programme, status=CallStatus.DRAFT)
    assert client.get(reverse("call_questions", args=[draft.pk])).status_code == 404
