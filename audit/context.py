"""The request that is being served, as seen by services that write audit events.

Services take no request argument; the middleware records the client's address here for the duration of
the request, and `audit_record` reads it. Outside a request (commands, tests) it is empty.
"""
from contextvars import ContextVar

_client_ip: ContextVar[str | None] = ContextVar("audit_client_ip", default=None)


def current_ip():
    return _client_ip.get()


def set_ip(ip):
    return _client_ip.set(ip)


def reset(token):
    _client_ip.reset(token)
