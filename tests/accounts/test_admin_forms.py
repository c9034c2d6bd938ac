"""The admin's group and organisation forms with the project's accessible inputs (core/admin_widgets.py): they name
every input and still save what is typed."""
from datetime import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission
from django.utils import timezone

from accounts import roles as R
from audit.models import AuditEvent

from ..conftest import make_user
from ..factories import OrganisationFactory


@pytest.fixture
def superuser(db):
    return make_user(R.ADMINISTRATOR, is_staff=True, is_superuser=True)


def test_group_add_form_lists_permissions_as_checkboxes_and_saves_them(client, superuser):
    client.force_login(superuser)
    page = client.get("/admin/auth/group/add/").content.decode()
    assert 'type="checkbox" name="permissions"' in page
    assert "selector-add" not in page and "help-tooltip" not in page  # Django's two-list picker is gone

    chosen = Permission.objects.filter(codename__in=["view_organisation", "view_call"])
    response = client.post("/admin/auth/group/add/", {"name": "Auditors", "permissions": [p.pk for p in chosen]})

    assert response.status_code == 302, response.content.decode()[:2000]
    group = Group.objects.get(name="Auditors")
    assert set(group.permissions.all()) == set(chosen)
    assert AuditEvent.objects.filter(verb="group.admin_add", target_id=str(group.pk)).exists()


def test_only_staff_with_the_permission_add_groups(client, db):
    client.force_login(make_user(R.PROGRAMME_OFFICER))
    assert client.get("/admin/auth/group/add/").status_code == 403
    client.force_login(make_user(R.APPLICANT))
    assert client.get("/admin/auth/group/add/").status_code == 302  # sent to the admin's sign-in


def _organisation_form(organisation, **changes):
    data = {
        "legal_name": organisation.legal_name, "acronym": organisation.acronym, "country": organisation.country.code,
        "registration_number": organisation.registration_number, "registry": "", "org_id_scheme": organisation.org_id_scheme,
        "org_type": organisation.org_type, "year_founded": "", "annual_budget_0": "", "annual_budget_1": "EUR",
        "mission": "", "address": "", "website": "", "contact_name": "", "contact_email": "", "contact_phone": "",
        "verified_at_0": "", "verified_at_1": "", "verified_by": "", "sanctions_screened_at_0": "",
        "sanctions_screened_at_1": "",
        "memberships-TOTAL_FORMS": "0", "memberships-INITIAL_FORMS": "0", "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
    }
    return data | changes


def test_organisation_change_names_every_input_and_saves_money_and_dates(client, superuser):
    organisation = OrganisationFactory()
    url = f"/admin/accounts/organisation/{organisation.pk}/change/"
    client.force_login(superuser)
    page = client.get(url).content.decode()
    # The field's label names the first input; the second has a label (date and time) or a name (currency).
    assert '<label for="id_annual_budget_0">' in page
    assert 'name="annual_budget_1" id="id_annual_budget_1" aria-label="Currency"' in page
    for name in ("verified_at", "sanctions_screened_at"):
        assert f'<label for="id_{name}_0">' in page  # the field's label and "Date:"
        assert f'<label for="id_{name}_1">Time:</label>' in page

    response = client.post(url, _organisation_form(
        organisation, annual_budget_0="125000.50", verified_at_0="2026-03-14", verified_at_1="09:30:00",
    ))

    assert response.status_code == 302, response.content.decode()[:3000]
    organisation.refresh_from_db()
    assert organisation.annual_budget.amount == Decimal("125000.50")
    assert str(organisation.annual_budget.currency) == "EUR"
    assert organisation.verified_at == timezone.make_aware(datetime(2026, 3, 14, 9, 30))
    assert AuditEvent.objects.filter(verb="organisation.admin_change", target_id=str(organisation.pk)).exists()


def test_organisation_change_shows_a_bad_amount_on_its_field(client, superuser):
    organisation = OrganisationFactory()
    client.force_login(superuser)
    response = client.post(
        f"/admin/accounts/organisation/{organisation.pk}/change/", _organisation_form(organisation, annual_budget_0="lots")
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["annual_budget"]
