"""Two-factor sign-in for staff: setting it up with a code, the code step after the password, roles that must use
it (TWO_FACTOR_REQUIRED), turning it off, and the administrator's reset."""
import re
import time

import pytest
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.signin.services import two_factor_remove
from audit.models import AuditEvent
from core.errors import DomainError

PASSWORD = "correct-horse-battery"  # the factories' password


def code_for(device, *, ahead=0):
    """The code the authenticator app shows now, or `ahead` time steps later (each code is accepted only once)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def wrong_code(device):
    return f"{(int(code_for(device)) + 1) % 10 ** device.digits:06d}"


def with_device(user):
    return TOTPDevice.objects.create(user=user, name="authenticator app", confirmed=True)


def sign_in(client, user, next_url=""):
    query = f"?next={next_url}" if next_url else ""
    return client.post(f"/accounts/login/{query}", {"username": user.email, "password": PASSWORD, "next": next_url})


def signed_in(client):
    return "_auth_user_id" in client.session


@pytest.fixture
def no_throttle(settings):
    """django-otp makes a try after a wrong code wait 1, 2, 4... seconds; these tests do not wait."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 0


# --- Setting it up ---------------------------------------------------------------------------------------------

def test_setting_up_shows_a_qr_code_and_the_key_then_confirms_with_a_code(client, officer, no_throttle):
    client.force_login(officer)
    body = client.get("/account/two-factor/").content.decode()
    assert "Set up two-factor sign-in" in body and 'href="/account/two-factor/"' in client.get("/account/").content.decode()

    assert client.post("/account/two-factor/", {"action": "start"}).status_code == 302
    device = TOTPDevice.objects.get(user=officer)
    assert not device.confirmed
    body = client.get("/account/two-factor/").content.decode()
    assert '<svg' in body and 'class="qr-code"' in body
    assert not re.search(r"<script(?![^>]*\bsrc=)", body) and "style=" not in body, "no inline code (CSP)"
    secret = body.split("<code")[1].split(">", 1)[1].split("</code>")[0]
    assert len(secret.replace(" ", "")) == 32  # 20 random bytes in base32

    response = client.post("/account/two-factor/", {"action": "confirm", "code": wrong_code(device)})
    assert response.status_code == 400 and "This code is not right" in response.content.decode()
    assert not TOTPDevice.objects.get(pk=device.pk).confirmed

    response = client.post("/account/two-factor/", {"action": "confirm", "code": code_for(device)})
    assert response.status_code == 302
    assert TOTPDevice.objects.get(pk=device.pk).confirmed
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    event = AuditEvent.objects.get(verb="two_factor.set_up")
    assert event.actor == officer and event.target_id == str(officer.pk)
    assert "Since" in client.get("/account/two-factor/").content.decode()


def test_moving_to_another_app_keeps_the_old_one_until_the_new_one_is_confirmed(client, officer):
    old = with_device(officer)
    client.force_login(officer)
    client.post("/account/two-factor/", {"action": "start"})
    new = TOTPDevice.objects.get(user=officer, confirmed=False)
    assert TOTPDevice.objects.filter(pk=old.pk).exists()
    client.post("/account/two-factor/", {"action": "confirm", "code": code_for(new)})
    assert list(TOTPDevice.objects.filter(user=officer).values_list("pk", flat=True)) == [new.pk]
    assert AuditEvent.objects.get(verb="two_factor.set_up").data == {"replaced": True}


def test_applicants_have_no_two_factor_page(client, cso_user):
    client.force_login(cso_user)
    assert client.get("/account/two-factor/").status_code == 403
    assert "/account/two-factor/" not in client.get("/account/").content.decode()


# --- Signing in ------------------------------------------------------------------------------------------------

def test_with_a_device_the_password_alone_does_not_sign_in(client, officer):
    with_device(officer)
    response = sign_in(client, officer)
    assert response.status_code == 302 and response["Location"] == "/accounts/login/code/"
    assert not signed_in(client)
    assert client.get("/audit/").status_code == 302
    assert client.get("/api/v1/grants/").status_code in (401, 403)
    body = client.get("/accounts/login/code/").content.decode()
    assert "Sign-in code" in body and 'autocomplete="one-time-code"' in body


def test_the_right_code_signs_in_and_goes_where_the_person_was_going(client, officer):
    device = with_device(officer)
    assert sign_in(client, officer, next_url="/audit/")["Location"] == "/accounts/login/code/"
    response = client.post("/accounts/login/code/", {"code": code_for(device)})
    assert response.status_code == 302 and response["Location"] == "/audit/"
    assert signed_in(client) and client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert client.get("/audit/").status_code == 200


def test_a_wrong_code_does_not_sign_in_is_audited_and_slows_the_next_try(client, officer, clock):
    device = with_device(officer)
    sign_in(client, officer)
    response = client.post("/accounts/login/code/", {"code": wrong_code(device)})
    assert response.status_code == 400 and "This code is not right" in response.content.decode()
    assert not signed_in(client)
    event = AuditEvent.objects.get(verb="signin.failed")
    assert event.data == {"email": officer.email, "step": "code", "locked": False}

    response = client.post("/accounts/login/code/", {"code": code_for(device)})
    assert response.status_code == 400 and "wait a moment" in response.content.decode()
    assert not signed_in(client)
    clock.advance(seconds=2)
    assert client.post("/accounts/login/code/", {"code": code_for(device)}).status_code == 302
    assert signed_in(client)


