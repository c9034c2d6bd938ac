from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.validators import RegexValidator
from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from djmoney.models.fields import MoneyField

from core.identifiers import open_data_id
from core.uploads import RandomUploadPath


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, email):
        return self.get(email__iexact=email)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in with an e-mail address. What they may do comes from roles (groups) and memberships."""

    email = models.EmailField(_("e-mail address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=200, blank=True)
    email_verified_at = models.DateTimeField(_("e-mail verified"), null=True, blank=True)
    # Where the person is based: a call may keep reviewers away from applicants of their own country.
    country = CountryField(_("country"), blank=True)
    # Pages after sign-in, and every e-mail and document made for this person, are in this language.
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE,
        help_text=_("Pages, e-mails and documents for you are in this language."),
    )
    is_staff = models.BooleanField(_("can use the admin site"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self):
        return self.full_name or self.email

    def clean(self):
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()

    def get_full_name(self):
        return self.full_name or self.email

    def get_short_name(self):
        return self.full_name.split(" ")[0] if self.full_name else self.email


class OrganisationType(models.TextChoices):
    # Values are IATI OrganisationType codes, so open-data exports need no mapping table.
    INTERNATIONAL_NGO = "21", _("International NGO")
    NATIONAL_NGO = "22", _("National NGO")
    REGIONAL_NGO = "23", _("Regional NGO")
    PARTNER_COUNTRY_NGO = "24", _("Partner-country-based NGO")
    FOUNDATION = "60", _("Foundation")
    ACADEMIC = "80", _("Academic, training or research institution")
    OTHER = "90", _("Other")


class Organisation(models.Model):
    """A civil society organisation that applies for and receives grants.

    `verified_at` is set by a programme officer once the due-diligence checklist is complete; it and the open
    flags are what the award step checks.
    """

    legal_name = models.CharField(_("legal name"), max_length=255)
    acronym = models.CharField(_("acronym"), max_length=32, blank=True)
    country = CountryField(_("country of registration"))
    registration_number = models.CharField(_("registration number"), max_length=64)
    registry = models.CharField(_("registry or registering authority"), max_length=255, blank=True)
    # The org-id.guide list that holds the registration number (NP-SWC: Nepal's Social Welfare Council; GB-CHC:
    # the Charity Commission): with it the open-data exports publish an identifier such as NP-SWC-1234.
    org_id_scheme = models.CharField(
        _("organisation identifier list"),
        max_length=20,
        blank=True,
        validators=[
            RegexValidator(
                r"^[A-Z]{2}-[A-Z0-9_]{2,}$",
                _("Enter the list's code from org-id.guide: two capital letters, a hyphen and the list, e.g. NP-SWC."),
            )
        ],
        help_text=_("The org-id.guide code of the register that holds the registration number, e.g. NP-SWC."),
    )
    org_type = models.CharField(_("organisation type"), max_length=2, choices=OrganisationType.choices)
    year_founded = models.PositiveSmallIntegerField(_("year founded"), null=True, blank=True)
    annual_budget = MoneyField(
        _("annual budget (EUR)"), max_digits=14, decimal_places=2, default_currency="EUR",
        currency_choices=[("EUR", "EUR")], null=True, blank=True,
    )
    mission = models.TextField(_("mission"), blank=True)
    address = models.TextField(_("address"), blank=True)
    website = models.URLField(_("website"), blank=True)
    contact_name = models.CharField(_("contact person"), max_length=200, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    contact_phone = models.CharField(_("contact telephone"), max_length=40, blank=True)
    verified_at = models.DateTimeField(_("verified"), null=True, blank=True)
    verified_by = models.ForeignKey(
        "User", verbose_name=_("verified by"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    sanctions_screened_at = models.DateTimeField(_("last sanctions screening"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    members = models.ManyToManyField("User", through="Membership", related_name="organisations")

    class Meta:
        ordering = ["legal_name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        # Object permissions granted per organisation through memberships (see accounts.services).
        permissions = [
            ("manage_members", _("Can manage the organisation's members")),
            ("edit_applications", _("Can prepare and submit the organisation's applications")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["country", "registration_number"], name="organisation_registration_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(annual_budget__isnull=True) | models.Q(annual_budget__gte=0),
                name="organisation_budget_not_negative",
            ),
        ]

    def __str__(self):
        return self.legal_name

    @property
    def is_verified(self):
        return self.verified_at is not None

    @property
    def org_identifier(self) -> str:
        """The organisation's identifier for open data (`NP-SWC-1234`), or "" without an org-id list."""
        return open_data_id(self.org_id_scheme, self.registration_number) if self.org_id_scheme else ""


class BankDetails(models.Model):
    """Where grant payments go. Visible only to the organisation's administrators and to finance officers."""

    organisation = models.OneToOneField(Organisation, on_delete=models.CASCADE, related_name="bank_details")
    account_holder = models.CharField(_("account holder"), max_length=255)
    bank_name = models.CharField(_("bank"), max_length=255)
    bank_address = models.TextField(_("bank address"), blank=True)
    iban = models.CharField(_("IBAN or account number"), max_length=64)
    swift_bic = models.CharField(_("SWIFT/BIC"), max_length=11, blank=True)
    currency = models.CharField(_("account currency"), max_length=3, default="EUR")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("bank details")
        verbose_name_plural = _("bank details")

    def __str__(self):
        return f"{self.organisation} – {self.bank_name}"


