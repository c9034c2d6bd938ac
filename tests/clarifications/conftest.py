from contextlib import contextmanager
from datetime import timedelta
from unittest import mock

import pytest

from clarifications.services import answer_publish, question_ask


@contextmanager
def clock_at(moment):
    """Move the server clock (services and auto_now fields read django.utils.timezone.now)."""
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


def day_before(cutoff):
    return cutoff - timedelta(days=1)


def day_after(cutoff):
    return cutoff + timedelta(days=1)


@pytest.fixture
def asked(call, cso_user, organisation):
    return question_ask(actor=cso_user, call=call, text="Is co-financing in kind accepted?", organisation=organisation)


@pytest.fixture
def published(asked, officer):
    return answer_publish(actor=officer, question=asked, answer="Yes, if it is valued at market prices.")


def ask_many(call, user, n, *, publish_by=None):
    for i in range(n):
        question = question_ask(actor=user, call=call, text=f"Question number {i}?")
        if publish_by is not None:
            answer_publish(actor=publish_by, question=question, answer=f"Answer number {i}.")

