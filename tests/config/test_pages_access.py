"""Every page, every kind of user: who gets 200, who 403 (wrong role) and who 404 (someone else's object)."""
import pytest

from accounts import roles as R
from accounts.services import user_create

from ..conftest import make_user


def test_anonymous_home_has_a_sign_in_form_and_open_calls(client, demo):
    response = client.get("/")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="password"' in body and "csrfmiddlewaretoken" in body
    assert "CSO direct assistance to victims of trafficking" in body


@pytest.mark.parametrize(
    ("email", "expected"),
    [
        ("admin@demo.test", "Open the administration"),
        ("officer@demo.test", "Calls for proposals"),
        ("finance@demo.test", "Envelope position by call"),
        ("donor@demo.test", "Envelope position by call"),
        ("reviewer1@demo.test", "Open your reviews"),
        ("cso1@demo.test", "Safe Journeys Nepal"),
        ("cso2@demo.test", "Atlas Migrant Aid"),
    ],
)
def test_each_demo_account_logs_in_and_sees_its_page(client, demo, email, expected):
    response = client.post("/accounts/login/", {"username": email, "password": "glo-act-demo-2026"}, follow=True)
    assert response.status_code == 200
    assert response.context["user"].email == email
    assert expected in response.content.decode()


def test_cso_home_does_not_show_the_other_cso(client, demo):
    client.post("/accounts/login/", {"username": "cso1@demo.test", "password": "glo-act-demo-2026"})
    body = client.get("/").content.decode()
    assert "Atlas Migrant Aid" not in body
    assert "Envelope position" not in body


def test_wrong_password_gets_a_clear_message_and_keeps_the_email(client, demo):
    response = client.post("/accounts/login/", {"username": "cso1@demo.test", "password": "nope"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "correct email address and password" in body or "correct e-mail address and password" in body
    assert 'value="cso1@demo.test"' in body


@pytest.mark.parametrize("role", [R.PROGRAMME_OFFICER, R.FINANCE_OFFICER, R.ADMINISTRATOR, R.DONOR_OBSERVER])
def test_envelope_page_for_staff_and_donor(client, demo, role):
    client.force_login(make_user(role))
    response = client.get("/envelope/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "€10,000,000.00" in body and "€2,000,000.00" in body and "C01" in body


@pytest.mark.parametrize("role", [R.APPLICANT, R.REVIEWER, None])
def test_envelope_page_refuses_other_roles(client, demo, role):
    client.force_login(make_user(role) if role else make_user())
    assert client.get("/envelope/").status_code == 403


def test_pages_need_a_login(client, demo):
    for url in ("/envelope/", "/audit/", "/organisations/1/"):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url


@pytest.mark.parametrize("role", [R.PROGRAMME_OFFICER, R.FINANCE_OFFICER, R.ADMINISTRATOR])
def test_audit_log_for_staff(client, demo, role):
    client.force_login(make_user(role))
    response = client.get("/audit/?area=ledger")
    assert response.status_code == 200
    assert "ledger.allocate" in response.content.decode()


@pytest.mark.parametrize("role", [R.APPLICANT, R.REVIEWER, R.DONOR_OBSERVER])
def test_audit_log_refuses_other_roles(client, demo, role):
    client.force_login(make_user(role))
    assert client.get("/audit/").status_code == 403


def test_organisation_page_for_members_and_staff_only(client, organisation, cso_user, other_cso_user, officer):
    url = f"/organisations/{organisation.pk}/"
    client.force_login(cso_user)
    assert client.get(url).status_code == 200
    client.force_login(other_cso_user)
    assert client.get(url).status_code == 404, "another organisation's user must not learn it exists"
    client.force_login(officer)
    assert client.get(url).status_code == 200
    assert client.get("/organisations/999999/").status_code == 404


def test_text_is_escaped(client, db, officer):
    from accounts.services import organisation_create

    org = organisation_create(
        actor=None, legal_name="<script>alert(1)</script>", country="NP", registration_number="S-1", org_type="22"
    )
    client.force_login(officer)
    body = client.get(f"/organisations/{org.pk}/").content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_password_reset_sends_a_working_link(client, db, mailoutbox):
    user_create(actor=None, email="amina@example.org", password="old-long-passphrase")
    response = client.post("/accounts/password-reset/", {"email": "amina@example.org"}, follow=True)
    assert response.status_code == 200
    assert len(mailoutbox) == 1
    link = next(line for line in mailoutbox[0].body.splitlines() if "/accounts/password-reset/" in line).strip()
    path = link.split("testserver", 1)[1]
    response = client.get(path, follow=True)
    form_url = response.redirect_chain[-1][0] if response.redirect_chain else path
    response = client.post(form_url, {"new_password1": "a-brand-new-passphrase", "new_password2": "a-brand-new-passphrase"}, follow=True)
    assert response.status_code == 200
    assert client.login(username="amina@example.org", password="a-brand-new-passphrase")


def test_password_reset_does_not_reveal_unknown_addresses(client, db, mailoutbox):
    response = client.post("/accounts/password-reset/", {"email": "nobody@example.org"}, follow=True)
    assert response.status_code == 200 and len(mailoutbox) == 0
    assert "If an account uses that address" in response.content.decode()


def test_logout_is_post_only_and_csrf_protected(db):
    from django.test import Client

    user = make_user(R.APPLICANT)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.post("/accounts/logout/").status_code == 403  # no CSRF token
    assert client.get("/accounts/logout/").status_code == 405


def test_language_switch_to_arabic_sets_rtl(client, demo):
    client.post("/i18n/setlang/", {"language": "ar", "next": "/"})
    body = client.get("/").content.decode()
    assert 'lang="ar"' in body and 'dir="rtl"' in body


def test_audit_log_pages_keep_the_filter(client, officer, call):
    from audit.services import audit_record

    for i in range(60):
        audit_record(actor=officer, verb="ledger.commit", target=call, amount=i + 1)
    client.force_login(officer)
    body = client.get("/audit/?area=ledger").content.decode()
    assert "Page 1 of 2" in body and "?area=ledger&amp;page=2" in body
    assert "Page 2 of 2" in client.get("/audit/?area=ledger&page=2").content.decode()
