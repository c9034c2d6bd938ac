"""Services for users, roles, organisations, bank details, memberships and invitations. Each writes an audit event."""
import re
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_countries import countries
from guardian.shortcuts import assign_perm, remove_perm
from moneyed import Money
from moneyed.classes import CurrencyDoesNotExist, get_currency

from audit.models import AuditEvent
from audit.services import audit_record
from core.errors import DomainError
from core.mail import Address, Mail, mail_on_commit
from core.money import EUR, MoneyValueError, exact_cents

from . import roles as R
from .access import forget_roles
from .diligence.services import screen_organisation
from .models import BankDetails, Invitation, Membership, MemberRole, Organisation, OrganisationType, User
from .selectors import masked_account
from .tokens import (
    INVITATION_VALIDITY,
    TokenExpired,
    TokenInvalid,
    email_verification_token,
    new_invitation_token,
    read_email_verification_token,
    token_hash,
)

# What each member role may do on its organisation (guardian object permissions).
MEMBER_ROLE_PERMS = {
    MemberRole.ORG_ADMIN: ("view_organisation", "change_organisation", "manage_members", "edit_applications"),
    MemberRole.EDITOR: ("view_organisation", "edit_applications"),
    MemberRole.VIEWER: ("view_organisation",),
}
ALL_MEMBER_PERMS = sorted({p for perms in MEMBER_ROLE_PERMS.values() for p in perms})


def role_grant(*, actor, user, role):
    if role not in R.ALL_ROLES:
        raise DomainError(f"Unknown role {role!r}.", code="unknown_role")
    with transaction.atomic():
        # The groups come from a data migration; get_or_create also covers databases emptied by tests.
        group, _ = Group.objects.get_or_create(name=role)
        if user.groups.filter(pk=group.pk).exists():
            return
        user.groups.add(group)
        if role in R.STAFF_ROLES and not user.is_staff:
            user.is_staff = True  # staff roles work in the admin site too
            user.save(update_fields=["is_staff"])
        audit_record(actor=actor, verb="role.grant", target=user, data={"role": role})
    forget_roles(user)


def role_revoke(*, actor, user, role):
    with transaction.atomic():
        group = Group.objects.filter(name=role).first()
        if group is None or not user.groups.filter(pk=group.pk).exists():
            return
        user.groups.remove(group)
        still_staff = user.is_superuser or user.groups.filter(name__in=R.STAFF_ROLES).exists()
        if user.is_staff and not still_staff:
            user.is_staff = False
            user.save(update_fields=["is_staff"])
        audit_record(actor=actor, verb="role.revoke", target=user, data={"role": role})
    forget_roles(user)


def user_create(*, actor, email, password=None, full_name="", roles=(), language=None):
    with transaction.atomic():
        if User.objects.filter(email__iexact=email).exists():
            raise DomainError(f"An account with the e-mail address {email} already exists.", code="email_taken", field="email")
        user = User.objects.create_user(
            email=email, password=password, full_name=full_name, language=_language(language or settings.LANGUAGE_CODE)
        )
        audit_record(actor=actor, verb="user.create", target=user, data={"email": user.email})
        for role in roles:
            role_grant(actor=actor, user=user, role=role)
    return user


def _language(code):
    if code not in dict(settings.LANGUAGES):
        raise DomainError(_("Choose one of the languages offered."), code="invalid_language", field="language")
    return code


def user_set_language(*, actor, user, language) -> User:
    """The language of a person's pages, e-mails and documents."""
    language = _language(language)
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if user.language != language:
            previous, user.language = user.language, language
            user.save(update_fields=["language"])
            audit_record(actor=actor, verb="user.language", target=user, data={"from": previous, "to": language})
    return user


def _sync_member_perms(membership):
    wanted = set(MEMBER_ROLE_PERMS[MemberRole(membership.role)])
    for perm in ALL_MEMBER_PERMS:
        if perm in wanted:
            assign_perm(perm, membership.user, membership.organisation)
        else:
            remove_perm(perm, membership.user, membership.organisation)


