"""Rate limits of the API (api.throttling): per user, per client address without credentials, and failed bearer
tokens per address. Over a limit: 429 with Retry-After. The suite's settings raise the limits out of reach; these
tests set low ones."""
import pytest
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from rest_framework.test import APIClient

from api.throttling import RateThrottle
from config.env import env_rate
from tests.api.conftest import TOKEN, api_client

pytestmark = [pytest.mark.django_db]

CALLS = "/api/v1/calls/"
GRANTS = "/api/v1/grants/"
RATES = {"user": "5/min", "anon": "3/min", "failed_token": "2/min"}


@pytest.fixture(autouse=True)
def low_limits(settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": RATES}
    cache.clear()
    yield
    cache.clear()


def from_address(client, address):
    client.defaults["REMOTE_ADDR"] = address
    return client


def statuses(client, path, times):
    return [client.get(path).status_code for _ in range(times)]


def assert_throttled(response, *, within=60):
    assert response.status_code == 429
    assert list(response.json()) == ["detail"]
    assert 1 <= int(response["Retry-After"]) <= within


def test_a_token_is_limited_per_user(finance, donor):
    client = api_client(finance, via=TOKEN)
    assert statuses(client, GRANTS, 5) == [200] * 5
    assert_throttled(client.get(GRANTS))
    # Another token of the same person shares the count; another person has their own.
    assert api_client(finance, via=TOKEN).get(GRANTS).status_code == 429
    assert api_client(donor, via=TOKEN).get(GRANTS).status_code == 200


def test_a_browser_session_is_limited_per_user_too(donor):
    client = api_client(donor)
    assert statuses(client, GRANTS, 6) == [200] * 5 + [429]


def test_anonymous_requests_are_limited_per_address(db):
    client = from_address(APIClient(), "203.0.113.5")
    assert statuses(client, CALLS, 3) == [200] * 3
    assert_throttled(client.get(CALLS))
    assert from_address(APIClient(), "203.0.113.6").get(CALLS).status_code == 200


def test_failed_tokens_count_against_the_address(finance):
    guesser = from_address(APIClient(), "198.51.100.7")
    guesser.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    assert statuses(guesser, GRANTS, 2) == [401, 401]
    assert_throttled(guesser.get(GRANTS))
    # Checked before the token is looked up: from that address even a valid token waits, so guessing learns nothing.
    valid = from_address(api_client(finance, via=TOKEN), "198.51.100.7")
    assert_throttled(valid.get(GRANTS))
    assert from_address(api_client(finance, via=TOKEN), "198.51.100.8").get(GRANTS).status_code == 200


def test_a_malformed_authorization_header_counts_as_a_failure(db):
    client = from_address(APIClient(), "198.51.100.9")
    client.credentials(HTTP_AUTHORIZATION="Bearer two parts")
    assert statuses(client, CALLS, 3) == [401, 401, 429]


def test_the_limit_lifts_when_the_window_has_passed(finance, monkeypatch):
    now = [1_000_000.0]
    monkeypatch.setattr(RateThrottle, "timer", lambda self: now[0])
    client = api_client(finance, via=TOKEN)
    assert statuses(client, GRANTS, 6)[-1] == 429
    now[0] += 30
    assert client.get(GRANTS).status_code == 429
    assert int(client.get(GRANTS)["Retry-After"]) == 30
    now[0] += 31
    assert client.get(GRANTS).status_code == 200


def test_429_is_in_the_schema(client):
    responses = client.get("/api/schema/?format=json").json()["paths"][GRANTS]["get"]["responses"]
    assert "429" in responses


@pytest.mark.parametrize(("raw", "expected"), [(None, "60/min"), ("", "60/min"), (" 600/min ", "600/min"), ("10/s", "10/s"),
                                               ("5000/day", "5000/day")])
def test_rates_come_from_the_environment(monkeypatch, raw, expected):
    if raw is None:
        monkeypatch.delenv("API_RATE_ANON", raising=False)
    else:
        monkeypatch.setenv("API_RATE_ANON", raw)
    assert env_rate("API_RATE_ANON", "60/min") == expected


@pytest.mark.parametrize("raw", ["100", "0/min", "10/month", "ten/min", "10 / min", "-1/min"])
def test_a_rate_that_is_not_one_is_refused_at_start(monkeypatch, raw):
    monkeypatch.setenv("API_RATE_ANON", raw)
    with pytest.raises(ImproperlyConfigured):
        env_rate("API_RATE_ANON", "60/min")
