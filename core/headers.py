"""Response headers beyond Django's own (`SecurityMiddleware`) and django-csp's `Content-Security-Policy`.

- `Permissions-Policy`: no page uses the camera, the microphone, the location or any other powerful browser
  feature, so none may, not even a page of this site framed by another.
- `Cache-Control`: whatever is sent to a signed-in person (bank details, applications, payment orders, files) and
  the sign-in, sign-up and password pages is `private, no-store`: no shared cache keeps it and the browser drops
  it, so the back button after signing out shows nothing. Other pages for visitors (home, calls) are
  `private, no-cache`: their forms carry a CSRF token tied to the visitor's cookie, which a shared cache must not
  hand to someone else, and the browser checks again before reusing them, so a stale token does not fail a form.
- `Clear-Site-Data` on the response that signs a person out: the browser empties this site's cache and storage,
  the copy of a draft that `static/js/autosave.js` keeps in local storage among it (the script also removes its
  copies when the sign-out form is sent, for browsers that ignore the header).

Static files are served by WhiteNoise before this middleware runs and keep their long cache lifetimes.
"""
from django.utils.cache import patch_cache_control

PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer", "autoplay", "camera", "display-capture", "encrypted-media", "fullscreen", "geolocation",
        "gyroscope", "hid", "idle-detection", "magnetometer", "microphone", "midi", "payment", "picture-in-picture",
        "publickey-credentials-get", "screen-wake-lock", "serial", "usb", "xr-spatial-tracking",
    )
)

CLEAR_SITE_DATA = '"cache", "storage"'

# URL names of the pages a visitor uses to sign in, register, confirm an address, reset a password or accept an
# invitation: they carry passwords and one-time links, so they are never stored either.
SIGN_IN_PAGES = frozenset({
    "login", "logout", "signup", "signup_sent", "check_email", "verification_resend", "verify_email", "invitation",
    "password_reset", "password_reset_done", "password_reset_confirm", "password_reset_complete",
})


class SecurityHeadersMiddleware:
    """Sits after `AuthenticationMiddleware`: it reads who was signed in before and after the view."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        signed_in_before = request.user.is_authenticated
        response = self.get_response(request)
        # request.user after the view: the person just signed in, signed out, or authenticated by an API token.
        signed_in_after = request.user.is_authenticated
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        if signed_in_before and not signed_in_after:
            response["Clear-Site-Data"] = CLEAR_SITE_DATA
        match = request.resolver_match
        if signed_in_before or signed_in_after or (match is not None and match.url_name in SIGN_IN_PAGES):
            patch_cache_control(response, private=True, no_store=True)
        elif not response.has_header("Cache-Control"):
            patch_cache_control(response, private=True, no_cache=True)
        return response