class MemberRole(models.TextChoices):
    ORG_ADMIN = "org_admin", _("Organisation administrator")
    EDITOR = "editor", _("Editor")
    VIEWER = "viewer", _("Viewer")


class Membership(models.Model):
    """A user's place in an organisation. Object permissions on the organisation follow from the role."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=16, choices=MemberRole.choices, default=MemberRole.VIEWER)
    created_at = models.DateTimeField(_("since"), auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [models.UniqueConstraint(fields=["user", "organisation"], name="membership_unique")]

    def __str__(self):
        return f"{self.user} – {self.organisation} ({self.get_role_display()})"


class Invitation(models.Model):
    """An e-mailed invitation to join an organisation. Only a SHA-256 hash of the token is stored."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(_("e-mail address"))
    role = models.CharField(_("role"), max_length=16, choices=MemberRole.choices, default=MemberRole.EDITOR)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    accepted_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self):
        return f"{self.email} → {self.organisation}"


# --- Due diligence -------------------------------------------------------------------------------------------

class DocumentKind(models.TextChoices):
    REGISTRATION_CERTIFICATE = "registration", _("Registration certificate")
    AUDITED_ACCOUNTS = "audited_accounts", _("Latest audited accounts")
    SAFEGUARDING_POLICY = "safeguarding", _("Safeguarding / PSEA policy")
    ANTI_FRAUD_POLICY = "anti_fraud", _("Anti-fraud policy")


class DocumentStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Waiting for review")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")


class DueDiligenceDocument(models.Model):
    """A due-diligence document uploaded by the organisation. A new upload of a kind supersedes the older ones."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="dd_documents")
    kind = models.CharField(_("document"), max_length=20, choices=DocumentKind.choices)
    file = models.FileField(_("file"), upload_to=RandomUploadPath("due-diligence"), max_length=255)
    original_name = models.CharField(_("file name"), max_length=255)
    file_kind = models.CharField(_("file type"), max_length=8)
    size = models.PositiveIntegerField(_("size in bytes"))
    uploaded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    status = models.CharField(_("status"), max_length=12, choices=DocumentStatus.choices, default=DocumentStatus.SUBMITTED)
    reviewed_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    review_note = models.TextField(_("reviewer's note"), blank=True)

    class Meta:
        ordering = ["organisation", "kind", "-uploaded_at"]
        verbose_name = _("due-diligence document")
        verbose_name_plural = _("due-diligence documents")
        indexes = [models.Index(fields=["organisation", "kind", "-uploaded_at"], name="dd_doc_latest_idx")]

    def __str__(self):
        return f"{self.organisation} – {self.get_kind_display()}"


class FlagLevel(models.TextChoices):
    OBSERVATION = "observation", _("Observation")
    YELLOW = "yellow", _("Yellow flag")
    RED = "red", _("Red flag")


class FlagStatus(models.TextChoices):
    OPEN = "open", _("Open: to be confirmed or dismissed")
    CONFIRMED = "confirmed", _("Confirmed")
    DISMISSED = "dismissed", _("Dismissed")


class SanctionsEntry(models.Model):
    """One name on an imported sanctions list (manage.py import_sanctions)."""

    list_name = models.CharField(_("list"), max_length=120)
    reference = models.CharField(_("reference on the list"), max_length=120, blank=True)
    name = models.CharField(_("name"), max_length=255)
    normalised_name = models.CharField(max_length=255, db_index=True)
    country = models.CharField(_("country"), max_length=120, blank=True)
    imported_at = models.DateTimeField(_("imported"), auto_now_add=True)

    class Meta:
        ordering = ["list_name", "name"]
        verbose_name = _("sanctions list entry")
        verbose_name_plural = _("sanctions list entries")
        constraints = [
            models.UniqueConstraint(fields=["list_name", "reference", "normalised_name"], name="sanctions_entry_unique")
        ]

    def __str__(self):
        return f"{self.name} ({self.list_name})"


class Flag(models.Model):
    """A concern about an organisation: raised by an officer, or by sanctions screening for an officer to confirm."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="flags")
    level = models.CharField(_("level"), max_length=12, choices=FlagLevel.choices)
    reason = models.TextField(_("reason"))
    status = models.CharField(_("status"), max_length=12, choices=FlagStatus.choices, default=FlagStatus.OPEN)
    sanctions_entry = models.ForeignKey(
        SanctionsEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="flags"
    )
    match_score = models.DecimalField(_("name similarity"), max_digits=4, decimal_places=3, null=True, blank=True)
    raised_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    raised_at = models.DateTimeField(_("raised"), auto_now_add=True)
    resolved_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    resolution_note = models.TextField(_("resolution"), blank=True)

    class Meta:
        ordering = ["-raised_at"]
        verbose_name = _("flag")
        verbose_name_plural = _("flags")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "sanctions_entry"],
                condition=models.Q(sanctions_entry__isnull=False),
                name="flag_one_per_sanctions_match",
            )
        ]

    def __str__(self):
        return f"{self.get_level_display()}: {self.organisation}"
