"""Forms for sign-up, the organisation profile, bank details, members and invitations.

They check the shape of what was typed; the rules (duplicates, IBAN check digits, the last administrator...) are
in accounts.services, whose refusals `show_domain_error` puts on the right field.
"""
from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import PasswordResetForm
from django.conf import settings
from django.utils import translation
from django.utils.text import capfirst
from django.utils.translation import get_language, get_language_info
from django.utils.translation import gettext_lazy as _

from core.forms import AmountField
from core.mail import language_of

from .models import MemberRole, Organisation, User
from .selectors import members_of
from .services import EARLIEST_YEAR_FOUNDED, IDENTITY_FIELDS


def show_domain_error(form, error):
    """Put a service's refusal on the field it names, or above the form."""
    form.add_error(error.field if error.field in form.fields else None, error.message)


def _org_field(name, **kwargs):
    return Organisation._meta.get_field(name).formfield(**kwargs)


def _attrs(field, **attrs):
    field.widget.attrs.update(attrs)
    return field


def _password_field():
    return forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 10 characters; not a common password, not only digits, not like your name or e-mail."),
    )


class LanguageField(forms.ChoiceField):
    """The person's language, offered in each language's own name. Left out, it is the page's language."""

    def __init__(self, **kwargs):
        super().__init__(
            label=_("Language"), required=False, initial=get_language,
            choices=[(code, capfirst(get_language_info(code)["name_local"])) for code, _name in settings.LANGUAGES],
            help_text=_("Pages, e-mails and documents for you are in this language. You can change it later."),
            **kwargs,
        )

    def clean(self, value):
        return super().clean(value) or get_language() or settings.LANGUAGE_CODE


def _check_password(form, *, email, full_name):
    password = form.cleaned_data.get("password")
    if password:
        try:
            password_validation.validate_password(password, user=User(email=email or "", full_name=full_name or ""))
        except forms.ValidationError as error:
            form.add_error("password", error)


class SignupForm(forms.Form):
    full_name = _attrs(forms.CharField(label=_("Your full name"), max_length=200), autocomplete="name")
    email = _attrs(
        forms.EmailField(
            label=_("Your e-mail address"), help_text=_("We will send a link to this address to confirm it.")
        ),
        autocomplete="email",
    )
    password = _password_field()
    language = LanguageField()
    legal_name = _attrs(_org_field("legal_name", help_text=_("As on the registration certificate.")), autocomplete="organization")
    acronym = _org_field("acronym")
    country = _org_field("country")
    registration_number = _org_field("registration_number")
    org_type = _org_field("org_type")

    def clean(self):
        data = super().clean()
        _check_password(self, email=data.get("email"), full_name=data.get("full_name"))
        return data


class InvitationSignupForm(forms.Form):
    full_name = _attrs(forms.CharField(label=_("Your full name"), max_length=200), autocomplete="name")
    password = _password_field()
    language = LanguageField()

    def __init__(self, *args, email, **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self):
        data = super().clean()
        _check_password(self, email=self.email, full_name=data.get("full_name"))
        return data


class OrganisationProfileForm(forms.Form):
    legal_name = _org_field("legal_name")
    acronym = _org_field("acronym")
    country = _org_field("country")
    registration_number = _org_field("registration_number")
    registry = _org_field("registry", help_text=_("The ministry, court or office that registered the organisation."))
    org_id_scheme = _org_field("org_id_scheme")
    org_type = _org_field("org_type")
    year_founded = _attrs(
        forms.IntegerField(label=_("Year founded"), required=False), inputmode="numeric", min=EARLIEST_YEAR_FOUNDED
    )
    annual_budget = _attrs(
        AmountField(
            label=_("Annual budget (EUR)"),
            required=False,
            min_value=0,
            max_digits=14,
            decimal_places=2,
            localize=True,
            help_text=_("Last year's total expenditure in euros, e.g. 120,000.00."),
            error_messages={"max_decimal_places": _("Enter an amount in euros and cents, with at most two decimals.")},
        ),
        inputmode="decimal",
        autocomplete="off",
    )
    mission = _org_field("mission", widget=forms.Textarea(attrs={"rows": 4}))
    address = _org_field("address", widget=forms.Textarea(attrs={"rows": 3}))
    # A text input (with the URL keyboard on phones): the stylesheet styles text inputs, and novalidate forms
    # gain nothing from type=url.
    website = _org_field(
        "website", assume_scheme="https", widget=forms.TextInput(attrs={"inputmode": "url", "placeholder": "https://"})
    )
    contact_name = _org_field("contact_name")
    contact_email = _attrs(_org_field("contact_email"), autocomplete="email")
    contact_phone = _attrs(_org_field("contact_phone"), autocomplete="tel", inputmode="tel")

    def __init__(self, *args, organisation, **kwargs):
        initial = {name: getattr(organisation, name) for name in self.base_fields}
        initial["country"] = organisation.country.code
        initial["annual_budget"] = organisation.annual_budget.amount if organisation.annual_budget is not None else None
        super().__init__(*args, initial=initial, **kwargs)
        if organisation.is_verified:
            for name in IDENTITY_FIELDS:
                self.fields[name].disabled = True
                self.fields[name].help_text = _("Fixed since the organisation was verified.")


class BankDetailsForm(forms.Form):
    account_holder = _attrs(
        forms.CharField(label=_("Account holder"), max_length=255, help_text=_("Exactly as the bank has it.")),
        autocomplete="off",
    )
    bank_name = _attrs(forms.CharField(label=_("Bank"), max_length=255), autocomplete="off")
    bank_address = forms.CharField(label=_("Bank address"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    iban = _attrs(
        forms.CharField(
            label=_("IBAN or account number"),
            max_length=64,
            help_text=_("Spaces are fine. Where IBANs are not used, the full account number."),
        ),
        autocomplete="off",
        spellcheck="false",
    )
    swift_bic = _attrs(forms.CharField(label=_("SWIFT/BIC"), max_length=20, required=False), autocomplete="off")
    currency = _attrs(
        forms.CharField(
            label=_("Account currency"), max_length=3, initial="EUR",
            help_text=_("Three-letter code, e.g. EUR, NPR, MAD."),
        ),
        autocomplete="off",
    )

    def __init__(self, *args, details=None, **kwargs):
        if details is not None:
            kwargs["initial"] = {name: getattr(details, name) for name in self.base_fields}
        super().__init__(*args, **kwargs)


class InvitationForm(forms.Form):
    email = _attrs(forms.EmailField(label=_("E-mail address")), autocomplete="off")
    role = forms.ChoiceField(label=_("Role"), choices=MemberRole.choices, initial=MemberRole.EDITOR)


class PasswordResetInLanguageForm(PasswordResetForm):
    """The reset link goes out in the language of the account, not of whoever typed the address."""

    def send_mail(self, subject_template_name, email_template_name, context, *args, **kwargs):
        with translation.override(language_of(context["user"])):
            super().send_mail(subject_template_name, email_template_name, context, *args, **kwargs)


class LanguageForm(forms.Form):
    language = LanguageField()


class MemberForm(forms.Form):
    membership = forms.ModelChoiceField(label=_("Member"), queryset=None)

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["membership"].queryset = members_of(organisation)


class MemberRoleForm(MemberForm):
    role = forms.ChoiceField(label=_("New role"), choices=MemberRole.choices)
