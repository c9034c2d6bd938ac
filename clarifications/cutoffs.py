"""When questions and answers on a call close: pure functions of the call's deadline and its programme's settings
(`Programme.question_cutoff_days`, 21, and `answer_cutoff_days`, 11, under PRAG). Each cut-off is a moment: the
cut-off itself is already too late, as the deadline is for submissions."""
from datetime import timedelta

from grants.models import CallStatus


def question_cutoff(call):
    return call.closes_at - timedelta(days=call.programme.question_cutoff_days)


def answer_cutoff(call):
    return call.closes_at - timedelta(days=call.programme.answer_cutoff_days)


def questions_open(call, now) -> bool:
    return call.status == CallStatus.PUBLISHED and now < question_cutoff(call)


def answers_open(call, now) -> bool:
    return call.status == CallStatus.PUBLISHED and now < answer_cutoff(call)
