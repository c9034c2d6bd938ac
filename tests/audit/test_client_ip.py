"""The client's address behind a proxy: the entry the trusted proxy added, never one the client wrote."""
import pytest
from django.test import RequestFactory, override_settings

from audit.middleware import client_ip

PROXIED = {"SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https")}


def request(forwarded=None, remote="10.0.0.2"):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


@override_settings(**PROXIED, TRUSTED_PROXIES=1)
def test_the_proxy_s_own_entry_counts_not_the_client_s():
    assert client_ip(request("6.6.6.6, 203.0.113.9")) == "203.0.113.9"  # 6.6.6.6 was typed by the client


@override_settings(**PROXIED, TRUSTED_PROXIES=2)
def test_two_proxies_count_from_the_right():
    assert client_ip(request("6.6.6.6, 203.0.113.9, 10.0.0.5")) == "203.0.113.9"


@pytest.mark.parametrize("forwarded", ["not-an-address", "1.2.3.4\x00", ""])
@override_settings(**PROXIED, TRUSTED_PROXIES=1)
def test_anything_but_an_address_falls_back_to_the_peer(forwarded):
    assert client_ip(request(forwarded)) == "10.0.0.2"


def test_without_a_proxy_the_header_is_ignored():
    assert client_ip(request("203.0.113.9")) == "10.0.0.2"
