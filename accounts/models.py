from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField


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
    """A civil society organisation that applies for and receives grants."""

    legal_name = models.CharField(_("legal name"), max_length=255)
    acronym = models.CharField(_("acronym"), max_length=32, blank=True)
    country = CountryField(_("country of registration"))
    registration_number = models.CharField(_("registration number"), max_length=64)
    org_type = models.CharField(_("organisation type"), max_length=2, choices=OrganisationType.choices)
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
        ]

    def __str__(self):
        return self.legal_name


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
