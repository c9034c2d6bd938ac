"""Signing up with an address that already has an account looks exactly like signing up with a new one: nobody
learns from the sign-up page who has an account. The owner of the account is told by e-mail instead."""
import re

import pytest
from django.test import Client

from accounts.models import Membership, Organisation, User
from accounts.services import cso_register
from audit.models import AuditEvent
from core.errors import DomainError

from .test_signup import SIGNUP

BASE = "http://testserver"


@pytest.fixture
def owner(db, django_capture_on_commit_callbacks, mailoutbox):
    """An existing account, registered with its organisation (its verification e-mail is left out of the outbox)."""
    with django_capture_on_commit_callbacks(execute=True):
        user, _org = cso_register(base_url=BASE, **SIGNUP)
    mailoutbox.clear()
    return user


def sign_up(client, email, registration_number):
    return client.post("/accounts/signup/", {**SIGNUP, "email": email, "registration_number": registration_number})


def page_after(client, response, email):
    """The page the visitor lands on, less what differs by nature: the address they typed and the CSRF tokens."""
    body = client.get(response["Location"]).content.decode()
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", body.replace(email, "EMAIL"))


def test_a_taken_address_gets_the_same_answer_as_a_new_one(owner, django_capture_on_commit_callbacks):
    new_visitor, other_visitor = Client(), Client()
    with django_capture_on_commit_callbacks(execute=True):
        new = sign_up(new_visitor, "someone@new.example", "SWC-2001")
        taken = sign_up(other_visitor, "AMINA@shelter.example", "SWC-2002")

    assert new.status_code == taken.status_code == 302
    assert new["Location"] == taken["Location"] == "/accounts/signup/sent/"
    assert sorted(new.cookies) == sorted(taken.cookies)
    assert "_auth_user_id" not in new_visitor.session and "_auth_user_id" not in other_visitor.session
    new_page = page_after(new_visitor, new, "someone@new.example")
    assert new_page == page_after(other_visitor, taken, "AMINA@shelter.example")
    assert "Check your e-mail" in new_page and "We have sent a message to <strong>EMAIL</strong>" in new_page


def test_a_duplicate_organisation_is_refused_alike_for_taken_and_new_addresses(owner):
    for email in ("amina@shelter.example", "someone@new.example"):
        response = sign_up(Client(), email, SIGNUP["registration_number"])
        assert response.status_code == 400
        assert "already registered in this country" in " ".join(response.context["form"].errors["registration_number"])
        assert list(response.context["form"].errors) == ["registration_number"]


def test_the_owner_is_told_and_nothing_is_created(owner, mailoutbox, django_capture_on_commit_callbacks):
    counts = (User.objects.count(), Organisation.objects.count(), Membership.objects.count())
    with django_capture_on_commit_callbacks(execute=True):
        result = cso_register(base_url=BASE, **{**SIGNUP, "email": "Amina@Shelter.example", "registration_number": "X-9"})
    assert result == (None, None)
    assert counts == (User.objects.count(), Organisation.objects.count(), Membership.objects.count())
    assert User.objects.get(pk=owner.pk).check_password(SIGNUP["password"])

    [message] = mailoutbox
    assert message.to == ["amina@shelter.example"]
    assert message.subject == "Someone tried to register with your e-mail address"
    assert "no new account was created" in message.body
    assert f"{BASE}/accounts/login/" in message.body and f"{BASE}/accounts/password-reset/" in message.body
    event = AuditEvent.objects.get(verb="user.signup_notice_sent")
    assert event.target_id == str(owner.pk) and event.actor is None


def test_the_notice_is_written_in_the_owners_language(owner, mailoutbox, django_capture_on_commit_callbacks):
    User.objects.filter(pk=owner.pk).update(language="fr")
    with django_capture_on_commit_callbacks(execute=True):
        sign_up(Client(), "amina@shelter.example", "SWC-2002")
    assert mailoutbox[0].body.startswith("Bonjour Amina,")


def test_the_owner_is_told_at_most_once_an_hour(owner, mailoutbox, django_capture_on_commit_callbacks, clock):
    for _attempt in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            response = sign_up(Client(), "amina@shelter.example", "SWC-2002")
        assert response["Location"] == "/accounts/signup/sent/"
    assert len(mailoutbox) == 1
    clock.advance(hours=1, seconds=1)
    with django_capture_on_commit_callbacks(execute=True):
        sign_up(Client(), "amina@shelter.example", "SWC-2002")
    assert len(mailoutbox) == 2


def test_registration_still_refuses_an_invalid_profile_first(owner):
    with pytest.raises(DomainError) as exc:
        cso_register(base_url=BASE, **{**SIGNUP, "org_type": "99"})
    assert exc.value.field == "org_type"
