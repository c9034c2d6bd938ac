from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.i18n import set_language as django_set_language
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from core.errors import DomainError

from .access import can_on, may_handle_bank_details, needs_email_verification, organisation_for, organisations_for
from .decorators import verified_email_required
from .forms import (
    BankDetailsForm,
    InvitationForm,
    InvitationSignupForm,
    LanguageForm,
    MemberForm,
    MemberRoleForm,
    OrganisationProfileForm,
    SignupForm,
    show_domain_error,
)
from .models import BankDetails, Invitation, MemberRole, User
from .selectors import (
    invitation_by_token,
    invitation_state,
    masked_account,
    members_of,
    open_invitations_of,
    profile_gaps,
)
from .services import (
    bank_details_set,
    cso_register,
    email_verification_send,
    invitation_accept,
    invitation_create,
    invitation_register,
    user_set_language,
    invitation_revoke,
    membership_remove,
    membership_set,
    organisation_update,
    user_verify_email,
)

_MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def _base_url(request):
    """Scheme and host of this site, for links in e-mails."""
    return request.build_absolute_uri("/").rstrip("/")


def _posted(request):
    return request.POST if request.method == "POST" else None


def _status(form):
    return 400 if form.errors else 200


# --- Sign-up and e-mail verification ---------------------------------------------------------------------------

_SIGNUP_EMAIL = "signup_email"


def signup(request):
    """A visitor registers themselves and their organisation and is asked to confirm their address, then to sign in.

    Whether or not the address already has an account, the answer is the same page (cso_register e-mails the owner
    instead), so nobody learns from it who has an account; and so nobody is signed in here."""
    if request.user.is_authenticated:
        return redirect("home")
    form = SignupForm(_posted(request))
    if form.is_valid():
        try:
            cso_register(base_url=_base_url(request), **form.cleaned_data)
        except DomainError as error:
            show_domain_error(form, error)
        else:
            request.session[_SIGNUP_EMAIL] = form.cleaned_data["email"]
            return redirect("signup_sent")
    return render(request, "accounts/signup.html", {"form": form}, status=_status(form))


def signup_sent(request):
    return render(request, "accounts/signup_sent.html", {"email": request.session.get(_SIGNUP_EMAIL, "")})


@login_required
def check_email(request):
    return render(request, "accounts/check_email.html", {"verified": request.user.email_verified_at is not None})


@login_required
@require_POST
def verification_resend(request):
    try:
        email_verification_send(actor=request.user, user=request.user, base_url=_base_url(request))
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("We have sent a new link to %(email)s.") % {"email": request.user.email})
    return redirect("check_email")


def verify_email(request, token):
    """The link from the verification e-mail. It works signed in or not: the token itself proves the address."""
    try:
        user = user_verify_email(actor=request.user, token=token)
    except DomainError as error:
        return render(request, "accounts/verify_email.html", {"error": error.message}, status=400)
    own = request.user.is_authenticated and request.user.pk == user.pk
    organisations = organisations_for(user).filter(memberships__user=user) if own else None
    return render(request, "accounts/verify_email.html", {"verified_user": user, "organisations": organisations})


# --- Organisation profile and bank details ---------------------------------------------------------------------

def _render_detail(request, organisation, *, invite_form=None, member_error=None, status=200):
    user = request.user
    can_edit = can_on(user, "change_organisation", organisation)
    can_manage = can_on(user, "manage_members", organisation)
    can_bank = may_handle_bank_details(user, organisation)
    bank = BankDetails.objects.filter(organisation=organisation).only("iban").first() if can_bank else None
    context = {
        "organisation": organisation,
        "memberships": members_of(organisation),
        "gaps": profile_gaps(organisation),
        "can_edit": can_edit,
        "can_manage": can_manage,
        "can_bank": can_bank,
        "bank_masked": masked_account(bank.iban) if bank else "",
        "needs_verification": (can_edit or can_manage) and needs_email_verification(user),
    }
    if can_manage:
        context.update(
            invitations=open_invitations_of(organisation),
            invite_form=invite_form or InvitationForm(),
            member_roles=MemberRole.choices,
            member_error=member_error,
        )
    return render(request, "accounts/organisation_detail.html", context, status=status)


@login_required
def organisation_detail(request, pk):
    return _render_detail(request, organisation_for(request.user, pk))


def _organisation_with(user, pk, perm):
    """The organisation (404 if the user may not see it) on which the user holds `perm` (403 if not)."""
    organisation = organisation_for(user, pk)
    if not can_on(user, perm, organisation):
        raise PermissionDenied
    return organisation


@verified_email_required
def organisation_edit(request, pk):
    organisation = _organisation_with(request.user, pk, "change_organisation")
    form = OrganisationProfileForm(_posted(request), organisation=organisation)
    if form.is_valid():
        try:
            organisation_update(actor=request.user, organisation=organisation, **form.cleaned_data)
        except DomainError as error:
            show_domain_error(form, error)
        else:
            messages.success(request, _("The profile was saved."))
            return redirect("organisation_detail", organisation.pk)
    return render(
        request, "accounts/organisation_edit.html", {"organisation": organisation, "form": form}, status=_status(form)
    )


@never_cache
@verified_email_required
def organisation_bank(request, pk):
    """Bank details: the organisation's administrators and finance officers only; everyone else 403 (or 404 if
    they cannot see the organisation at all)."""
    organisation = organisation_for(request.user, pk)
    if not may_handle_bank_details(request.user, organisation):
        raise PermissionDenied
    details = BankDetails.objects.filter(organisation=organisation).first()
    form = BankDetailsForm(_posted(request), details=details)
    if form.is_valid():
        try:
            bank_details_set(actor=request.user, organisation=organisation, **form.cleaned_data)
        except DomainError as error:
            show_domain_error(form, error)
        else:
            messages.success(request, _("The bank details were saved."))
            return redirect("organisation_detail", organisation.pk)
    return render(
        request,
        "accounts/bank_details.html",
        {"organisation": organisation, "form": form, "details": details},
        status=_status(form),
    )


