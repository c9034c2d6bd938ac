"""Bearer tokens for machine clients: `Authorization: Bearer <token>`. Tokens are created and revoked by
api.services; only their SHA-256 hash is stored, so a leaked database does not leak working tokens."""
import hashlib

from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from .models import ApiToken
from .throttling import FailedTokenThrottle

# A token is used at most once a minute for `last_used_at`, so busy clients do not write on every request.
LAST_USED_RESOLUTION_SECONDS = 60


def token_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        """The token's user, or 401; 429 while the client's address is over its limit of failed tokens (checked
        before the token is looked up, counted when it fails)."""
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        failures = FailedTokenThrottle()
        if not failures.allow_request(request, None):
            raise exceptions.Throttled(failures.wait())
        try:
            return self._token_user(request, header)
        except exceptions.AuthenticationFailed:
            failures.count_failure()
            raise

    def _token_user(self, request, header):
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Send the header as: Authorization: Bearer <token>."))
        try:
            key = header[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed(_("The token is not valid.")) from None
        token = (
            ApiToken.objects.select_related("user")
            .filter(key_hash=token_hash(key), revoked_at__isnull=True)
            .first()
        )
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("The token is not valid or has been revoked."))
        now = timezone.now()
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > LAST_USED_RESOLUTION_SECONDS:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        if "HTTP_ACCEPT_LANGUAGE" not in request.META and token.user.language:
            # Messages in the token owner's language unless the client asks for another (Accept-Language).
            translation.activate(token.user.language)
        return token.user, token

    def authenticate_header(self, request):
        return self.keyword


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": str(_("A personal API token, created on the API tokens page."))}
