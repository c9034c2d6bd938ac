"""Settings for the test suite: the real settings, with a fixed non-secret key and fast, local side effects."""
import os
import tempfile

os.environ.setdefault("SECRET_KEY", "tests-only-key-not-used-anywhere-else-0123456789abcdef")
os.environ.setdefault("HTTPS", "0")

from .settings import *  # noqa: E402,F403
from .settings import REST_FRAMEWORK, STORAGES  # noqa: E402

# The API's rate limits would stop the suites that call it hundreds of times a minute (schema fuzzing, concurrency);
# tests/api/test_throttling.py sets low ones.
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": dict.fromkeys(REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "1000000/min")}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Sign-in throttling needs the request in authenticate(), which the test client's login() does not pass; the
# throttling tests (tests/accounts/test_signin_lockout.py) turn it on.
AXES_ENABLED = False
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = tempfile.mkdtemp(prefix="csogrants-media-")
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
# Serve static files from the apps' folders, as in development: the suite never runs collectstatic.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
