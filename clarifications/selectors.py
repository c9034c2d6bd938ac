"""The reads the clarification pages share, each in a fixed number of queries."""
from django.db.models import Count

from accounts.access import has_role
from grants.models import CallStatus

from .models import CallQuestion, QuestionStatus
from .services import ANSWERERS


def published_for_call(call):
    """The public questions and answers of a call, oldest first: one query. Only what everyone may read is loaded
    (never the asker or their organisation)."""
    return list(
        CallQuestion.objects.filter(call=call, status=QuestionStatus.PUBLISHED)
        .only("pk", "call_id", "text", "answer", "published_at", "answer_edited_at")
        .order_by("published_at", "pk")
    )


def own_for_call(user, call):
    """The questions `user` asked on a call that are not public answers (waiting, declined or pointed to another
    answer): one query, none for a visitor."""
    if not user.is_authenticated:
        return []
    return list(
        CallQuestion.objects.filter(call=call, asker=user).exclude(status=QuestionStatus.PUBLISHED)
        .select_related("merged_into").order_by("-created_at", "-pk")
    )


def questions_to_answer(user):
    """Questions waiting for an answer on published calls, for someone who answers them (programme officers,
    administrators), oldest first with their call and programme: one query; an empty list for anyone else."""
    if not has_role(user, *ANSWERERS):
        return []
    return list(
        CallQuestion.objects.filter(status=QuestionStatus.ASKED, call__status=CallStatus.PUBLISHED)
        .select_related("call__programme", "organisation").order_by("created_at", "pk")
    )


def questions_of_call(call):
    """Every question of a call for the officers' page, with asker and organisation: one query; the count of
    questions merged into each published one is annotated as `merged_count`."""
    return list(
        CallQuestion.objects.filter(call=call)
        .select_related("asker", "organisation", "answered_by", "merged_into")
        .annotate(merged_count=Count("merged"))
        .order_by("created_at", "pk")
    )
