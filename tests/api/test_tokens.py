"""Personal API tokens: the services (key never stored, cap, revoke rules), bearer authentication with them, and the
page where users manage their own tokens."""
import json
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from api.authentication import token_hash
from api.models import ApiToken
from api.services import MAX_LIVE_TOKENS, token_create, token_revoke
from audit.models import AuditEvent
from core.errors import DomainError

pytestmark = pytest.mark.urls("tests.api.token_test_urls")

WHOAMI = "/test/whoami/"


def _bearer(key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


# --- Services ----------------------------------------------------------------------------------------------------

def test_create_stores_the_hash_and_never_the_key(cso_user):
    token, key = token_create(actor=cso_user, name="  Finance system ")

    assert len(key) >= 43  # 32 random bytes, URL-safe base64
    assert token.user == cso_user
    assert token.name == "Finance system"
    assert token.key_prefix == key[:8]
    assert token.key_hash == token_hash(key)
    stored_row = json.dumps(list(ApiToken.objects.filter(pk=token.pk).values()), default=str)
    assert key not in stored_row
    events = AuditEvent.objects.filter(verb="api_token.create")
    assert [(e.target_id, e.data) for e in events] == [(str(token.pk), {"name": "Finance system", "prefix": key[:8]})]
    every_event = json.dumps(list(AuditEvent.objects.values()), default=str)
    assert key not in every_event


def test_each_key_is_different(cso_user):
    _, first = token_create(actor=cso_user, name="one")
    _, second = token_create(actor=cso_user, name="two")
    assert first != second


@pytest.mark.parametrize("name", ["", "   ", "x" * 101])
def test_create_needs_a_sensible_name(cso_user, name):
    with pytest.raises(DomainError) as refused:
        token_create(actor=cso_user, name=name)
    assert refused.value.field == "name"
    assert not ApiToken.objects.exists()
    assert not AuditEvent.objects.filter(verb="api_token.create").exists()


def test_at_most_ten_live_tokens(cso_user):
    tokens = [token_create(actor=cso_user, name=f"token {n}")[0] for n in range(MAX_LIVE_TOKENS)]

    with pytest.raises(DomainError) as refused:
        token_create(actor=cso_user, name="one too many")
    assert refused.value.code == "too_many_tokens"
    assert "Revoke" in refused.value.message
    assert ApiToken.objects.filter(user=cso_user).count() == MAX_LIVE_TOKENS

    token_revoke(actor=cso_user, token=tokens[0])
    token_create(actor=cso_user, name="replacement")  # revoked tokens do not count
    assert ApiToken.objects.filter(user=cso_user, revoked_at__isnull=True).count() == MAX_LIVE_TOKENS


def test_the_cap_is_per_user(cso_user, other_cso_user):
    for n in range(MAX_LIVE_TOKENS):
        token_create(actor=cso_user, name=f"token {n}")
    token, _ = token_create(actor=other_cso_user, name="mine")
    assert token.user == other_cso_user


def test_owner_revokes_once(cso_user):
    token, _ = token_create(actor=cso_user, name="script")

    revoked = token_revoke(actor=cso_user, token=token)
    assert revoked.revoked_at is not None
    again = token_revoke(actor=cso_user, token=token)

    assert again.revoked_at == revoked.revoked_at
    events = AuditEvent.objects.filter(verb="api_token.revoke")
    assert [(e.actor_id, e.data) for e in events] == [(cso_user.pk, {"name": "script", "prefix": token.key_prefix})]


def test_another_user_cannot_revoke(cso_user, other_cso_user, officer):
    token, _ = token_create(actor=cso_user, name="script")
    for intruder in (other_cso_user, officer):
        with pytest.raises(DomainError) as refused:
            token_revoke(actor=intruder, token=token)
        assert refused.value.code == "not_allowed"
    token.refresh_from_db()
    assert token.revoked_at is None
    assert not AuditEvent.objects.filter(verb="api_token.revoke").exists()


def test_an_administrator_may_revoke_anyones_token(cso_user, administrator):
    token, _ = token_create(actor=cso_user, name="leaked")
    assert token_revoke(actor=administrator, token=token).revoked_at is not None
    assert AuditEvent.objects.get(verb="api_token.revoke").actor == administrator


# --- Authentication ----------------------------------------------------------------------------------------------

def test_a_token_authenticates_its_user_and_records_the_use(cso_user):
    token, key = token_create(actor=cso_user, name="script")
    assert token.last_used_at is None

    response = _bearer(key).get(WHOAMI)

    assert response.status_code == 200
    assert response.json() == {"email": cso_user.email}
    token.refresh_from_db()
    assert token.last_used_at is not None


REFUSED = "The token is not valid or has been revoked."


def test_a_revoked_token_no_longer_authenticates(cso_user):
    token, key = token_create(actor=cso_user, name="script")
    assert _bearer(key).get(WHOAMI).status_code == 200
    token_revoke(actor=cso_user, token=token)

    response = _bearer(key).get(WHOAMI)

    assert response.status_code != 200
    assert response.json() == {"detail": REFUSED}


def _wrong_key(key):
    return key[:-1] + ("B" if key.endswith("A") else "A")


def test_a_wrong_token_is_refused(cso_user):
    _, key = token_create(actor=cso_user, name="script")
    response = _bearer(_wrong_key(key)).get(WHOAMI)
    assert response.status_code != 200
    assert response.json() == {"detail": REFUSED}


def test_an_inactive_users_token_is_refused(cso_user):
    _, key = token_create(actor=cso_user, name="script")
    cso_user.is_active = False
    cso_user.save(update_fields=["is_active"])
    assert _bearer(key).get(WHOAMI).json() == {"detail": REFUSED}


def test_the_browser_session_still_authenticates(cso_user):
    client = APIClient()
    client.force_login(cso_user)
    assert client.get(WHOAMI).json() == {"email": cso_user.email}


@pytest.mark.parametrize("header", [None, "Bearer not-a-real-token", "Bearer two parts"])
def test_refused_credentials_are_401_with_a_bearer_challenge(cso_user, header):
    client = APIClient()
    if header:
        client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get(WHOAMI)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"


# --- The page ----------------------------------------------------------------------------------------------------

URL = "/account/api-tokens/"


def test_the_url_name():
    assert reverse("api_tokens") == URL


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={URL}"


def test_the_list_shows_only_own_tokens(client, cso_user, other_cso_user):
    token_create(actor=cso_user, name="Mine for the ledger")
    theirs, _ = token_create(actor=other_cso_user, name="Someone else's script")
    client.force_login(cso_user)

    response = client.get(URL)

    assert response.status_code == 200
    page = response.content.decode()
    assert "Mine for the ledger" in page
    assert "Someone" not in page
    assert theirs.key_prefix not in page
    assert reverse("api_docs") in page
    assert 'Authorization: Bearer &lt;token&gt;' in page


def test_names_are_escaped(client, cso_user):
    token_create(actor=cso_user, name="<b>bold</b>")
    client.force_login(cso_user)
    page = client.get(URL).content.decode()
    assert "<b>bold</b>" not in page
    assert "&lt;b&gt;bold&lt;/b&gt;" in page


def test_the_page_is_any_signed_in_users(client, officer):
    client.force_login(officer)
    assert client.get(URL).status_code == 200


def test_a_new_key_is_shown_once(client, cso_user):
    client.force_login(cso_user)

    response = client.post(URL, {"name": "Finance system"})

    assert response.status_code == 200
    token = ApiToken.objects.get(user=cso_user)
    key = response.context["new_key"]
    assert token.key_hash == token_hash(key)
    page = response.content.decode()
    assert re.search(rf"<code[^>]*>{re.escape(key)}</code>", page)
    assert "will not be shown again" in page
    assert "no-store" in response["Cache-Control"]
    assert all(key not in morsel.value for morsel in response.cookies.values())
    assert key not in json.dumps(dict(client.session.items()), default=str)

    again = client.get(URL)
    assert key not in again.content.decode()
    assert token.key_prefix in again.content.decode()


@pytest.mark.parametrize("name", ["", "x" * 101])
def test_bad_input_comes_back_with_the_message_on_the_field(client, cso_user, name):
    client.force_login(cso_user)

    response = client.post(URL, {"name": name})

    assert response.status_code == 400
    assert response.context["form"].errors["name"]
    assert 'class="field-error"' in response.content.decode()
    assert not ApiToken.objects.exists()


def test_the_cap_is_shown_on_the_page(client, cso_user):
    for n in range(MAX_LIVE_TOKENS):
        token_create(actor=cso_user, name=f"token {n}")
    client.force_login(cso_user)

    response = client.post(URL, {"name": "eleventh"})

    assert response.status_code == 400
    assert "Revoke one you no longer use" in response.content.decode()
    assert response.context["new_key"] is None


def test_revoke_from_the_page(client, cso_user):
    token, key = token_create(actor=cso_user, name="old script")
    client.force_login(cso_user)

    response = client.post(reverse("api_token_revoke", args=[token.pk]), follow=True)

    assert response.redirect_chain == [(URL, 302)]
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert _bearer(key).get(WHOAMI).json() == {"detail": REFUSED}


def test_revoking_another_users_token_is_404(client, cso_user, other_cso_user):
    theirs, _ = token_create(actor=other_cso_user, name="theirs")
    client.force_login(cso_user)

    assert client.post(reverse("api_token_revoke", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_revoke_is_post_only(client, cso_user):
    token, _ = token_create(actor=cso_user, name="script")
    client.force_login(cso_user)
    assert client.get(reverse("api_token_revoke", args=[token.pk])).status_code == 405


def test_csrf_is_enforced(cso_user):
    token, _ = token_create(actor=cso_user, name="script")
    client = Client(enforce_csrf_checks=True)
    client.force_login(cso_user)

    assert client.post(URL, {"name": "forged"}).status_code == 403
    assert client.post(reverse("api_token_revoke", args=[token.pk])).status_code == 403
    assert list(ApiToken.objects.values_list("name", "revoked_at")) == [("script", None)]


def test_the_page_costs_the_same_queries_for_one_token_or_many(client, cso_user):
    client.force_login(cso_user)
    token_create(actor=cso_user, name="first")
    with CaptureQueriesContext(connection) as one:
        client.get(URL)
    for n in range(5):
        token_create(actor=cso_user, name=f"more {n}")
    with CaptureQueriesContext(connection) as six:
        client.get(URL)
    assert len(six) == len(one)
