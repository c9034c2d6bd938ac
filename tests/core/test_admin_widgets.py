"""Django's admin with the project's templates (templates/admin/) and inputs (core/admin_widgets.py): lists scroll in
a named region, every input of a tabular inline has a label, many-to-many choices are checkboxes."""
import pytest

from accounts import roles as R

from ..conftest import make_user
from ..factories import CountryFactory, OrganisationFactory


@pytest.fixture
def superuser(db):
    return make_user(R.ADMINISTRATOR, is_staff=True, is_superuser=True)


def test_change_lists_scroll_in_a_named_focusable_region_with_the_admin_stylesheet(client, superuser):
    OrganisationFactory()
    client.force_login(superuser)
    page = client.get("/admin/accounts/organisation/").content.decode()
    assert '<div class="results table-scroll" role="region" tabindex="0" aria-label="Organisations">' in page
    assert "css/admin.css" in page


def test_a_call_shows_countries_as_checkboxes_and_labels_its_inline_inputs(client, superuser, call):
    CountryFactory()
    client.force_login(superuser)
    page = client.get(f"/admin/grants/call/{call.pk}/change/").content.decode()
    assert 'type="checkbox" name="countries"' in page
    assert "selector-add" not in page
    assert 'role="region" tabindex="0" aria-labelledby="documents-heading"' in page
    assert '<label class="visually-hidden" for="id_documents-0-title">' in page
    assert '<label class="visually-hidden" for="id_documents-0-upload">' in page
