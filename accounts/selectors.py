"""Reads that pages share: what an organisation's profile still lacks, its members and invitations."""
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from .models import BankDetails, Invitation, Membership, MemberRole, Organisation
from .tokens import token_hash

# Optional fields (acronym, website) are not gaps: many small organisations have neither.
PROFILE_GAP_FIELDS = (
    "registry", "year_founded", "annual_budget", "mission", "address", "contact_name", "contact_email", "contact_phone",
)


def profile_gaps(organisation) -> list:
    """Translatable labels of what the organisation's profile still lacks, in the order of the profile form."""
    gaps = [
        capfirst(Organisation._meta.get_field(name).verbose_name)
        for name in PROFILE_GAP_FIELDS
        if getattr(organisation, name) in (None, "")
    ]
    if not BankDetails.objects.filter(organisation=organisation).exists():
        gaps.append(_("Bank details"))
    verified_admin = Membership.objects.filter(
        organisation=organisation, role=MemberRole.ORG_ADMIN, user__email_verified_at__isnull=False
    )
    if not verified_admin.exists():
        gaps.append(_("A verified e-mail address for an administrator"))
    return gaps


def members_of(organisation):
    return (
        Membership.objects.filter(organisation=organisation)
        .select_related("user")
        .order_by("user__full_name", "user__email")
    )


def open_invitations_of(organisation):
    """Invitations not yet accepted or withdrawn, expired ones included (they can be withdrawn or sent again)."""
    return (
        Invitation.objects.filter(organisation=organisation, accepted_at__isnull=True, revoked_at__isnull=True)
        .annotate(expired=ExpressionWrapper(Q(expires_at__lte=timezone.now()), output_field=BooleanField()))
        .order_by("-created_at")
    )


def invitation_by_token(token):
    return Invitation.objects.select_related("organisation").filter(token_hash=token_hash(token or "")).first()


def invitation_state(invitation) -> str:
    if invitation.accepted_at is not None:
        return "accepted"
    if invitation.revoked_at is not None:
        return "revoked"
    if invitation.expires_at <= timezone.now():
        return "expired"
    return "open"


def masked_account(number) -> str:
    """An account number reduced to its last four characters, for everywhere but the bank details page."""
    number = (number or "").replace(" ", "")
    return f"•••• {number[-4:]}" if number else ""