def organisation_create(*, actor, legal_name, country, registration_number, org_type, acronym="", admin=None, org_id_scheme=""):
    """Register an organisation; `admin`, if given, becomes its first organisation administrator."""
    with transaction.atomic():
        if Organisation.objects.filter(country=country, registration_number=registration_number).exists():
            raise DomainError(
                "An organisation with this registration number is already registered in this country.",
                code="duplicate_registration",
                field="registration_number",
            )
        org = Organisation.objects.create(
            legal_name=legal_name,
            acronym=acronym,
            country=country,
            registration_number=registration_number,
            org_type=org_type,
            org_id_scheme=org_id_scheme,
        )
        audit_record(actor=actor, verb="organisation.create", target=org)
        if admin is not None:
            membership_set(actor=actor, organisation=org, user=admin, role=MemberRole.ORG_ADMIN)
    return org


def membership_set(*, actor, organisation, user, role):
    """Add `user` to `organisation` with `role`, or change their role; object permissions follow the role."""
    role = MemberRole(role)
    with transaction.atomic():
        membership, created = Membership.objects.select_for_update().get_or_create(
            user=user, organisation=organisation, defaults={"role": role}
        )
        before = None if created else membership.role
        if not created and membership.role != role:
            if membership.role == MemberRole.ORG_ADMIN:
                _refuse_last_admin(organisation, membership)
            membership.role = role
            membership.save(update_fields=["role"])
        _sync_member_perms(membership)
        if before != role:
            audit_record(
                actor=actor,
                verb="membership.set",
                target=organisation,
                data={"user": user.email, "role": role.value, "previous_role": before},
            )
    return membership


def membership_remove(*, actor, membership):
    with transaction.atomic():
        membership = Membership.objects.select_for_update().get(pk=membership.pk)
        if membership.role == MemberRole.ORG_ADMIN:
            _refuse_last_admin(membership.organisation, membership)
        for perm in ALL_MEMBER_PERMS:
            remove_perm(perm, membership.user, membership.organisation)
        audit_record(
            actor=actor,
            verb="membership.remove",
            target=membership.organisation,
            data={"user": membership.user.email, "role": membership.role},
        )
        membership.delete()


def _refuse_last_admin(organisation, membership):
    others = (
        Membership.objects.select_for_update()
        .filter(organisation=organisation, role=MemberRole.ORG_ADMIN)
        .exclude(pk=membership.pk)
    )
    if not others.exists():
        raise DomainError(
            "An organisation must keep at least one administrator: appoint another one first.",
            code="last_admin",
        )


# --- E-mails ---------------------------------------------------------------------------------------------------

def _mail_rendered(*, to, subject, template, context):
    """The e-mail `template` renders, with `subject` (a function of the context, so it is translated too), in the
    language of `to` (a User or a core.mail.Address)."""
    mail_on_commit([to], lambda person: Mail(subject(context), render_to_string(template, context)))


# --- Self-registration and e-mail verification -----------------------------------------------------------------

VERIFICATION_RESEND_INTERVAL = timedelta(minutes=1)
# An address that already has an account: its owner is told of a sign-up attempt at most once in this interval.
SIGNUP_NOTICE_INTERVAL = timedelta(hours=1)


