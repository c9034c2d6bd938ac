"""The platform roles. Each is a Django group of the same name; a user may hold several."""
from django.utils.translation import gettext_lazy as _

APPLICANT = "applicant"
PROGRAMME_OFFICER = "programme_officer"
REVIEWER = "reviewer"
FINANCE_OFFICER = "finance_officer"
DONOR_OBSERVER = "donor_observer"
ADMINISTRATOR = "administrator"

ROLE_LABELS = {
    APPLICANT: _("Applicant (CSO member)"),
    PROGRAMME_OFFICER: _("Programme officer"),
    REVIEWER: _("Reviewer"),
    FINANCE_OFFICER: _("Finance officer"),
    DONOR_OBSERVER: _("Donor observer"),
    ADMINISTRATOR: _("Administrator"),
}
ALL_ROLES = tuple(ROLE_LABELS)

# Roles that work for the programme and may see every organisation and the money position.
STAFF_ROLES = (PROGRAMME_OFFICER, FINANCE_OFFICER, ADMINISTRATOR)
# Who may read the envelope position: staff and the donor's observers (read-only).
ENVELOPE_READERS = STAFF_ROLES + (DONOR_OBSERVER,)
# Who acts for the programme on grants and partners (draft, sign and amend agreements, record partner risk).
OFFICERS = (PROGRAMME_OFFICER, ADMINISTRATOR)
# Who may use two-factor sign-in (accounts.signin): everyone who works on the programme's side.
TWO_FACTOR_ROLES = STAFF_ROLES + (REVIEWER, DONOR_OBSERVER)

# Django model permissions each role's group holds, for the admin site. Object-level access (which
# organisation, which application) is decided by accounts.access, not by these.
ROLE_MODEL_PERMISSIONS = {
    PROGRAMME_OFFICER: [
        "grants.view_programme", "grants.change_programme", "grants.view_envelope",
        "grants.view_call", "grants.add_call", "grants.change_call",
        "grants.view_objective", "grants.add_objective", "grants.change_objective",
        "grants.view_country", "grants.add_country", "grants.change_country",
        "grants.view_grant", "grants.view_ledgerentry",
        "accounts.view_organisation", "audit.view_auditevent",
        "accounts.view_duediligencedocument", "accounts.view_flag", "accounts.view_sanctionsentry",
    ],
    FINANCE_OFFICER: [
        "grants.view_programme", "grants.view_envelope", "grants.change_envelope",
        "grants.view_call", "grants.view_grant", "grants.view_ledgerentry",
        "accounts.view_organisation", "audit.view_auditevent",
    ],
    ADMINISTRATOR: [
        "grants.view_programme", "grants.add_programme", "grants.change_programme",
        "grants.view_envelope", "grants.change_envelope",
        "grants.view_call", "grants.add_call", "grants.change_call",
        "grants.view_objective", "grants.add_objective", "grants.change_objective", "grants.delete_objective",
        "grants.view_country", "grants.add_country", "grants.change_country",
        "grants.view_grant", "grants.view_ledgerentry",
        "accounts.view_user", "accounts.add_user", "accounts.change_user",
        "accounts.view_organisation", "accounts.change_organisation",
        "auth.view_group", "audit.view_auditevent",
        "accounts.view_duediligencedocument", "accounts.view_flag", "accounts.view_sanctionsentry",
    ],
}
