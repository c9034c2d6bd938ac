"""Self-registration of a CSO, e-mail verification, resending the link, and the verified-e-mail decorator."""
import re

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.utils import timezone

from accounts import roles as R
from accounts.access import can_on, has_role, needs_email_verification
from accounts.models import Membership, MemberRole, Organisation, User
from accounts.services import cso_register, email_verification_send, user_verify_email
from accounts.tokens import email_verification_token
from audit.models import AuditEvent
from core.errors import DomainError

from ..conftest import make_user
from ..factories import OrganisationFactory

BASE = "http://testserver"
PASSWORD = "a-long-and-unusual-passphrase"
SIGNUP = {
    "full_name": "Amina Rai",
    "email": "amina@shelter.example",
    "password": PASSWORD,
    "legal_name": "Shelter Network Nepal",
    "acronym": "SNN",
    "country": "NP",
    "registration_number": "SWC-1001",
    "org_type": "22",
}


def register(**overrides):
    data = {**SIGNUP, **overrides}
    return cso_register(base_url=BASE, **data)


def link_in(message):
    return re.search(r"http://testserver(/\S+)", message.body).group(1)


# --- Service -------------------------------------------------------------------------------------------------

def test_register_creates_applicant_admin_and_sends_the_link_after_commit(db, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        user, org = register(email=" Amina@Shelter.EXAMPLE ")
        assert mailoutbox == [], "the e-mail must wait for the commit"
    assert user.email == "amina@shelter.example" and user.check_password(PASSWORD)
    assert user.email_verified_at is None
    assert has_role(user, R.APPLICANT)
    assert org.legal_name == "Shelter Network Nepal" and org.country.code == "NP"
    assert Membership.objects.get(user=user, organisation=org).role == MemberRole.ORG_ADMIN
    assert can_on(user, "change_organisation", org) and can_on(user, "manage_members", org)
    verbs = set(AuditEvent.objects.values_list("verb", flat=True))
    assert {"user.create", "organisation.create", "membership.set", "role.grant", "user.verification_sent"} <= verbs
    assert AuditEvent.objects.get(verb="organisation.create").actor == user

    [message] = mailoutbox
    assert message.to == ["amina@shelter.example"]
    assert message.subject == "Confirm your e-mail address"
    assert "Hello Amina," in message.body and "3 days" in message.body
    assert link_in(message).startswith("/accounts/verify/")


def test_a_duplicate_registration_is_refused_and_nothing_is_created(db, mailoutbox, django_capture_on_commit_callbacks):
    register()
    counts = (User.objects.count(), Organisation.objects.count(), Membership.objects.count(), AuditEvent.objects.count())
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(DomainError) as exc:
        register(email="someone@else.example")
    assert exc.value.field == "registration_number"
    assert counts == (User.objects.count(), Organisation.objects.count(), Membership.objects.count(), AuditEvent.objects.count())
    assert mailoutbox == []


def test_same_registration_number_in_another_country_is_fine(db):
    register()
    _user, org = register(email="someone@else.example", country="MA")
    assert org.country.code == "MA"


def test_registration_refuses_an_unknown_organisation_type_or_country(db):
    for overrides, field in (({"org_type": "99"}, "org_type"), ({"country": "XX"}, "country")):
        with pytest.raises(DomainError) as exc:
            register(**overrides)
        assert exc.value.field == field
    assert not User.objects.exists()


def test_verification_sets_the_date_once_and_is_idempotent(db, clock):
    user, _org = register()
    token = email_verification_token(user)
    verified = user_verify_email(actor=None, token=token)
    assert verified.email_verified_at == clock.now
    event = AuditEvent.objects.get(verb="user.email_verified")
    assert event.actor == user and event.data == {"email": user.email, "via": "link"}
    clock.advance(hours=1)
    assert user_verify_email(actor=user, token=token).email_verified_at == verified.email_verified_at
    assert AuditEvent.objects.filter(verb="user.email_verified").count() == 1


def test_verification_link_expires_after_three_days(db, clock):
    on_time, _org = register()
    late, _org = register(email="late@shelter.example", registration_number="SWC-1002")
    on_time_token, late_token = email_verification_token(on_time), email_verification_token(late)
    clock.advance(days=3, seconds=-1)
    assert user_verify_email(actor=None, token=on_time_token).email_verified_at is not None
    clock.advance(seconds=2)
    with pytest.raises(DomainError) as exc:
        user_verify_email(actor=None, token=late_token)
    assert exc.value.code == "token_expired"
    assert User.objects.get(pk=late.pk).email_verified_at is None


@pytest.mark.parametrize(
    "make_token",
    [
        lambda user: "garbage",
        lambda user: email_verification_token(user)[:-3] + "abc",
        lambda user: signing.dumps({"u": user.pk, "e": user.email, "t": 0}, salt="something-else"),
        lambda user: default_token_generator.make_token(user),
        lambda user: signing.dumps({"u": user.pk + 1000, "e": user.email, "t": int(timezone.now().timestamp())},
                                   salt="accounts.email-verification"),
    ],
    ids=["garbled", "tampered", "other-purpose", "password-reset-token", "unknown-user"],
)
def test_verification_refuses_bad_tokens(db, make_token):
    user, _org = register()
    with pytest.raises(DomainError) as exc:
        user_verify_email(actor=None, token=make_token(user))
    assert exc.value.code == "token_invalid"
    assert User.objects.get(pk=user.pk).email_verified_at is None


def test_a_token_stops_working_when_the_address_changes(db):
    user, _org = register()
    token = email_verification_token(user)
    User.objects.filter(pk=user.pk).update(email="new@shelter.example")
    with pytest.raises(DomainError):
        user_verify_email(actor=None, token=token)


def test_resending_is_limited_to_once_a_minute(db, clock, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        user, _org = register()
    clock.advance(seconds=59)
    with pytest.raises(DomainError) as exc:
        email_verification_send(actor=user, user=user, base_url=BASE)
    assert exc.value.code == "too_soon"
    clock.advance(seconds=2)
    with django_capture_on_commit_callbacks(execute=True):
        email_verification_send(actor=user, user=user, base_url=BASE)
    assert len(mailoutbox) == 2
    assert AuditEvent.objects.filter(verb="user.verification_sent").count() == 2
    # Either link works.
    user_verify_email(actor=None, token=link_in(mailoutbox[0]).split("/")[-2])
    clock.advance(minutes=5)
    with pytest.raises(DomainError) as exc:
        email_verification_send(actor=user, user=user, base_url=BASE)
    assert exc.value.code == "already_verified"


# --- Pages ---------------------------------------------------------------------------------------------------

def test_signup_page_shows_the_form_to_visitors_only(client, db):
    response = client.get("/accounts/signup/")
    assert response.status_code == 200
    body = response.content.decode()
    for name in SIGNUP:
        assert f'name="{name}"' in body
    assert "novalidate" in body
    client.force_login(make_user(R.APPLICANT))
    assert client.get("/accounts/signup/").status_code == 302


def test_login_page_links_to_signup(client, db):
    assert 'href="/accounts/signup/"' in client.get("/accounts/login/").content.decode()


def test_signup_journey_confirms_the_address_then_signs_in(client, db, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/signup/", SIGNUP)
    assert response.status_code == 302 and response["Location"] == "/accounts/signup/sent/"
    assert "_auth_user_id" not in client.session
    body = client.get("/accounts/signup/sent/").content.decode()
    assert "Check your e-mail" in body and "amina@shelter.example" in body

    response = client.get(link_in(mailoutbox[0]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Your e-mail address is confirmed" in body and 'href="/accounts/login/"' in body
    assert User.objects.get().email_verified_at is not None

    response = client.post("/accounts/login/", {"username": "amina@shelter.example", "password": PASSWORD})
    assert response.status_code == 302
    assert "is confirmed" in client.get("/accounts/verify/").content.decode()
    org = Organisation.objects.get()
    assert client.get(f"/organisations/{org.pk}/edit/").status_code == 200


def test_verification_link_works_without_signing_in(client, db):
    user, _org = register()
    response = client.get(f"/accounts/verify/{email_verification_token(user)}/")
    assert response.status_code == 200
    assert "Sign in" in response.content.decode()
    assert User.objects.get(pk=user.pk).email_verified_at is not None


def test_bad_and_expired_links_get_a_clear_page(client, db, clock):
    user, _org = register()
    response = client.get("/accounts/verify/not-a-token/")
    assert response.status_code == 400
    assert "This link is not valid" in response.content.decode()
    token = email_verification_token(user)
    clock.advance(days=4)
    response = client.get(f"/accounts/verify/{token}/")
    assert response.status_code == 400
    assert "This link has expired" in response.content.decode()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"full_name": ""}, "full_name", "This field is required."),
        ({"email": "not-an-address"}, "email", "Enter a valid email address."),
        ({"password": "short"}, "password", "too short"),
        ({"password": "password123456"}, "password", "too common"),
        ({"password": "8237461928374"}, "password", "entirely numeric"),
        ({"password": "amina@shelter.example"}, "password", "too similar"),
        ({"legal_name": ""}, "legal_name", "This field is required."),
        ({"country": "XX"}, "country", "Select a valid choice."),
        ({"registration_number": ""}, "registration_number", "This field is required."),
        ({"org_type": "7"}, "org_type", "Select a valid choice."),
    ],
)
def test_bad_signup_input_is_shown_on_the_field_and_kept(client, db, overrides, field, message):
    response = client.post("/accounts/signup/", {**SIGNUP, **overrides})
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert list(errors) == [field]
    assert message in " ".join(errors[field])
    body = response.content.decode()
    assert message.replace("'", "&#x27;") in body or message in body
    assert 'value="Shelter Network Nepal"' in body or field == "legal_name"
    assert PASSWORD not in body, "a password is never sent back"
    assert not User.objects.exists() and not Organisation.objects.exists()
    assert "_auth_user_id" not in client.session


def test_a_duplicate_registration_is_shown_on_its_field(client, db):
    register(email="first@shelter.example", registration_number="SWC-1001")
    response = client.post("/accounts/signup/", {**SIGNUP, "email": "second@shelter.example"})
    assert response.status_code == 400
    assert "already registered in this country" in " ".join(response.context["form"].errors["registration_number"])
    assert User.objects.count() == 1 and Organisation.objects.count() == 1


def test_resend_button_is_rate_limited(client, db, clock, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/signup/", SIGNUP)
    client.force_login(User.objects.get())
    response = client.post("/accounts/verify/resend/", follow=True)
    assert "wait a minute" in response.content.decode()
    assert len(mailoutbox) == 1
    clock.advance(minutes=1, seconds=1)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/verify/resend/", follow=True)
    assert "We have sent a new link to amina@shelter.example" in response.content.decode()
    assert len(mailoutbox) == 2


def test_check_email_and_resend_need_a_login(client, db):
    for url in ("/accounts/verify/", "/accounts/verify/resend/"):
        response = client.post(url) if url.endswith("resend/") else client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    client.force_login(make_user(R.APPLICANT))
    assert client.get("/accounts/verify/resend/").status_code == 405


# --- The verified-e-mail decorator -----------------------------------------------------------------------------

def test_unverified_users_may_browse_but_not_change_organisation_data(client, db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/signup/", SIGNUP)
    client.force_login(User.objects.get())
    org = Organisation.objects.get()
    response = client.get(f"/organisations/{org.pk}/")
    assert response.status_code == 200
    assert "Your e-mail address is not confirmed yet" in response.content.decode()
    for url in (f"/organisations/{org.pk}/edit/", f"/organisations/{org.pk}/bank/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == "/accounts/verify/", url
    response = client.post(f"/organisations/{org.pk}/edit/", {"legal_name": "Changed"})
    assert response.status_code == 302 and response["Location"] == "/accounts/verify/"
    assert Organisation.objects.get().legal_name == "Shelter Network Nepal"
    response = client.post(f"/organisations/{org.pk}/invitations/", {"email": "x@example.org", "role": "editor"})
    assert response.status_code == 302 and response["Location"] == "/accounts/verify/"

    user_verify_email(actor=None, token=email_verification_token(User.objects.get()))
    assert client.get(f"/organisations/{org.pk}/edit/").status_code == 200


def test_programme_staff_need_no_verification(db):
    assert not needs_email_verification(make_user(R.FINANCE_OFFICER))
    assert not needs_email_verification(make_user(R.PROGRAMME_OFFICER))
    assert needs_email_verification(make_user(R.APPLICANT))
    assert needs_email_verification(make_user(R.DONOR_OBSERVER))


def test_decorator_sends_visitors_to_sign_in(client, db):
    org = OrganisationFactory()
    response = client.get(f"/organisations/{org.pk}/edit/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
