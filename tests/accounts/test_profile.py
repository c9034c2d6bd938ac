"""The organisation profile, its "what is missing" list, and bank details: services, pages, access and input."""
import json
from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone
from moneyed import Money

from accounts import roles as R
from accounts.models import BankDetails, MemberRole, Organisation
from accounts.selectors import masked_account, profile_gaps
from accounts.services import bank_details_set, membership_set, organisation_update
from audit.models import AuditEvent
from core.errors import DomainError

from ..conftest import make_user
from ..factories import OrganisationFactory

IBAN = "DE89370400440532013000"  # the standard example IBAN: valid check digits
FULL_PROFILE = {
    "registry": "Social Welfare Council",
    "year_founded": 2004,
    "annual_budget": Decimal("120000.50"),
    "mission": "Shelter and legal aid for survivors of trafficking.",
    "address": "Ward 3, Lalitpur",
    "contact_name": "Amina Rai",
    "contact_email": "office@shelter.example",
    "contact_phone": "+977 1 5550100",
}
BANK = {"account_holder": "Shelter Network", "bank_name": "Nabil Bank", "iban": IBAN, "swift_bic": "NARBNPKA"}


def member_of(organisation, role, *, verified=True):
    user = make_user(R.APPLICANT, email_verified_at=timezone.now() if verified else None)
    membership_set(actor=None, organisation=organisation, user=user, role=role)
    return user


@pytest.fixture
def org_admin(organisation):
    return member_of(organisation, MemberRole.ORG_ADMIN)


@pytest.fixture
def other_admin(other_organisation):
    return member_of(other_organisation, MemberRole.ORG_ADMIN)


def form_data(organisation, **changes):
    """What the edit form posts for the organisation as it is, with `changes`."""
    data = {
        "legal_name": organisation.legal_name, "acronym": organisation.acronym, "country": organisation.country.code,
        "registration_number": organisation.registration_number, "org_type": organisation.org_type,
        "registry": "", "year_founded": "", "annual_budget": "", "mission": "", "address": "", "website": "",
        "contact_name": "", "contact_email": "", "contact_phone": "",
    }
    return {**data, **changes}


# --- organisation_update ---------------------------------------------------------------------------------------

def test_update_writes_only_changed_fields_and_audits_their_names(organisation, org_admin):
    org = organisation_update(actor=org_admin, organisation=organisation, legal_name=organisation.legal_name, **FULL_PROFILE)
    org.refresh_from_db()
    assert org.annual_budget == Money("120000.50", "EUR") and org.year_founded == 2004
    event = AuditEvent.objects.get(verb="organisation.update")
    assert event.actor == org_admin and event.target_id == str(organisation.pk)
    assert event.data == {"fields": sorted(FULL_PROFILE, key=list(FULL_PROFILE).index)}

    organisation_update(actor=org_admin, organisation=org, **FULL_PROFILE)  # nothing changes
    assert AuditEvent.objects.filter(verb="organisation.update").count() == 1
    organisation_update(actor=org_admin, organisation=org, annual_budget=None, mission="  New mission  ")
    org.refresh_from_db()
    assert org.annual_budget is None and org.mission == "New mission"
    assert AuditEvent.objects.filter(verb="organisation.update").first().data == {"fields": ["annual_budget", "mission"]}


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        ({"year_founded": 1799}, "year_founded", "invalid"),
        ({"year_founded": date.today().year + 1}, "year_founded", "invalid"),
        ({"annual_budget": Decimal("-0.01")}, "annual_budget", "negative"),
        ({"annual_budget": Decimal("10.005")}, "annual_budget", "invalid"),
        ({"legal_name": "   "}, "legal_name", "required"),
        ({"country": "XX"}, "country", "invalid"),
        ({"org_type": "99"}, "org_type", "invalid"),
        ({"verified_at": timezone.now()}, None, "unknown_field"),
    ],
)
def test_update_refusals_change_nothing(organisation, org_admin, fields, field, code):
    with pytest.raises(DomainError) as exc:
        organisation_update(actor=org_admin, organisation=organisation, mission="changed", **fields)
    assert (exc.value.field, exc.value.code) == (field, code)
    assert Organisation.objects.get(pk=organisation.pk).mission == ""
    assert not AuditEvent.objects.filter(verb="organisation.update").exists()


