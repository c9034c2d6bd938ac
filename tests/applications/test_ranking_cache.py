"""The ranking is cached under a key its inputs move: a new score, a reopened review, a decision or a moderated
total shows on the very next page."""
from applications import scoring

from .test_scoring import application, assignment, full_scores, review, review_call  # noqa: F401 - fixtures


def everything(call):
    return f"/screening/calls/{call.pk}/ranking/?tab=all"


def test_a_submitted_or_reopened_review_changes_the_cached_page_at_once(
    client, officer, review_call, application, review, reviewer,  # noqa: F811 - fixtures
):
    """The scoring services move the call's ranking version: the page never shows a ranking older than the scores."""
    client.force_login(officer)
    assert application.reference not in client.get(everything(review_call)).content.decode()  # not scored yet
    scoring.review_save(actor=reviewer, review=review, scores=full_scores(review_call))
    scoring.review_submit(actor=reviewer, review=review)
    body = client.get(everything(review_call)).content.decode()
    assert application.reference in body
    scoring.review_reopen(actor=officer, review=review, reason="Check the second criterion.")
    assert application.reference not in client.get(everything(review_call)).content.decode()
