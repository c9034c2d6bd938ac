"""Sign-in throttling: an account, or an address, with too many failed sign-ins is paused; the pause ends by itself
after the configured minutes, or when an administrator lifts it; failures, pauses and unlocks are audited."""
import io
import re
import secrets
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts import roles as R
from accounts.signin.services import signin_unlock
from api.authentication import token_hash
from api.models import ApiToken
from audit.models import AuditEvent

from ..conftest import make_user

PASSWORD = "correct-horse-battery"  # the factories' password
LIMIT = 3
MINUTES = 15


@pytest.fixture(autouse=True)
def _throttled(settings):
    """The production setting (the test settings leave throttling off so that `client.login()` works), with a
    small limit."""
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = LIMIT
    settings.AXES_COOLOFF_TIME = timedelta(minutes=MINUTES)


@pytest.fixture
def amina(db):
    return make_user(R.APPLICANT, email="amina@example.org", email_verified_at=timezone.now())


def sign_in(client, email, password, address="10.0.0.1"):
    return client.post("/accounts/login/", {"username": email, "password": password}, REMOTE_ADDR=address)


def signed_in(client):
    return "_auth_user_id" in client.session


def fail(client, email, times, address="10.0.0.1"):
    return [sign_in(client, email, "wrong-password", address) for _ in range(times)][-1]


def test_the_right_password_is_refused_once_the_account_is_paused(client, amina):
    response = fail(client, amina.email, LIMIT - 1)
    assert response.status_code == 200 and "Please enter a correct" in response.content.decode()
    response = sign_in(client, amina.email, "wrong-password")
    assert response.status_code == 429
    body = response.content.decode()
    assert "Sign-in is paused" in body and f"{MINUTES} minutes" in body
    assert 'href="/accounts/password-reset/"' in body
    assert not signed_in(client)

    response = sign_in(client, amina.email, PASSWORD)
    assert response.status_code == 429 and not signed_in(client)


def test_an_account_is_paused_whatever_the_letter_case_or_address(client, amina):
    for number, email in enumerate(["amina@example.org", "AMINA@example.org", "Amina@Example.Org"]):
        sign_in(client, email, "wrong-password", address=f"10.0.0.{number + 1}")
    response = sign_in(client, amina.email, PASSWORD, address="10.9.9.9")
    assert response.status_code == 429 and not signed_in(client)


def test_an_address_is_paused_for_every_account(client, amina):
    for number in range(LIMIT):
        sign_in(client, f"guess{number}@example.org", "wrong-password", address="10.0.0.7")
    assert sign_in(client, amina.email, PASSWORD, address="10.0.0.7").status_code == 429
    assert sign_in(client, amina.email, PASSWORD, address="10.0.0.8").status_code == 302
    assert signed_in(client)


def test_the_pause_ends_after_the_configured_minutes(client, amina, clock):
    fail(client, amina.email, LIMIT)
    clock.advance(minutes=MINUTES - 1)
    assert sign_in(client, amina.email, PASSWORD).status_code == 429
    clock.advance(minutes=1, seconds=1)
    response = sign_in(client, amina.email, PASSWORD)
    assert response.status_code == 302 and signed_in(client)


def test_an_administrator_lifts_the_pause_with_the_command(client, amina):
    fail(client, amina.email, LIMIT)
    out = io.StringIO()
    call_command("unlock_signin", "AMINA@example.org", stdout=out)
    assert "amina@example.org" in out.getvalue()
    assert sign_in(client, amina.email, PASSWORD).status_code == 302 and signed_in(client)
    event = AuditEvent.objects.get(verb="signin.unlocked")
    assert event.actor is None and event.target_id == str(amina.pk)
    assert event.data["email"] == "amina@example.org" and event.data["via"] == "command"


def test_the_command_lifts_the_pause_of_an_address(client, amina):
    for number in range(LIMIT):
        sign_in(client, f"guess{number}@example.org", "wrong-password", address="10.0.0.7")
    call_command("unlock_signin", "--address", "10.0.0.7", stdout=io.StringIO())
    assert sign_in(client, amina.email, PASSWORD, address="10.0.0.7").status_code == 302
    assert AuditEvent.objects.get(verb="signin.unlocked").data["ip_address"] == "10.0.0.7"


def test_an_administrator_lifts_the_pause_in_the_admin(client, amina, administrator):
    fail(client, amina.email, LIMIT)
    staff = type(client)()
    staff.force_login(administrator)
    response = staff.post(
        "/admin/accounts/user/", {"action": "unlock_signin", "_selected_action": [amina.pk]}, follow=True
    )
    assert response.status_code == 200
    assert sign_in(client, amina.email, PASSWORD).status_code == 302 and signed_in(client)
    event = AuditEvent.objects.get(verb="signin.unlocked")
    assert event.actor == administrator and event.data["via"] == "admin"


def test_unlocking_needs_an_address_or_an_e_mail(db):
    from core.errors import DomainError

    with pytest.raises(DomainError):
        signin_unlock(actor=None, via="command")


def test_failures_and_the_pause_are_audited_once_each(client, amina):
    fail(client, amina.email, LIMIT)
    sign_in(client, amina.email, PASSWORD)  # refused during the pause

    failed = list(AuditEvent.objects.filter(verb="signin.failed").order_by("pk"))
    assert len(failed) == LIMIT + 1
    assert all(e.actor is None and e.target_id == str(amina.pk) for e in failed)
    assert [e.data["locked"] for e in failed] == [False] * (LIMIT - 1) + [True, True]
    assert failed[0].data["email"] == "amina@example.org" and failed[0].ip_address == "10.0.0.1"

    [locked] = AuditEvent.objects.filter(verb="signin.locked")
    assert locked.target_id == str(amina.pk)
    assert locked.data == {"email": "amina@example.org", "ip_address": "10.0.0.1", "minutes": MINUTES}


def test_failures_for_unknown_addresses_are_audited_without_a_target(client, db):
    sign_in(client, "nobody@example.org", "wrong-password")
    event = AuditEvent.objects.get(verb="signin.failed")
    assert event.target_id == "" and event.data["email"] == "nobody@example.org"


def test_a_new_password_from_the_reset_link_lifts_the_pause(client, amina, mailoutbox):
    fail(client, amina.email, LIMIT)
    client.post("/accounts/password-reset/", {"email": amina.email})
    link = re.search(r"http://testserver(/accounts/password-reset/\S+/)", mailoutbox[0].body).group(1)
    form_url = client.get(link, follow=True).redirect_chain[-1][0]
    new = "a-brand-new-passphrase"
    response = client.post(form_url, {"new_password1": new, "new_password2": new})
    assert response.status_code == 302
    assert sign_in(client, amina.email, new).status_code == 302 and signed_in(client)
    assert AuditEvent.objects.get(verb="signin.unlocked").data["via"] == "password_reset"


def test_api_tokens_and_sessions_keep_working_during_a_pause(client, amina):
    key = secrets.token_urlsafe(32)
    ApiToken.objects.create(user=amina, name="tests", key_prefix=key[:8], key_hash=token_hash(key))
    fail(client, amina.email, LIMIT)
    response = client.get("/api/v1/applications/", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 200
    session = type(client)()
    session.force_login(amina)
    assert session.get("/api/v1/applications/").status_code == 200