def test_year_founded_bounds_are_inclusive(organisation, org_admin):
    for year in (1800, date.today().year):
        assert organisation_update(actor=org_admin, organisation=organisation, year_founded=year).year_founded == year


def test_registration_number_stays_unique_per_country(organisation, other_organisation, org_admin):
    with pytest.raises(DomainError) as exc:
        organisation_update(
            actor=org_admin, organisation=organisation,
            country=other_organisation.country.code, registration_number=other_organisation.registration_number,
        )
    assert exc.value.field == "registration_number"


def test_identity_is_fixed_once_verified(organisation, org_admin, officer):
    Organisation.objects.filter(pk=organisation.pk).update(verified_at=timezone.now(), verified_by=officer)
    organisation.refresh_from_db()
    for name, value in (("legal_name", "Other"), ("country", "MA"), ("registration_number", "NEW-1")):
        with pytest.raises(DomainError) as exc:
            organisation_update(actor=org_admin, organisation=organisation, **{name: value})
        assert (exc.value.field, exc.value.code) == (name, "verified_identity")
    assert organisation_update(actor=org_admin, organisation=organisation, acronym="NEW").acronym == "NEW"


def test_single_line_fields_lose_line_breaks(organisation, org_admin):
    org = organisation_update(actor=org_admin, organisation=organisation, legal_name="Shelter\r\nNetwork", address="A\nB")
    assert org.legal_name == "Shelter Network" and org.address == "A\nB"


# --- bank_details_set ------------------------------------------------------------------------------------------

def test_bank_details_are_recorded_and_audited_without_the_number(organisation, org_admin):
    details = bank_details_set(actor=org_admin, organisation=organisation, **{**BANK, "iban": "de89 3704 0044 0532 0130 00"})
    assert details.iban == IBAN and details.currency == "EUR"
    event = AuditEvent.objects.get(verb="bank_details.set")
    assert event.data["fields"] == ["account_holder", "bank_name", "bank_address", "iban", "swift_bic", "currency"]
    assert event.data["account"] == "•••• 3000"
    assert IBAN not in json.dumps(event.data) and IBAN[4:] not in json.dumps(event.data)

    bank_details_set(actor=org_admin, organisation=organisation, **BANK)  # unchanged: no event
    bank_details_set(actor=org_admin, organisation=organisation, **{**BANK, "bank_name": "Other Bank", "currency": "npr"})
    assert AuditEvent.objects.filter(verb="bank_details.set").first().data["fields"] == ["bank_name", "currency"]
    assert BankDetails.objects.get().currency == "NPR"


def test_plain_account_numbers_are_accepted_where_there_is_no_iban(organisation, org_admin):
    details = bank_details_set(actor=org_admin, organisation=organisation, **{**BANK, "iban": "0123-4567 8901", "swift_bic": ""})
    assert details.iban == "012345678901"


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"iban": "DE89370400440532013001"}, "iban", "bad_iban"),
        ({"iban": "GB00"}, "iban", "invalid"),
        ({"iban": "12€45678"}, "iban", "invalid"),
        ({"swift_bic": "NAR"}, "swift_bic", "invalid"),
        ({"currency": "EURO"}, "currency", "invalid"),
        ({"currency": "ZZZ"}, "currency", "invalid"),
        ({"account_holder": " "}, "account_holder", "required"),
        ({"bank_name": ""}, "bank_name", "required"),
    ],
)
def test_bank_details_refusals(organisation, org_admin, changes, field, code):
    with pytest.raises(DomainError) as exc:
        bank_details_set(actor=org_admin, organisation=organisation, **{**BANK, **changes})
    assert (exc.value.field, exc.value.code) == (field, code)
    assert not BankDetails.objects.exists() and not AuditEvent.objects.filter(verb="bank_details.set").exists()


