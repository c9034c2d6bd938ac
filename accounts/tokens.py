"""Tokens sent by e-mail: signed e-mail-verification tokens and random invitation tokens (only a hash is stored)."""
import hashlib
import secrets
from datetime import timedelta

from django.core import signing
from django.utils import timezone

EMAIL_VERIFICATION_MAX_AGE = timedelta(days=3)
INVITATION_VALIDITY = timedelta(days=14)

# A salt of its own: a token signed for anything else (password reset, sessions) never verifies an address.
_VERIFY_SALT = "accounts.email-verification"


class TokenExpired(Exception):
    """The link was genuine but is too old."""


class TokenInvalid(Exception):
    """The link was altered, is for another purpose, or no longer matches the account."""


def email_verification_token(user) -> str:
    # The address is part of the signed value, so a token stops working if the account's address changes.
    # The time comes from django.utils.timezone, the clock every other expiry in the project reads.
    issued = int(timezone.now().timestamp())
    return signing.dumps({"u": user.pk, "e": user.email, "t": issued}, salt=_VERIFY_SALT)


def read_email_verification_token(token):
    """(user id, e-mail) from a verification token; TokenExpired or TokenInvalid otherwise."""
    try:
        value = signing.loads(token, salt=_VERIFY_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        raise TokenInvalid from None
    if not isinstance(value, dict) or not all(isinstance(value.get(k), t) for k, t in (("u", int), ("e", str), ("t", int))):
        raise TokenInvalid
    if timezone.now().timestamp() - value["t"] > EMAIL_VERIFICATION_MAX_AGE.total_seconds():
        raise TokenExpired
    return value["u"], value["e"]


def new_invitation_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
