"""Services for personal API tokens. A token's key is returned once by `token_create` and never stored: the row
keeps its first characters (so the owner can tell tokens apart) and its SHA-256 hash (to authenticate it)."""
import secrets

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import roles as R
from accounts.access import has_role
from audit.services import audit_record
from core.errors import DomainError

from .authentication import token_hash
from .models import ApiToken

# Enough for one token per system a person connects, few enough that forgotten tokens get noticed and revoked.
MAX_LIVE_TOKENS = 10
KEY_PREFIX_LENGTH = ApiToken._meta.get_field("key_prefix").max_length
NAME_MAX_LENGTH = ApiToken._meta.get_field("name").max_length


def _audit_data(token):
    # The key itself never reaches the audit trail: the name and the prefix identify the token well enough.
    return {"name": token.name, "prefix": token.key_prefix}


def token_create(*, actor, name) -> tuple[ApiToken, str]:
    """A new token for `actor`. Returns the row and the key; the key cannot be recovered later."""
    name = (name or "").strip()
    if not name:
        raise DomainError(_("Give the token a name, e.g. the system that will use it."), code="required", field="name")
    if len(name) > NAME_MAX_LENGTH:
        raise DomainError(
            _("The name can have at most %(max)d characters.") % {"max": NAME_MAX_LENGTH}, code="too_long", field="name"
        )
    with transaction.atomic():
        # Lock the owner's row so two tokens created at the same moment cannot both pass the cap.
        get_user_model().objects.select_for_update().only("pk").get(pk=actor.pk)
        if ApiToken.objects.filter(user=actor, revoked_at__isnull=True).count() >= MAX_LIVE_TOKENS:
            raise DomainError(
                _("You already have %(max)d active tokens. Revoke one you no longer use before creating another.")
                % {"max": MAX_LIVE_TOKENS},
                code="too_many_tokens",
            )
        key = secrets.token_urlsafe(32)
        token = ApiToken.objects.create(user=actor, name=name, key_prefix=key[:KEY_PREFIX_LENGTH], key_hash=token_hash(key))
        audit_record(actor=actor, verb="api_token.create", target=token, data=_audit_data(token))
    return token, key


def token_revoke(*, actor, token) -> ApiToken:
    """Revoke a token: its owner or an administrator may. Revoking a revoked token changes nothing."""
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().get(pk=token.pk)
        if token.user_id != actor.pk and not has_role(actor, R.ADMINISTRATOR):
            raise DomainError(_("Only the token's owner or an administrator can revoke it."), code="not_allowed")
        if token.revoked_at is not None:
            return token
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(actor=actor, verb="api_token.revoke", target=token, data=_audit_data(token))
    return token