def test_masked_account_shows_the_last_four_only():
    assert masked_account(IBAN) == "•••• 3000"
    assert masked_account("") == ""


# --- profile_gaps ----------------------------------------------------------------------------------------------

def test_profile_gaps_lists_what_is_missing_until_nothing_is(organisation, org_admin):
    unverified = OrganisationFactory()
    member_of(unverified, MemberRole.ORG_ADMIN, verified=False)
    gaps = [str(g) for g in profile_gaps(unverified)]
    assert gaps == [
        "Registry or registering authority", "Year founded", "Annual budget (EUR)", "Mission", "Address",
        "Contact person", "Contact e-mail", "Contact telephone", "Bank details",
        "A verified e-mail address for an administrator",
    ]
    organisation_update(actor=org_admin, organisation=organisation, **FULL_PROFILE)
    organisation.refresh_from_db()
    assert [str(g) for g in profile_gaps(organisation)] == ["Bank details"]
    bank_details_set(actor=org_admin, organisation=organisation, **BANK)
    assert profile_gaps(organisation) == []


# --- Pages: access ---------------------------------------------------------------------------------------------

def _role_user(kind, organisation, other_organisation):
    """A user of each kind that matters for the profile and bank pages."""
    if kind in ("admin", "editor", "viewer"):
        return member_of(organisation, {"admin": MemberRole.ORG_ADMIN, "editor": MemberRole.EDITOR,
                                        "viewer": MemberRole.VIEWER}[kind])
    if kind == "other_admin":
        return member_of(other_organisation, MemberRole.ORG_ADMIN)
    role = {"finance": R.FINANCE_OFFICER, "officer": R.PROGRAMME_OFFICER, "donor": R.DONOR_OBSERVER,
            "reviewer": R.REVIEWER}[kind]
    return make_user(role, email_verified_at=timezone.now())


EDIT_ACCESS = {"admin": 200, "editor": 403, "viewer": 403, "other_admin": 404, "finance": 403, "officer": 403,
               "donor": 403, "reviewer": 404}
# Bank details: the organisation's administrators and every finance officer; other roles that can see the
# organisation get 403, users who cannot see it at all (other organisations, reviewers) get 404.
BANK_ACCESS = {**EDIT_ACCESS, "finance": 200}


@pytest.mark.parametrize(("kind", "status"), EDIT_ACCESS.items())
def test_edit_page_access(client, organisation, other_organisation, kind, status):
    client.force_login(_role_user(kind, organisation, other_organisation))
    assert client.get(f"/organisations/{organisation.pk}/edit/").status_code == status
    response = client.post(f"/organisations/{organisation.pk}/edit/", form_data(organisation, legal_name="Hijacked"))
    assert response.status_code == (302 if status == 200 else status)
    assert (Organisation.objects.get(pk=organisation.pk).legal_name == "Hijacked") == (status == 200)


@pytest.mark.parametrize(("kind", "status"), BANK_ACCESS.items())
def test_bank_page_access(client, organisation, other_organisation, kind, status):
    client.force_login(_role_user(kind, organisation, other_organisation))
    assert client.get(f"/organisations/{organisation.pk}/bank/").status_code == status
    response = client.post(f"/organisations/{organisation.pk}/bank/", {**BANK, "currency": "EUR", "bank_address": ""})
    assert response.status_code == (302 if status == 200 else status)
    assert BankDetails.objects.filter(organisation=organisation).exists() == (status == 200)


