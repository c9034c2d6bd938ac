"""The cut-offs are programme settings, edited on the programme's admin page with its other rules."""
import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_programme_admin_page_edits_both_cutoffs(client, administrator, programme):
    client.force_login(administrator)
    page = client.get(reverse("admin:grants_programme_change", args=[programme.pk])).content.decode()
    assert 'name="question_cutoff_days" value="21"' in page and 'name="answer_cutoff_days" value="11"' in page