def cso_register(
    *, actor=None, email, password, full_name, legal_name, country, registration_number, org_type, acronym="", base_url,
    language=None,
):
    """A visitor registers themselves and their organisation: an applicant account that administers the new
    organisation, and a verification e-mail. `base_url` (scheme and host) prefixes the links in the e-mails.

    Returns (user, organisation); or (None, None) when the address already has an account: then nothing is created
    and the owner is e-mailed instead (`_signup_existing`), so that the visitor learns nothing about who has an
    account here, as with password reset."""
    email = User.objects.normalize_email(email.strip()).lower()
    profile = _clean_profile(
        legal_name=legal_name, acronym=acronym, country=country, registration_number=registration_number, org_type=org_type
    )
    with transaction.atomic():
        # The organisation check comes first, so a refusal leaves nothing behind and reads the same whether or not
        # the address has an account.
        if Organisation.objects.filter(country=profile["country"], registration_number=profile["registration_number"]).exists():
            raise DomainError(
                _("An organisation with this registration number is already registered in this country. "
                  "Ask its administrator to invite you."),
                code="duplicate_registration", field="registration_number",
            )
        owner = User.objects.select_for_update().filter(email__iexact=email).first()
        if owner is not None:
            # The password is hashed all the same, so the answer takes as long as for a new account.
            User().set_password(password)
            _signup_existing(owner, base_url=base_url)
            return None, None
        user = user_create(
            actor=actor, email=email, password=password, full_name=full_name.strip(), roles=(R.APPLICANT,), language=language
        )
        organisation = organisation_create(actor=user, admin=user, **profile)
        # A possible sanctions match becomes an open flag for an officer; the applicant is not told.
        screen_organisation(actor=user, organisation=organisation)
        _send_verification(actor=user, user=user, base_url=base_url)
    return user, organisation


def _last_event_at(user, verb):
    """When the latest audit event `verb` about `user` was written, or None."""
    return (
        AuditEvent.objects.filter(verb=verb, target_type=ContentType.objects.get_for_model(User), target_id=str(user.pk))
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )


def _signup_existing(owner, *, base_url):
    """Someone tried to register with the address of `owner`'s account: tell the owner (at most once per
    SIGNUP_NOTICE_INTERVAL, so the form cannot be used to flood a mailbox), with links to sign in and to reset the
    password."""
    last_notice = _last_event_at(owner, "user.signup_notice_sent")
    if last_notice is not None and timezone.now() - last_notice < SIGNUP_NOTICE_INTERVAL:
        return
    _mail_rendered(
        to=owner,
        subject=lambda context: _("Someone tried to register with your e-mail address"),
        template="accounts/email/signup_existing.txt",
        context={
            "user": owner, "login_link": base_url + reverse("login"), "reset_link": base_url + reverse("password_reset"),
        },
    )
    audit_record(actor=None, verb="user.signup_notice_sent", target=owner, data={"email": owner.email})


def _send_verification(*, actor, user, base_url):
    link = base_url + reverse("verify_email", args=[email_verification_token(user)])
    _mail_rendered(
        to=user,
        subject=lambda context: _("Confirm your e-mail address"),
        template="accounts/email/verify_email.txt",
        context={"user": user, "link": link},
    )
    audit_record(actor=actor, verb="user.verification_sent", target=user, data={"email": user.email})


def email_verification_send(*, actor, user, base_url):
    """Send the verification link again: at most once a minute per user, and not once the address is verified."""
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if user.email_verified_at is not None:
            raise DomainError(_("Your e-mail address is already verified."), code="already_verified")
        last_sent = _last_event_at(user, "user.verification_sent")
        if last_sent is not None and timezone.now() - last_sent < VERIFICATION_RESEND_INTERVAL:
            raise DomainError(
                _("We sent you a link less than a minute ago. Please wait a minute before asking again."),
                code="too_soon",
            )
        _send_verification(actor=actor, user=user, base_url=base_url)


def user_verify_email(*, actor, token):
    """Mark the address in a verification token as verified. Idempotent; expired or altered tokens are refused."""
    try:
        user_id, email = read_email_verification_token(token)
    except TokenExpired:
        raise DomainError(
            _("This link has expired. Sign in and ask for a new one."), code="token_expired"
        ) from None
    except TokenInvalid:
        raise DomainError(
            _("This link is not valid. Check that you copied all of it from the e-mail."), code="token_invalid"
        ) from None
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=user_id, email__iexact=email, is_active=True).first()
        if user is None:
            raise DomainError(
                _("This link is not valid. Check that you copied all of it from the e-mail."), code="token_invalid"
            )
        if user.email_verified_at is None:
            _mark_verified(user, actor=actor if getattr(actor, "is_authenticated", False) else user, via="link")
    return user