def test_finance_officer_can_change_any_organisations_bank_details(client, organisation, other_organisation, finance):
    client.force_login(finance)
    for org in (organisation, other_organisation):
        response = client.post(f"/organisations/{org.pk}/bank/", {**BANK, "currency": "EUR"})
        assert response.status_code == 302
    assert AuditEvent.objects.filter(verb="bank_details.set", actor=finance).count() == 2
    assert client.get("/organisations/999999/bank/").status_code == 404


@pytest.mark.parametrize("url", ["/organisations/{pk}/edit/", "/organisations/{pk}/bank/", "/organisations/{pk}/"])
def test_profile_pages_need_a_login(client, organisation, url):
    response = client.get(url.format(pk=organisation.pk))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize(("kind", "status"), [("admin", 200), ("viewer", 200), ("other_admin", 404), ("officer", 200),
                                              ("donor", 200), ("finance", 200), ("reviewer", 404)])
def test_detail_page_access(client, organisation, other_organisation, kind, status):
    client.force_login(_role_user(kind, organisation, other_organisation))
    assert client.get(f"/organisations/{organisation.pk}/").status_code == status


# --- Pages: what they show -------------------------------------------------------------------------------------

def test_detail_page_shows_gaps_and_the_masked_account_to_those_allowed(client, organisation, org_admin):
    client.force_login(org_admin)
    body = client.get(f"/organisations/{organisation.pk}/").content.decode()
    assert "What is missing" in body and "Year founded" in body and "Bank details" in body
    assert f'href="/organisations/{organisation.pk}/edit/"' in body and f'href="/organisations/{organisation.pk}/bank/"' in body

    organisation_update(actor=org_admin, organisation=organisation, **FULL_PROFILE)
    bank_details_set(actor=org_admin, organisation=organisation, **BANK)
    response = client.get(f"/organisations/{organisation.pk}/")
    body = response.content.decode()
    assert response.context["gaps"] == []
    assert "Nothing: the profile is complete." in body
    assert "€120,000.50" in body and "•••• 3000" in body
    assert IBAN not in body

    viewer = member_of(organisation, MemberRole.VIEWER)
    client.force_login(viewer)
    body = client.get(f"/organisations/{organisation.pk}/").content.decode()
    assert "3000" not in body and "/bank/" not in body and "/edit/" not in body


def test_bank_page_shows_the_full_number_and_is_not_cached(client, organisation, org_admin):
    bank_details_set(actor=org_admin, organisation=organisation, **BANK)
    client.force_login(org_admin)
    response = client.get(f"/organisations/{organisation.pk}/bank/")
    assert f'value="{IBAN}"' in response.content.decode()
    assert "no-store" in response["Cache-Control"]


def test_edit_saves_and_reads_localised_amounts(client, organisation, org_admin):
    client.force_login(org_admin)
    response = client.post(
        f"/organisations/{organisation.pk}/edit/",
        form_data(organisation, annual_budget="120,000.50", year_founded="2004", website="shelter.example",
                  contact_email="Office@Shelter.example"),
    )
    assert response.status_code == 302 and response["Location"] == f"/organisations/{organisation.pk}/"
    organisation.refresh_from_db()
    assert organisation.annual_budget == Money("120000.50", "EUR")
    assert organisation.website == "https://shelter.example"
    assert organisation.contact_email == "office@shelter.example"

    client.post("/i18n/setlang/", {"language": "fr", "next": "/"})
    response = client.post(f"/organisations/{organisation.pk}/edit/", form_data(organisation, annual_budget="98 765,40"))
    assert response.status_code == 302
    organisation.refresh_from_db()
    assert organisation.annual_budget.amount == Decimal("98765.40")
    body = client.get(f"/organisations/{organisation.pk}/edit/").content.decode()
    assert 'value="98\u202f765,40"' in body


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"year_founded": "1799"}, "year_founded", "between 1800 and"),
        ({"year_founded": str(date.today().year + 1)}, "year_founded", "between 1800 and"),
        ({"year_founded": "nineteen"}, "year_founded", "Enter a whole number."),
        ({"annual_budget": "-5"}, "annual_budget", "greater than or equal to 0"),
        ({"annual_budget": "10.005"}, "annual_budget", "at most two decimals"),
        ({"annual_budget": "1,5"}, "annual_budget", "Enter a number written like"),
        ({"annual_budget": "lots"}, "annual_budget", "Enter a number written like"),
        ({"website": "javascript:alert(1)"}, "website", "Enter a valid URL."),
        ({"contact_email": "office(at)shelter"}, "contact_email", "Enter a valid email address."),
        ({"legal_name": ""}, "legal_name", "This field is required."),
        ({"country": "ZZ"}, "country", "Select a valid choice."),
    ],
)
def test_bad_profile_input_is_shown_on_the_field_and_kept(client, organisation, org_admin, changes, field, message):
    client.force_login(org_admin)
    data = form_data(organisation, mission="Kept mission text", **changes)
    response = client.post(f"/organisations/{organisation.pk}/edit/", data)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert list(errors) == [field]
    assert message in " ".join(errors[field])
    body = response.content.decode()
    assert "Kept mission text" in body
    if changes[field]:
        assert f'value="{changes[field]}"' in body.replace("&#x27;", "'") or field == "country"
    assert Organisation.objects.get(pk=organisation.pk).mission == ""


