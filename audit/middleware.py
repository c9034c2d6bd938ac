import ipaddress

from django.conf import settings

from . import context


def _address(value):
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(request):
    """The client's address. Behind a proxy (BEHIND_PROXY=1) it is the X-Forwarded-For entry the nearest trusted
    proxy added: counted from the right (TRUSTED_PROXIES, default 1), since a client can write any entries it likes
    on the left. Anything that is not an IP address is ignored."""
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        entries = [e for e in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if e.strip()]
        trusted = getattr(settings, "TRUSTED_PROXIES", 1)
        if len(entries) >= trusted:
            found = _address(entries[-trusted])
            if found:
                return found
    return _address(request.META.get("REMOTE_ADDR") or "")


class AuditContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = context.set_ip(client_ip(request))
        try:
            return self.get_response(request)
        finally:
            context.reset(token)