def test_a_code_is_accepted_once(client, officer, no_throttle):
    device = with_device(officer)
    code = code_for(device)
    sign_in(client, officer)
    assert client.post("/accounts/login/code/", {"code": code}).status_code == 302
    other = Client()
    sign_in(other, officer)
    assert other.post("/accounts/login/code/", {"code": code}).status_code == 400
    assert other.post("/accounts/login/code/", {"code": code_for(device, ahead=1)}).status_code == 302


def test_wrong_codes_count_towards_the_sign_in_pause(client, officer, settings, no_throttle):
    settings.AXES_ENABLED, settings.AXES_FAILURE_LIMIT = True, 3
    device = with_device(officer)
    sign_in(client, officer)
    for _attempt in range(2):
        assert client.post("/accounts/login/code/", {"code": wrong_code(device)}).status_code == 400
    assert client.post("/accounts/login/code/", {"code": wrong_code(device)}).status_code == 429
    response = client.post("/accounts/login/code/", {"code": code_for(device)})
    assert response.status_code == 429 and not signed_in(client)


def test_the_code_step_waits_five_minutes_at_most(client, officer, clock):
    device = with_device(officer)
    sign_in(client, officer)
    clock.advance(minutes=5, seconds=1)
    response = client.post("/accounts/login/code/", {"code": code_for(device)})
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert not signed_in(client)


def test_the_code_step_needs_the_password_first(client, officer):
    with_device(officer)
    response = client.get("/accounts/login/code/")
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"


def test_the_admin_site_signs_in_through_the_same_two_steps(client, administrator):
    device = with_device(administrator)
    response = client.get("/admin/", follow=True)
    body = response.content.decode()
    assert response.status_code == 200 and 'action="/accounts/login/"' in body and 'value="/admin/"' in body
    assert sign_in(client, administrator, next_url="/admin/")["Location"] == "/accounts/login/code/"
    assert client.post("/accounts/login/code/", {"code": code_for(device)})["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_without_a_device_the_password_signs_in_as_before(client, officer):
    response = sign_in(client, officer)
    assert response.status_code == 302 and response["Location"] == "/" and signed_in(client)


# --- Roles that must use it ------------------------------------------------------------------------------------

@pytest.fixture
def required(settings):
    settings.TWO_FACTOR_REQUIRED_ROLES = ["finance_officer", "administrator"]


def test_required_roles_are_sent_to_the_setup_page_first(client, finance, administrator, officer, required):
    for user in (finance, administrator):
        client.force_login(user)
        response = client.get("/audit/")
        assert response.status_code == 302 and response["Location"] == "/account/two-factor/", user
        assert client.get("/account/two-factor/").status_code == 200
        assert client.post("/accounts/logout/")["Location"] == "/"
    client.force_login(officer)  # optional for the other staff roles
    assert client.get("/audit/").status_code == 200


def test_a_required_role_can_work_once_set_up(client, finance, required):
    client.force_login(finance)
    client.post("/account/two-factor/", {"action": "start"})
    device = TOTPDevice.objects.get(user=finance)
    client.post("/account/two-factor/", {"action": "confirm", "code": code_for(device)})
    assert client.get("/audit/").status_code == 200


def test_without_the_setting_no_role_is_sent_to_the_setup_page(client, finance):
    client.force_login(finance)
    assert client.get("/audit/").status_code == 200


def test_a_required_role_cannot_turn_it_off(finance, required):
    device = with_device(finance)
    with pytest.raises(DomainError) as exc:
        two_factor_remove(actor=finance, user=finance, code=code_for(device))
    assert exc.value.code == "required_by_role"
    assert TOTPDevice.objects.filter(pk=device.pk).exists()


# --- Turning it off, and the administrator's reset -------------------------------------------------------------

def test_turning_it_off_needs_a_current_code(client, officer, no_throttle):
    device = with_device(officer)
    client.force_login(officer)
    response = client.post("/account/two-factor/", {"action": "remove", "code": wrong_code(device)})
    assert response.status_code == 400 and TOTPDevice.objects.filter(pk=device.pk).exists()
    assert client.post("/account/two-factor/", {"action": "remove", "code": code_for(device)}).status_code == 302
    assert not TOTPDevice.objects.exists()
    event = AuditEvent.objects.get(verb="two_factor.removed")
    assert event.actor == officer and event.data == {"by": "self"}


def test_an_administrator_resets_a_lost_device_in_the_admin(client, officer, administrator):
    with_device(officer)
    client.force_login(administrator)
    response = client.post(
        "/admin/accounts/user/", {"action": "reset_two_factor", "_selected_action": [officer.pk]}, follow=True
    )
    assert response.status_code == 200 and "Two-factor sign-in was reset for 1 account." in response.content.decode()
    assert not TOTPDevice.objects.filter(user=officer).exists()
    event = AuditEvent.objects.get(verb="two_factor.removed")
    assert event.actor == administrator and event.target_id == str(officer.pk) and event.data == {"by": "administrator"}

    other = Client()
    assert sign_in(other, officer)["Location"] == "/" and signed_in(other)


def test_devices_are_not_in_the_admin(client, administrator):
    administrator.is_superuser = True
    administrator.save(update_fields=["is_superuser"])
    client.force_login(administrator)
    assert client.get("/admin/otp_totp/totpdevice/").status_code == 404


def test_the_session_of_a_removed_device_is_no_longer_two_factor(client, officer):
    device = with_device(officer)
    sign_in(client, officer)
    client.post("/accounts/login/code/", {"code": code_for(device)})
    two_factor_remove(actor=officer, user=officer, code=code_for(device, ahead=1))
    assert client.get("/audit/").status_code == 200
    assert DEVICE_ID_SESSION_KEY not in client.session
