"""The committee report and the decision letters, read back from the PDFs."""
import io

import pytest
from pypdf import PdfReader

from applications.awards import award_decide

from ..conftest import make_user
from .review_helpers import reviewer, submitted_review
from .test_ranking_pages import scored  # noqa: F401  (fixture)


def text_of(content):
    """The PDF's text with line breaks folded, so words wrapped inside a table cell read as one phrase."""
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages).split())


@pytest.fixture
def decided(officer, scored):  # noqa: F811
    apps, crit = scored
    award_decide(actor=officer, application=apps[0], outcome="award", justification="Strong relevance and a sound budget")
    award_decide(actor=officer, application=apps[1], outcome="reserve", justification="Beyond the allocation for now")
    award_decide(actor=officer, application=apps[2], outcome="reject", justification="Below the capacity threshold")
    return apps, crit


def test_committee_report_has_grid_ranking_scores_conflicts_and_decisions(client, officer, open_call, decided):
    apps, crit = decided
    conflicted = reviewer()
    conflicted.full_name = "Rita Conflicted"
    conflicted.save(update_fields=["full_name"])
    submitted_review(apps[1], conflicted, crit, {"a1": 1, "a2": 1, "b1": 1}, conflict=True)
    client.force_login(officer)
    response = client.get(f"/screening/calls/{open_call.pk}/committee-report.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = text_of(response.content)
    for expected in ("Evaluation committee report", "a1", "×2", apps[0].reference, apps[2].reference, "17.00",
                     "Strong relevance and a sound budget", "below the threshold of A", "Rita Conflicted", "Former employee"):
        assert expected in text, expected
    reviewer_name = apps[0].assignments.get().reviewer.get_full_name()
    assert reviewer_name in text, "staff see who scored what"


def test_letters_never_name_a_reviewer(client, cso_user, officer, decided):
    apps, _ = decided
    for app, phrase in ((apps[0], "pleased to inform you"), (apps[1], "reserve list"), (apps[2], "not been selected")):
        client.force_login(officer)
        response = client.get(f"/applications/{app.pk}/decision-letter.pdf")
        assert response.status_code == 200
        text = text_of(response.content)
        assert phrase in text and app.reference in text and "Reviewer A" in text
        for assignment in app.assignments.select_related("reviewer"):
            assert assignment.reviewer.get_full_name() not in text
            assert assignment.reviewer.email not in text


def test_letter_access(client, decided, other_cso_user, open_call):
    apps, _ = decided
    client.force_login(other_cso_user)
    assert client.get(f"/applications/{apps[0].pk}/decision-letter.pdf").status_code == 404
    client.force_login(make_user())
    assert client.get(f"/screening/calls/{open_call.pk}/committee-report.pdf").status_code == 403
