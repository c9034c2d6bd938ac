"""The ranking CSV writes an organisation named like a formula as text."""
import csv
import io

import pytest
from django.utils import timezone

from accounts.models import Organisation

from .review_helpers import eligible_application, reviewer, small_grid, submitted_review

pytestmark = pytest.mark.django_db

FORMULA = '=HYPERLINK("http://x","y")'


def test_ranking_csv_neutralises_an_organisation_named_like_a_formula(client, officer, open_call):
    open_call.reviewers_per_application = 1
    open_call.save(update_fields=["reviewers_per_application"])
    _, crit = small_grid(open_call)
    application = eligible_application(open_call, requested="300000")
    Organisation.objects.filter(pk=application.organisation_id).update(legal_name=FORMULA, verified_at=timezone.now())
    submitted_review(application, reviewer(), crit, {"a1": 5, "a2": 4, "b1": 4})
    client.force_login(officer)
    response = client.get(f"/screening/calls/{open_call.pk}/ranking.csv")
    [row] = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert row["applicant"] == "'" + FORMULA
    assert (row["raw_total"], row["requested_eur"]) == ("17.00", "300000.00")
