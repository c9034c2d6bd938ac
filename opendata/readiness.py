"""What a programme needs before each open-data export can be published. The download page shows these, and the
export commands refuse with the same messages, so nobody publishes a file with an empty identifier."""
from django.utils.translation import gettext as _

IATI, GIVING = "iati", "giving"


def missing_settings(programme) -> dict[str, list[str]]:
    """For each export, the programme settings still to fill in (empty list: ready)."""
    return {
        IATI: [_("the IATI identifier of the managing agency")] if not programme.agency_iati_ref else [],
        GIVING: [_("the 360Giving identifier prefix")] if not programme.giving_prefix else [],
    }


def refusal(programme, export) -> str:
    """A sentence saying why `export` cannot be produced for `programme`, or "" when it can."""
    missing = missing_settings(programme)[export]
    if not missing:
        return ""
    return _("Set %(settings)s on the programme %(programme)s first (Administration, Programmes).") % {
        "settings": ", ".join(missing), "programme": programme.code,
    }