def _mark_verified(user, *, actor, via):
    user.email_verified_at = timezone.now()
    user.save(update_fields=["email_verified_at"])
    audit_record(actor=actor, verb="user.email_verified", target=user, data={"email": user.email, "via": via})


# --- Organisation profile and bank details ---------------------------------------------------------------------

PROFILE_FIELDS = (
    "legal_name", "acronym", "country", "registration_number", "registry", "org_id_scheme", "org_type", "year_founded",
    "annual_budget", "mission", "address", "website", "contact_name", "contact_email", "contact_phone",
)
REQUIRED_PROFILE_FIELDS = ("legal_name", "country", "registration_number", "org_type")
# What identifies the organisation legally: fixed once a programme officer has verified it.
IDENTITY_FIELDS = ("legal_name", "country", "registration_number")
EARLIEST_YEAR_FOUNDED = 1800
MULTILINE_PROFILE_FIELDS = ("mission", "address")


def _clean_profile_value(name, value):
    if name == "annual_budget":
        if value in (None, ""):
            return None
        try:
            amount = exact_cents(value.amount if isinstance(value, Money) else value)
        except MoneyValueError:
            raise DomainError(
                _("Enter the annual budget in euros and cents, with at most two decimals."), field=name, code="invalid"
            ) from None
        if amount < 0:
            raise DomainError(_("The annual budget cannot be negative."), field=name, code="negative")
        return Money(amount, EUR)
    if name == "year_founded":
        if value in (None, ""):
            return None
        this_year = timezone.now().year
        try:
            year = int(value)
        except (TypeError, ValueError):
            year = None
        if year is None or not EARLIEST_YEAR_FOUNDED <= year <= this_year:
            raise DomainError(
                _("Enter a year between %(first)s and %(last)s.") % {"first": EARLIEST_YEAR_FOUNDED, "last": this_year},
                field=name, code="invalid",
            )
        return year
    if name == "country":
        code = str(value or "").strip().upper()
        if code and code not in countries:
            raise DomainError(_("Choose a country from the list."), field=name, code="invalid")
        return code
    value = str(value or "").strip()
    if name == "org_type" and value not in OrganisationType.values:
        raise DomainError(_("Choose an organisation type from the list."), field=name, code="invalid")
    if name == "org_id_scheme" and value:
        value = value.upper()
        try:
            Organisation._meta.get_field(name).run_validators(value)
        except ValidationError as exc:
            raise DomainError(exc.messages[0], field=name, code="invalid") from None
    if name == "contact_email":
        value = value.lower()
    if name not in MULTILINE_PROFILE_FIELDS:
        value = " ".join(value.split())
    return value


def _clean_profile(**fields):
    cleaned = {name: _clean_profile_value(name, value) for name, value in fields.items()}
    for name in REQUIRED_PROFILE_FIELDS:
        if name in cleaned and not cleaned[name]:
            raise DomainError(_("This field is required."), field=name, code="required")
    return cleaned


def _current_value(organisation, name):
    value = getattr(organisation, name)
    return value.code if name == "country" else value


def organisation_update(*, actor, organisation, **fields):
    """Change profile fields; only the fields that really change are written and named in the audit event."""
    unknown = sorted(set(fields) - set(PROFILE_FIELDS))
    if unknown:
        raise DomainError(f"These fields cannot be changed here: {', '.join(unknown)}.", code="unknown_field")
    cleaned = _clean_profile(**fields)
    with transaction.atomic():
        org = Organisation.objects.select_for_update().get(pk=organisation.pk)
        changed = [name for name, value in cleaned.items() if _current_value(org, name) != value]
        if org.verified_at is not None:
            for name in IDENTITY_FIELDS:
                if name in changed:
                    raise DomainError(
                        _("The organisation has been verified, so this can no longer be changed here. "
                          "Write to the programme team if it is wrong."),
                        field=name, code="verified_identity",
                    )
        if {"country", "registration_number"} & set(changed):
            country = cleaned.get("country", org.country.code)
            number = cleaned.get("registration_number", org.registration_number)
            if Organisation.objects.filter(country=country, registration_number=number).exclude(pk=org.pk).exists():
                raise DomainError(
                    _("An organisation with this registration number is already registered in this country."),
                    field="registration_number", code="duplicate_registration",
                )
        if not changed:
            return org
        for name in changed:
            setattr(org, name, cleaned[name])
        update_fields = [
            f for name in changed for f in ((name, "annual_budget_currency") if name == "annual_budget" else (name,))
        ]
        org.save(update_fields=update_fields)
        audit_record(actor=actor, verb="organisation.update", target=org, data={"fields": changed})
    return org


