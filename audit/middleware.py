from django.conf import settings

from . import context


def client_ip(request):
    """The client's address; X-Forwarded-For is trusted only when the app is configured to sit behind a proxy."""
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip() or None
    return request.META.get("REMOTE_ADDR") or None


class AuditContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = context.set_ip(client_ip(request))
        try:
            return self.get_response(request)
        finally:
            context.reset(token)
