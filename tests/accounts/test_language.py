"""A person's language: chosen at sign-up, on the account page or with the switcher; pages, e-mails follow it."""
import pytest
from django.template.loader import render_to_string
from django.utils import translation

from accounts.models import User
from audit.models import AuditEvent
from tests.accounts.test_signup import SIGNUP
from tests.conftest import login

pytestmark = pytest.mark.django_db


def test_signup_in_french_saves_french_and_sends_the_link_in_french(client, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/signup/", {**SIGNUP, "language": "fr"})
    assert response.status_code == 302
    assert User.objects.get(email=SIGNUP["email"]).language == "fr"
    assert mailoutbox[0].subject == "Confirmez votre adresse e-mail"
    assert "Veuillez confirmer" in mailoutbox[0].body or "confirmer" in mailoutbox[0].body


def test_signup_without_a_choice_takes_the_page_language(client, django_capture_on_commit_callbacks):
    client.post("/i18n/setlang/", {"language": "es", "next": "/"})
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/signup/", SIGNUP)
    assert User.objects.get(email=SIGNUP["email"]).language == "es"


def test_signup_form_offers_each_language_in_its_own_name(client):
    body = client.get("/accounts/signup/", HTTP_ACCEPT_LANGUAGE="ar").content.decode()
    assert 'name="language"' in body and "Français" in body and "العربيّة" in body and 'dir="rtl"' in body
    assert '<option value="ar" selected>' in body


def test_pages_follow_the_account_language_whatever_the_browser_asks(client, cso_user):
    cso_user.language = "ru"
    cso_user.save(update_fields=["language"])
    login(client, cso_user)
    body = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="ru"' in body and "Конкурсы предложений" in body


def test_visitors_follow_their_browser(client, db):
    body = client.get("/calls/", HTTP_ACCEPT_LANGUAGE="pt-BR,pt;q=0.9").content.decode()
    assert '<html lang="pt"' in body


def test_switcher_saves_the_language_on_the_account_and_audits_it(client, cso_user):
    login(client, cso_user)
    response = client.post("/i18n/setlang/", {"language": "ar", "next": "/"})
    assert response.status_code == 302
    cso_user.refresh_from_db()
    assert cso_user.language == "ar"
    event = AuditEvent.objects.get(verb="user.language")
    assert event.data == {"from": "en", "to": "ar"}
    assert 'dir="rtl"' in client.get("/").content.decode()


def test_switcher_ignores_an_unknown_language(client, cso_user):
    login(client, cso_user)
    client.post("/i18n/setlang/", {"language": "xx", "next": "/"})
    cso_user.refresh_from_db()
    assert cso_user.language == "en" and not AuditEvent.objects.filter(verb="user.language").exists()


def test_account_page_changes_the_language(client, cso_user):
    login(client, cso_user)
    page = client.get("/account/")
    assert page.status_code == 200 and cso_user.email in page.content.decode()
    response = client.post("/account/", {"language": "pt"})
    assert response.status_code == 302 and response["Location"] == "/account/"
    cso_user.refresh_from_db()
    assert cso_user.language == "pt"
    assert "O seu idioma foi guardado" in client.get("/account/").content.decode()


def test_account_page_refuses_an_unknown_language_on_the_field(client, cso_user):
    login(client, cso_user)
    response = client.post("/account/", {"language": "klingon"})
    assert response.status_code == 400
    assert "language" in response.context["form"].errors
    cso_user.refresh_from_db()
    assert cso_user.language == "en"


def test_account_page_needs_sign_in(client, db):
    response = client.get("/account/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_account_page_shows_only_the_signed_in_person(client, cso_user, officer):
    login(client, officer)
    body = client.get("/account/").content.decode()
    assert officer.email in body and cso_user.email not in body


def test_api_tokens_are_reached_from_the_account_page_not_the_header(client, cso_user):
    login(client, cso_user)
    home = client.get("/").content.decode()
    assert "/account/api-tokens/" not in home and 'href="/account/"' in home
    assert 'href="/account/api-tokens/"' in client.get("/account/").content.decode()


def test_password_reset_mail_goes_out_in_the_accounts_language(client, cso_user, mailoutbox):
    cso_user.language = "fr"
    cso_user.save(update_fields=["language"])
    response = client.post("/accounts/password-reset/", {"email": cso_user.email}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302
    [mail] = mailoutbox
    english = client.get("/accounts/password-reset/", HTTP_ACCEPT_LANGUAGE="en")
    assert english.status_code == 200  # the page itself stays in the visitor's language
    with translation.override("fr"):
        expected = render_to_string("registration/password_reset_subject.txt").strip()
    assert mail.subject == expected and "mot de passe" in (mail.subject + mail.body).lower()
