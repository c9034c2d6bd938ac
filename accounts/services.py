"""Services for users, roles, organisations and memberships. Each writes an audit event."""
from django.contrib.auth.models import Group
from django.db import transaction
from guardian.shortcuts import assign_perm, remove_perm

from audit.services import audit_record
from core.errors import DomainError

from . import roles as R
from .access import forget_roles
from .models import Membership, MemberRole, Organisation, User

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


def user_create(*, actor, email, password=None, full_name="", roles=()):
    with transaction.atomic():
        if User.objects.filter(email__iexact=email).exists():
            raise DomainError(f"An account with the e-mail address {email} already exists.", code="email_taken", field="email")
        user = User.objects.create_user(email=email, password=password, full_name=full_name)
        audit_record(actor=actor, verb="user.create", target=user, data={"email": user.email})
        for role in roles:
            role_grant(actor=actor, user=user, role=role)
    return user


def _sync_member_perms(membership):
    wanted = set(MEMBER_ROLE_PERMS[MemberRole(membership.role)])
    for perm in ALL_MEMBER_PERMS:
        if perm in wanted:
            assign_perm(perm, membership.user, membership.organisation)
        else:
            remove_perm(perm, membership.user, membership.organisation)


def organisation_create(*, actor, legal_name, country, registration_number, org_type, acronym="", admin=None):
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
