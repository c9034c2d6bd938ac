"""Rate limits of the API: requests per user (bearer token or session), per client address for anonymous requests,
and failed bearer tokens per client address. Counted in Django's default cache, so app nodes share the counts when
the cache is shared. Over a limit the answer is 429 with `Retry-After` (seconds).

The rates are REST_FRAMEWORK's DEFAULT_THROTTLE_RATES, from API_RATE_USER, API_RATE_ANON and API_RATE_FAILED_TOKEN
(README, "Configuration"). The client address is the one the audit trail records (`audit.middleware.client_ip`).
"""
from rest_framework import throttling
from rest_framework.settings import api_settings

from audit.middleware import client_ip


class RateThrottle(throttling.SimpleRateThrottle):
    @property
    def THROTTLE_RATES(self):
        """The rates as the settings say now: DRF copies them once, at import, which settings changed later (in
        tests) would not reach."""
        return api_settings.DEFAULT_THROTTLE_RATES

    def wait(self):
        """Seconds until the oldest counted request leaves the window. DRF's estimate gives none (so no Retry-After)
        once concurrent requests have pushed the count past the limit."""
        return self.duration - (self.now - self.history[-1])

    def key_for(self, ident):
        return self.cache_format % {"scope": self.scope, "ident": ident}


class UserRateThrottle(RateThrottle):
    """Requests of a signed-in user, whichever token or session they come with."""

    scope = "user"

    def get_cache_key(self, request, view):
        return self.key_for(request.user.pk) if request.user.is_authenticated else None


class AnonRateThrottle(RateThrottle):
    """Requests without credentials, per client address."""

    scope = "anon"

    def get_cache_key(self, request, view):
        return None if request.user.is_authenticated else self.key_for(client_ip(request))


class FailedTokenThrottle(RateThrottle):
    """Failed bearer tokens per client address (api.authentication). `allow_request` only checks the count, before
    the token is looked up, so that an address over the limit learns nothing of the tokens it tries; `count_failure`
    adds a failed token to it."""

    scope = "failed_token"

    def get_cache_key(self, request, view):
        return self.key_for(client_ip(request))

    def throttle_success(self):
        return True

    def count_failure(self):
        if self.rate is not None:
            super().throttle_success()
