"""Selectors: the thread page in a fixed number of queries at 5 and 50 messages, the panel's shared clarifications,
and who is waiting for an answer (`unanswered_for`)."""
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from conversations import selectors, services
from conversations.models import Message

from ..conftest import make_user
from ..factories import GrantFactory

pytestmark = pytest.mark.django_db


def _exchange(officer, cso_user, application, n):
    """n messages, alternating sides; every fourth from the programme is a clarification request."""
    for i in range(n):
        if i % 2 == 0:
            reply_by = timezone.localdate() + timedelta(days=7) if i % 4 == 0 else None
            services.post_message(actor=officer, application=application, body=f"Question {i}", reply_by=reply_by)
        else:
            services.post_message(actor=cso_user, application=application, body=f"Answer {i}")


def _page_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("who", ["officer", "cso_user"])
def test_thread_page_queries_do_not_grow_with_messages(client, request, officer, cso_user, submitted, who):
    client.force_login(request.getfixturevalue(who))
    url = f"/applications/{submitted.pk}/messages/"
    other = officer if who == "cso_user" else cso_user
    _exchange(officer, cso_user, submitted, 3)
    services.post_message(actor=other, application=submitted, body="Another")
    client.get(url)  # a first visit also loads what Django caches per process (content types)
    # each visit counted comes after a message from the other side, so the read mark moves (and is audited)
    services.post_message(actor=other, application=submitted, body="Another")
    few = _page_queries(client, url)
    assert Message.objects.count() == 5
    _exchange(officer, cso_user, submitted, 44)
    services.post_message(actor=other, application=submitted, body="Another")
    many = _page_queries(client, url)
    assert Message.objects.count() == 50
    assert few == many
    assert many <= 30


def test_thread_page_selector_is_three_queries(django_assert_num_queries, officer, cso_user, submitted):
    _exchange(officer, cso_user, submitted, 50)
    application = selectors.readable_application(officer, submitted.pk)  # as the page reads it (roles cached)
    with django_assert_num_queries(3):
        page = selectors.thread_page(officer, application=application)
        assert len(page.messages) == 50 and all(m.author.email for m in page.messages)


def test_shared_with_panel_is_one_query_and_only_shared_clarifications_and_their_answers(
        django_assert_num_queries, officer, cso_user, submitted):
    shared = services.post_message(actor=officer, application=submitted, body="Shared?", reply_by=timezone.localdate() + timedelta(days=3))
    services.post_message(actor=cso_user, application=submitted, body="Shared answer")
    services.post_message(actor=officer, application=submitted, body="Private", reply_by=timezone.localdate() + timedelta(days=3))
    services.post_message(actor=cso_user, application=submitted, body="Private answer")
    services.share_with_panel(actor=officer, message=shared)
    with django_assert_num_queries(1):
        bodies = [m.body for m in selectors.shared_with_panel(submitted)]
    assert bodies == ["Shared?", "Shared answer"]


def test_unanswered_for_each_side(officer, cso_user, submitted, organisation, call, other_cso_user, finance, donor):
    other_officer = make_user("programme_officer")
    grant = GrantFactory(organisation=organisation, call=call)
    services.post_message(actor=officer, application=submitted, body="Question")  # the organisation must answer
    services.post_message(actor=cso_user, grant=grant, body="A question from the grantee")  # no officer wrote yet
    assert [t.application_id for t in selectors.unanswered_for(cso_user)] == [submitted.pk]
    assert [t.grant_id for t in selectors.unanswered_for(officer)] == [grant.pk]
    assert [t.grant_id for t in selectors.unanswered_for(other_officer)] == [grant.pk]
    for user in (other_cso_user, finance, donor):
        assert selectors.unanswered_for(user) == []
    services.post_message(actor=cso_user, application=submitted, body="Answer")
    services.post_message(actor=officer, grant=grant, body="Reply")
    assert selectors.unanswered_for(cso_user)[0].grant_id == grant.pk
    # the answer on the application waits for the officer who asked, not for every officer
    assert [t.application_id for t in selectors.unanswered_for(officer)] == [submitted.pk]
    assert selectors.unanswered_for(other_officer) == []


def test_unanswered_for_costs_a_fixed_number_of_queries(django_assert_max_num_queries, officer, cso_user, call, organisation):
    for _ in range(12):
        grant = GrantFactory(organisation=organisation, call=call)
        services.post_message(actor=cso_user, grant=grant, body="Hello")
    for user in (officer, cso_user):
        with django_assert_max_num_queries(3):
            threads = selectors.unanswered_for(user)
            [t.grant.reference for t in threads]
    assert len(selectors.unanswered_for(officer)) == 12


def test_a_clarification_is_answered_by_any_later_message_of_the_organisation(officer, cso_user, submitted):
    day = timezone.localdate() + timedelta(days=5)
    first = services.post_message(actor=officer, application=submitted, body="First question", reply_by=day)
    second = services.post_message(actor=officer, application=submitted, body="Second question", reply_by=day)
    page = selectors.thread_page(cso_user, application=submitted)
    assert page.open_clarification.pk == second.pk and not any(m.answered for m in page.messages)
    services.post_message(actor=cso_user, application=submitted, body="Both answers")
    page = selectors.thread_page(cso_user, application=submitted)
    assert {m.pk for m in page.messages if m.answered} == {first.pk, second.pk}
    assert page.open_clarification is None
