"""The access functions: the only way views, selectors and later the API decide who may see or do what.

Two layers:
- roles (groups) answer "may this kind of user use this page at all?" -> 403 when not;
- object permissions (django-guardian) answer "may this user see this particular object?" -> 404 when not, so
  that another organisation's objects are indistinguishable from objects that do not exist.
"""
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from guardian.shortcuts import get_objects_for_user

from core.errors import DomainError

from . import roles as R
from .models import Organisation

_ROLE_CACHE = "_cso_roles_cache"


def roles_of(user) -> frozenset:
    """The user's role names, read once per request and cached on the user object."""
    if user is None or not user.is_authenticated or not user.is_active:
        return frozenset()
    cached = getattr(user, _ROLE_CACHE, None)
    if cached is None:
        names = set(user.groups.filter(name__in=R.ALL_ROLES).values_list("name", flat=True))
        if user.is_superuser:
            names.add(R.ADMINISTRATOR)
        cached = frozenset(names)
        setattr(user, _ROLE_CACHE, cached)
    return cached


def forget_roles(user):
    """Drop the cached roles after they change (services call this)."""
    if hasattr(user, _ROLE_CACHE):
        delattr(user, _ROLE_CACHE)


def has_role(user, *roles) -> bool:
    return bool(roles_of(user).intersection(roles))


def require_role(user, *roles):
    """403 unless the user holds one of `roles`."""
    if not has_role(user, *roles):
        raise PermissionDenied


def is_programme_staff(user) -> bool:
    return has_role(user, *R.STAFF_ROLES)


def is_officer(user) -> bool:
    return has_role(user, *R.OFFICERS)


def require_officer(user):
    """403 unless the user is a programme officer or an administrator."""
    require_role(user, *R.OFFICERS)


def needs_email_verification(user) -> bool:
    # Programme staff accounts are created by administrators, not self-registered: nothing to prove there.
    return user.is_authenticated and user.email_verified_at is None and not is_programme_staff(user)


def require_verified_email_to_upload(user):
    """Every service that stores a file someone uploads (due-diligence documents, application and report
    attachments) calls this first: an account whose address is not verified yet may not upload. The refusal is a
    DomainError on the form's file field, so the page comes back with everything else that was typed."""
    if needs_email_verification(user):
        raise DomainError(
            _("Please confirm your e-mail address before uploading files: open the link we sent you, or ask for a "
              "new one."),
            code="email_unverified", field="file",
        )


def objects_for(user, perm, queryset):
    """The objects of `queryset` on which `user` holds the object permission `perm` (e.g. 'accounts.view_organisation')."""
    if user is None or not user.is_authenticated or not user.is_active:
        return queryset.none()
    return get_objects_for_user(user, perm, klass=queryset, accept_global_perms=False)


def get_for_user(user, perm, queryset, **lookup):
    """One object the user holds `perm` on, or 404 (never 403: others' objects must not be discoverable)."""
    try:
        return objects_for(user, perm, queryset).get(**lookup)
    except queryset.model.DoesNotExist:
        raise Http404 from None


def organisations_for(user):
    """Organisations the user may see: all for programme staff and donor observers, else their own."""
    if has_role(user, *R.ENVELOPE_READERS):
        return Organisation.objects.all()
    return objects_for(user, "accounts.view_organisation", Organisation.objects.all())


def organisation_for(user, pk):
    """One organisation the user may see, or 404."""
    try:
        return organisations_for(user).get(pk=pk)
    except Organisation.DoesNotExist:
        raise Http404 from None


def can_on(user, perm, obj) -> bool:
    """Whether the user holds the object permission `perm` (codename, e.g. 'manage_members') on `obj`."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return user.has_perm(f"{obj._meta.app_label}.{perm}", obj)


def may_handle_bank_details(user, organisation) -> bool:
    """Finance officers and the organisation's administrators see and change its bank details."""
    return has_role(user, R.FINANCE_OFFICER) or can_on(user, "change_organisation", organisation)


def bank_details_handled_by(user, organisations):
    """The ids of `organisations` whose bank details `user` may handle (`may_handle_bank_details` for a list)."""
    ids = [organisation.pk for organisation in organisations]
    if has_role(user, R.FINANCE_OFFICER):
        return ids
    return list(objects_for(user, "accounts.change_organisation", Organisation.objects.filter(pk__in=ids)).values_list("pk", flat=True))
