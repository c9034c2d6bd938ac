from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.contrib.auth.models import Group
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_otp.plugins.otp_totp.models import TOTPDevice
from guardian.admin import GuardedModelAdmin

from audit.admin_mixins import AuditedAdminMixin
from core.admin_widgets import LabelledInputsAdminMixin

from . import roles as R
from .models import Membership, Organisation, User
from .services import role_grant, role_revoke
from .signin.services import signin_unlock, two_factor_remove


class UserRolesForm(UserChangeForm):
    """Roles are chosen by name and applied through accounts.services, which audits them and keeps is_staff in step."""

    roles = forms.MultipleChoiceField(
        label=_("roles"), choices=list(R.ROLE_LABELS.items()), required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta(UserChangeForm.Meta):
        model = User
        fields = ("email", "full_name", "is_active", "is_superuser")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["roles"] = sorted(self.instance.groups.filter(name__in=R.ALL_ROLES).values_list("name", flat=True))


@admin.register(User)
class UserAdmin(AuditedAdminMixin, BaseUserAdmin):
    form = UserRolesForm
    ordering = ("email",)
    list_display = ("email", "full_name", "is_active", "is_staff", "date_joined")
    search_fields = ("email", "full_name")
    list_filter = ("is_active", "is_staff", "groups")
    readonly_fields = ("is_staff", "last_login", "date_joined")
    fieldsets = (
        (None, {"fields": ("email", "password", "full_name")}),
        (_("Access"), {"fields": ("is_active", "roles", "is_staff", "is_superuser")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "full_name", "password1", "password2")}),)
    actions = ["unlock_signin", "reset_two_factor"]

    @admin.action(description=_("Lift the sign-in pause of the selected accounts"), permissions=["change"])
    def unlock_signin(self, request, queryset):
        unlocked = [user for user in queryset if signin_unlock(actor=request.user, email=user.email, via="admin")]
        self.message_user(
            request,
            ngettext(
                "Sign-in is no longer paused for %(count)d account.",
                "Sign-in is no longer paused for %(count)d accounts.",
                len(unlocked),
            ) % {"count": len(unlocked)},
        )

    @admin.action(description=_("Reset the two-factor sign-in of the selected accounts"), permissions=["change"])
    def reset_two_factor(self, request, queryset):
        """For a lost or replaced phone: the person signs in with the password again and sets up a new app."""
        if queryset.filter(pk=request.user.pk).exists():
            self.message_user(
                request, _("Your own two-factor sign-in is changed on your two-factor sign-in page, with a code."),
                level=messages.WARNING,
            )
        reset = sum(two_factor_remove(actor=request.user, user=user) for user in queryset.exclude(pk=request.user.pk))
        self.message_user(
            request,
            ngettext(
                "Two-factor sign-in was reset for %(count)d account.",
                "Two-factor sign-in was reset for %(count)d accounts.",
                reset,
            ) % {"count": reset},
        )

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if "roles" not in form.cleaned_data:
            return
        user = form.instance
        wanted = set(form.cleaned_data["roles"])
        current = set(user.groups.filter(name__in=R.ALL_ROLES).values_list("name", flat=True))
        for role in sorted(wanted - current):
            role_grant(actor=request.user, user=user, role=role)
        for role in sorted(current - wanted):
            role_revoke(actor=request.user, user=user, role=role)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    # Memberships carry object permissions: they are changed through accounts.services, not here.
    readonly_fields = ("user", "role", "created_at")
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Organisation)
class OrganisationAdmin(LabelledInputsAdminMixin, AuditedAdminMixin, GuardedModelAdmin):
    list_display = ("legal_name", "acronym", "country", "registration_number", "org_type")
    list_filter = ("country", "org_type")
    search_fields = ("legal_name", "acronym", "registration_number")
    inlines = [MembershipInline]


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(LabelledInputsAdminMixin, AuditedAdminMixin, BaseGroupAdmin):
    """Django's, with the permissions as a list of checkboxes and every save audited (roles are groups)."""


# Devices hold the secrets of two-factor sign-in: they are never shown, and removed only through
# accounts.signin.services (audited), e.g. by the user admin's "reset" action.
admin.site.unregister(TOTPDevice)

from .diligence import admin  # noqa