def test_duplicate_registration_shows_on_the_field(client, organisation, other_organisation, org_admin):
    client.force_login(org_admin)
    data = form_data(organisation, country=other_organisation.country.code,
                     registration_number=other_organisation.registration_number)
    response = client.post(f"/organisations/{organisation.pk}/edit/", data)
    assert response.status_code == 400
    assert "already registered" in response.context["form"].errors["registration_number"][0]


def test_verified_organisation_keeps_its_identity_in_the_form(client, organisation, org_admin, officer):
    Organisation.objects.filter(pk=organisation.pk).update(verified_at=timezone.now(), verified_by=officer)
    client.force_login(org_admin)
    body = client.get(f"/organisations/{organisation.pk}/edit/").content.decode()
    assert "Fixed since the organisation was verified." in body and "disabled" in body
    response = client.post(f"/organisations/{organisation.pk}/edit/", form_data(organisation, legal_name="Renamed", acronym="NEW"))
    assert response.status_code == 302
    organisation.refresh_from_db()
    assert organisation.legal_name != "Renamed" and organisation.acronym == "NEW"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"iban": "DE89370400440532013001"}, "iban", "check digits do not match"),
        ({"iban": ""}, "iban", "This field is required."),
        ({"swift_bic": "NOPE"}, "swift_bic", "8 or 11"),
        ({"currency": "XX"}, "currency", "three-letter ISO code"),
        ({"account_holder": ""}, "account_holder", "This field is required."),
    ],
)
def test_bad_bank_input_is_shown_on_the_field_and_kept(client, organisation, org_admin, changes, field, message):
    client.force_login(org_admin)
    response = client.post(f"/organisations/{organisation.pk}/bank/", {**BANK, "currency": "EUR", "bank_name": "Kept Bank", **changes})
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    assert 'value="Kept Bank"' in response.content.decode()
    assert not BankDetails.objects.exists()


def test_profile_text_is_escaped(client, organisation, org_admin):
    script = "<script>alert('x')</script>"
    organisation_update(
        actor=org_admin, organisation=organisation, legal_name=f"Org {script}", acronym="<b>",
        mission=f"Line 1\n{script}", address=script, contact_name=script, registry=script,
    )
    bank_details_set(actor=org_admin, organisation=organisation, **{**BANK, "account_holder": script})
    client.force_login(org_admin)
    for url in ("/", "edit/", "bank/"):
        body = client.get(f"/organisations/{organisation.pk}/{url.lstrip('/')}").content.decode()
        assert "<script>alert" not in body and "<b>" not in body, url
        assert "&lt;script&gt;" in body, url
