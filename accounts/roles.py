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