_ACCOUNT_RE = re.compile(r"^[A-Z0-9]{5,34}$")
_IBAN_RE = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$")
_BIC_RE = re.compile(r"^[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?$")


def _iban_checksum_ok(iban):
    rearranged = iban[4:] + iban[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


def _clean_account_number(value):
    """An IBAN (checked with its mod-97 check digits) or, where IBANs are not used, a plain account number."""
    number = re.sub(r"[\s\-.]", "", value or "").upper()
    if not _ACCOUNT_RE.match(number):
        raise DomainError(
            _("Enter the IBAN or account number: 5 to 34 letters and digits."), field="iban", code="invalid"
        )
    if re.match(r"^[A-Z]{2}[0-9]{2}", number) and not (_IBAN_RE.match(number) and _iban_checksum_ok(number)):
        raise DomainError(
            _("This IBAN is not valid: its check digits do not match. Copy it again from a bank statement."),
            field="iban", code="bad_iban",
        )
    return number


def bank_details_set(
    *, actor, organisation, account_holder, bank_name, iban, swift_bic="", bank_address="", currency=EUR
):
    """Record or change where grant payments go. The audit event names the changed fields and never the full number."""
    values = {
        "account_holder": (account_holder or "").strip(),
        "bank_name": (bank_name or "").strip(),
        "bank_address": (bank_address or "").strip(),
        "iban": _clean_account_number(iban),
        "swift_bic": re.sub(r"\s", "", swift_bic or "").upper(),
        "currency": (currency or "").strip().upper(),
    }
    for name in ("account_holder", "bank_name"):
        if not values[name]:
            raise DomainError(_("This field is required."), field=name, code="required")
    if values["swift_bic"] and not _BIC_RE.match(values["swift_bic"]):
        raise DomainError(
            _("A SWIFT/BIC code has 8 or 11 letters and digits, e.g. NABLNPKA."), field="swift_bic", code="invalid"
        )
    try:
        get_currency(values["currency"])
    except CurrencyDoesNotExist:
        raise DomainError(
            _("Enter the account's currency as a three-letter ISO code, e.g. EUR, NPR or MAD."),
            field="currency", code="invalid",
        ) from None
    with transaction.atomic():
        org = Organisation.objects.select_for_update().get(pk=organisation.pk)
        details = BankDetails.objects.filter(organisation=org).first()
        if details is None:
            details = BankDetails.objects.create(organisation=org, **values)
            changed = list(values)
        else:
            changed = [name for name, value in values.items() if getattr(details, name) != value]
            if not changed:
                return details
            for name in changed:
                setattr(details, name, values[name])
            details.save(update_fields=[*changed, "updated_at"])
        audit_record(
            actor=actor, verb="bank_details.set", target=org,
            data={"fields": changed, "account": masked_account(details.iban)},
        )
    return details


# --- Invitations -----------------------------------------------------------------------------------------------

def invitation_create(*, actor, organisation, email, role, base_url):
    """Invite someone by e-mail. A new invitation replaces any still-open one to the same address; only a hash of
    the token is stored, the token itself goes into the e-mail."""
    email = User.objects.normalize_email((email or "").strip()).lower()
    role = MemberRole(role)
    with transaction.atomic():
        org = Organisation.objects.select_for_update().get(pk=organisation.pk)
        if Membership.objects.filter(organisation=org, user__email__iexact=email).exists():
            raise DomainError(_("This person is already a member of the organisation."), field="email", code="already_member")
        now = timezone.now()
        open_ones = Invitation.objects.select_for_update().filter(
            organisation=org, email__iexact=email, accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now
        )
        superseded = [inv.pk for inv in open_ones]
        Invitation.objects.filter(pk__in=superseded).update(revoked_at=now)
        token = new_invitation_token()
        invitation = Invitation.objects.create(
            organisation=org, email=email, role=role, token_hash=token_hash(token), invited_by=actor,
            expires_at=now + INVITATION_VALIDITY,
        )
        audit_record(
            actor=actor, verb="invitation.create", target=org,
            data={"email": email, "role": role.value, "superseded": superseded},
        )
        existing = User.objects.filter(email__iexact=email).first()
        _mail_rendered(
            to=existing or Address(email, translation.get_language() or settings.LANGUAGE_CODE),
            subject=lambda context: _("You are invited to join %(organisation)s") % {"organisation": context["organisation"].legal_name},
            template="accounts/email/invitation.txt",
            context={
                "invitation": invitation,
                "organisation": org,
                "inviter": actor,
                "link": base_url + reverse("invitation", args=[token]),
            },
        )
    return invitation


def invitation_revoke(*, actor, invitation):
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if invitation.accepted_at is not None:
            raise DomainError(_("This invitation has already been accepted."), code="already_accepted")
        if invitation.revoked_at is not None:
            return invitation
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        audit_record(
            actor=actor, verb="invitation.revoke", target=invitation.organisation, data={"email": invitation.email}
        )
    return invitation


def _open_invitation_for_update(token):
    """The invitation a token stands for, locked, or a DomainError saying why it cannot be used."""
    invitation = Invitation.objects.select_for_update().filter(token_hash=token_hash(token or "")).first()
    if invitation is None:
        raise DomainError(_("This invitation link is not valid. Check that you copied all of it."), code="invalid")
    if invitation.accepted_at is not None:
        raise DomainError(_("This invitation has already been used."), code="already_accepted")
    if invitation.revoked_at is not None:
        raise DomainError(_("This invitation has been withdrawn. Ask the organisation for a new one."), code="revoked")
    if invitation.expires_at <= timezone.now():
        raise DomainError(_("This invitation has expired. Ask the organisation for a new one."), code="expired")
    return invitation


def invitation_accept(*, actor, token):
    """The signed-in user accepts an invitation sent to their own address and becomes a member with its role."""
    with transaction.atomic():
        invitation = _open_invitation_for_update(token)
        if actor.email.lower() != invitation.email.lower():
            raise DomainError(
                _("This invitation was sent to another e-mail address. Sign in with that address to accept it."),
                code="email_mismatch",
            )
        organisation = invitation.organisation
        if Membership.objects.filter(organisation=organisation, user=actor).exists():
            raise DomainError(_("You are already a member of this organisation."), code="already_member")
        membership = membership_set(actor=actor, organisation=organisation, user=actor, role=invitation.role)
        role_grant(actor=actor, user=actor, role=R.APPLICANT)
        if actor.email_verified_at is None:
            # The link reached this address, which proves it as well as a verification e-mail would.
            _mark_verified(actor, actor=actor, via="invitation")
        invitation.accepted_at = timezone.now()
        invitation.accepted_by = actor
        invitation.save(update_fields=["accepted_at", "accepted_by"])
        audit_record(
            actor=actor, verb="invitation.accept", target=organisation,
            data={"email": invitation.email, "role": invitation.role},
        )
    return membership


def invitation_register(*, actor=None, token, full_name, password, language=None):
    """A visitor without an account creates one from an invitation (the invited address, counted as verified)
    and accepts it."""
    with transaction.atomic():
        invitation = _open_invitation_for_update(token)
        if User.objects.filter(email__iexact=invitation.email).exists():
            raise DomainError(
                _("An account with this e-mail address already exists. Sign in to accept the invitation."),
                code="email_taken",
            )
        user = user_create(
            actor=actor, email=invitation.email, password=password, full_name=full_name.strip(), language=language
        )
        invitation_accept(actor=user, token=token)
    return user