# --- Members and invitations -----------------------------------------------------------------------------------

def _members_url(organisation):
    return reverse("organisation_detail", args=[organisation.pk]) + "#members"


@require_POST
@verified_email_required
def invitation_new(request, pk):
    organisation = _organisation_with(request.user, pk, "manage_members")
    form = InvitationForm(request.POST)
    if form.is_valid():
        try:
            invitation_create(
                actor=request.user, organisation=organisation, base_url=_base_url(request), **form.cleaned_data
            )
        except DomainError as error:
            show_domain_error(form, error)
        else:
            messages.success(request, _("An invitation was sent to %(email)s.") % {"email": form.cleaned_data["email"]})
            return redirect(_members_url(organisation))
    return _render_detail(request, organisation, invite_form=form, status=400)


@require_POST
@verified_email_required
def invitation_withdraw(request, pk, invitation_pk):
    organisation = _organisation_with(request.user, pk, "manage_members")
    invitation = get_object_or_404(Invitation, organisation=organisation, pk=invitation_pk)
    try:
        invitation_revoke(actor=request.user, invitation=invitation)
    except DomainError as error:
        return _render_detail(request, organisation, member_error=error.message, status=400)
    messages.success(request, _("The invitation to %(email)s was withdrawn.") % {"email": invitation.email})
    return redirect(_members_url(organisation))


def _member_change(request, pk, form_class, change):
    """Apply `change(membership, cleaned_data)` to a member chosen in `form_class`; refusals are shown on the page."""
    organisation = _organisation_with(request.user, pk, "manage_members")
    form = form_class(request.POST, organisation=organisation)
    if not form.is_valid():
        errors = [e for field_errors in form.errors.values() for e in field_errors]
        return _render_detail(request, organisation, member_error=" ".join(errors), status=400)
    membership = form.cleaned_data["membership"]
    try:
        message = change(membership, form.cleaned_data)
    except DomainError as error:
        return _render_detail(request, organisation, member_error=error.message, status=400)
    messages.success(request, message)
    if membership.user_id == request.user.pk and not can_on(request.user, "view_organisation", organisation):
        return redirect("home")
    return redirect(_members_url(organisation))


@require_POST
@verified_email_required
def member_role(request, pk):
    def change(membership, data):
        membership_set(actor=request.user, organisation=membership.organisation, user=membership.user, role=data["role"])
        return _("The role of %(name)s was changed.") % {"name": membership.user.get_full_name()}

    return _member_change(request, pk, MemberRoleForm, change)


@require_POST
@verified_email_required
def member_remove(request, pk):
    def change(membership, data):
        membership_remove(actor=request.user, membership=membership)
        return _("%(name)s is no longer a member.") % {"name": membership.user.get_full_name()}

    return _member_change(request, pk, MemberForm, change)


def invitation(request, token):
    """The link from an invitation e-mail: accept it signed in, or create an account for the invited address."""
    invitation = invitation_by_token(token)
    state = invitation_state(invitation) if invitation else "invalid"
    context = {"invitation": invitation, "state": state}
    if state != "open":
        return render(request, "accounts/invitation.html", context, status=404 if state == "invalid" else 410)
    user = request.user
    form = None
    if user.is_authenticated:
        context["email_matches"] = user.email.lower() == invitation.email.lower()
        if request.method == "POST":
            try:
                invitation_accept(actor=user, token=token)
            except DomainError as error:
                context["error"] = error.message
                return render(request, "accounts/invitation.html", context, status=400)
            return _welcome(request, invitation)
    elif User.objects.filter(email__iexact=invitation.email).exists():
        context["account_exists"] = True
    else:
        form = InvitationSignupForm(_posted(request), email=invitation.email)
        if form.is_valid():
            try:
                new_user = invitation_register(actor=user, token=token, **form.cleaned_data)
            except DomainError as error:
                show_domain_error(form, error)
            else:
                login(request, new_user, backend=_MODEL_BACKEND)
                return _welcome(request, invitation)
    context["form"] = form
    return render(request, "accounts/invitation.html", context, status=_status(form) if form else 200)


def _welcome(request, invitation):
    messages.success(
        request, _("Welcome to %(organisation)s.") % {"organisation": invitation.organisation.legal_name}
    )
    return redirect("organisation_detail", invitation.organisation_id)


@login_required
def account(request):
    """The person's own account: who they are and the language of their pages, e-mails and documents."""
    form = LanguageForm(_posted(request), initial={"language": request.user.language})
    if request.method == "POST" and form.is_valid():
        try:
            user_set_language(actor=request.user, user=request.user, language=form.cleaned_data["language"])
        except DomainError as error:
            show_domain_error(form, error)
        else:
            translation.activate(form.cleaned_data["language"])
            messages.success(request, _("Your language is saved: pages, e-mails and documents for you will use it."))
            response = redirect("account")
            response.set_cookie(settings.LANGUAGE_COOKIE_NAME, form.cleaned_data["language"], samesite="Lax")
            return response
    return render(request, "accounts/account.html", {"form": form}, status=_status(form))


@require_POST
def set_language(request):
    """The footer's language switcher. For a signed-in person it also changes the language saved on the account,
    which pages, e-mails and documents follow."""
    response = django_set_language(request)
    language = request.POST.get("language")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        user_set_language(actor=request.user, user=request.user, language=language)
    return response
