"""The shared reads cost a fixed number of queries, whatever the number of questions (5 or 50)."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clarifications.selectors import own_for_call, published_for_call, questions_of_call, questions_to_answer

from .conftest import ask_many

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("n", [5, 50])
def test_published_answers_of_a_call_in_one_query(call, cso_user, officer, n, django_assert_num_queries):
    ask_many(call, cso_user, n, publish_by=officer)
    ask_many(call, cso_user, 2)  # waiting: not public
    with django_assert_num_queries(1):
        published = published_for_call(call)
    assert len(published) == n


@pytest.mark.parametrize("n", [5, 50])
def test_questions_to_answer_in_one_query(call, cso_user, officer, n, django_assert_num_queries):
    ask_many(call, cso_user, n)
    ask_many(call, cso_user, 3, publish_by=officer)
    officer = type(officer).objects.get(pk=officer.pk)  # roles not yet read
    with django_assert_num_queries(2):  # the officer's roles, then the questions
        waiting = questions_to_answer(officer)
        assert [q.call.programme.code for q in waiting] == [call.programme.code] * n


def test_questions_to_answer_is_empty_for_anyone_else(call, cso_user, reviewer):
    ask_many(call, cso_user, 2)
    assert questions_to_answer(cso_user) == [] and questions_to_answer(reviewer) == []


@pytest.mark.parametrize("n", [5, 50])
def test_the_officers_list_and_own_questions_in_one_query_each(call, cso_user, officer, n, django_assert_num_queries):
    ask_many(call, cso_user, n, publish_by=officer)
    ask_many(call, cso_user, n)
    with django_assert_num_queries(2):
        everything = questions_of_call(call)
        own = own_for_call(cso_user, call)
        assert [str(q.asker) for q in everything] and len(own) == n


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_the_call_page_and_the_officers_page_do_not_grow_with_questions(client, call, cso_user, officer):
    call_page = reverse("call_detail", args=[call.programme.code, call.reference])
    officer_page = reverse("call_questions", args=[call.pk])
    ask_many(call, cso_user, 5, publish_by=officer)
    ask_many(call, cso_user, 5)
    client.force_login(cso_user)
    few_public = _queries(client, call_page)
    client.force_login(officer)
    few_officer = _queries(client, officer_page)
    ask_many(call, cso_user, 45, publish_by=officer)
    ask_many(call, cso_user, 45)
    assert _queries(client, officer_page) == few_officer
    client.force_login(cso_user)
    assert _queries(client, call_page) == few_public
