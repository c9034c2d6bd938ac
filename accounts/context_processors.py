from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from . import roles as R
from .access import roles_of

# Every destination of the header, in the order it lists them: (URL name, label, roles that may use it). `None` for
# roles: anyone signed in.
DESTINATIONS = (
    ("home", _("Home"), None),
    ("applications_dashboard", _("Applications"), (R.APPLICANT,)),
    ("my_grants", _("Your grants"), (R.APPLICANT,)),
    ("reviewer_home", _("Reviews"), (R.REVIEWER,)),
    ("screening_calls", _("Applications by call"), R.ENVELOPE_READERS),
    ("grant_list", _("Grants"), R.ENVELOPE_READERS),
    ("report_queue", _("Reports"), R.ENVELOPE_READERS),
    ("payment_queue", _("Payments"), R.ENVELOPE_READERS),
    ("envelope", _("Envelope"), R.ENVELOPE_READERS),
    ("results_dashboard", _("Results"), R.ENVELOPE_READERS),
    ("fx_rates", _("Exchange rates"), (R.FINANCE_OFFICER,)),
    ("open_data", _("Open data"), R.ENVELOPE_READERS),
    ("diligence_overview", _("Due diligence"), R.STAFF_ROLES),
    ("audit_log", _("Audit trail"), R.STAFF_ROLES),
    ("call_list", _("Calls for proposals"), None),
)

# A role's main tasks, shown directly in the header on a desktop; its other pages are under the menu.
MAIN_TASKS = {
    R.APPLICANT: ("applications_dashboard", "my_grants", "call_list"),
    R.REVIEWER: ("reviewer_home",),
    R.PROGRAMME_OFFICER: ("screening_calls", "grant_list", "report_queue", "envelope"),
    R.FINANCE_OFFICER: ("payment_queue", "grant_list", "envelope", "fx_rates"),
    R.DONOR_OBSERVER: ("envelope", "grant_list", "open_data"),
    R.ADMINISTRATOR: ("screening_calls", "grant_list", "envelope", "audit_log"),
}
MAIN_TASKS_SHOWN = 5



def _navigation(request, names):
    """The header's links for this person: `main` (their role's main tasks) and `more` (the rest, under the menu),
    each {url, label, current}; `current` marks the page being shown, or the section it belongs to."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"main": [{"url": reverse("call_list"), "label": _("Calls for proposals"),
                          "current": request.path.startswith(reverse("call_list"))}], "more": []}
    links = [
        {"name": name, "url": reverse(name), "label": label}
        for name, label, allowed in DESTINATIONS
        if allowed is None or any(role in names for role in allowed)
    ]
    if user.is_staff:
        links.append({"name": "admin", "url": reverse("admin:index"), "label": _("Administration")})
    # The page's section: the longest link address the path starts with (the home page only for itself).
    path = request.path
    matches = [link for link in links if path == link["url"] or (link["url"] != "/" and path.startswith(link["url"]))]
    current = max(matches, key=lambda link: len(link["url"]), default=None)
    main_names = []
    for role in R.ALL_ROLES:
        if role in names:
            main_names += [n for n in MAIN_TASKS.get(role, ()) if n not in main_names]
    main_names = main_names[:MAIN_TASKS_SHOWN]
    for link in links:
        link["current"] = link is current
    main = sorted((link for link in links if link["name"] in main_names), key=lambda link: main_names.index(link["name"]))
    more = [link for link in links if link["name"] not in main_names]
    return {"main": main, "more": more}


def roles(request):
    """The signed-in user's roles, for navigation: `roles.finance_officer` etc. are booleans in templates; `nav` holds
    the header's links (built lazily, only when a template shows them)."""
    names = roles_of(getattr(request, "user", None))
    return {
        "roles": {role: role in names for role in R.ALL_ROLES},
        "role_names": sorted(names),
        # The API-token page is never in the header: the account page links it (every role has API access to what
        # it sees on the site, docs/API.md).
        "nav": _Lazy(lambda: _navigation(request, names)),
    }


class _Lazy:
    """A mapping computed on first use (templates without a header, e-mails, never pay for it)."""

    def __init__(self, build):
        self._build, self._value = build, None

    def _get(self):
        if self._value is None:
            self._value = self._build()
        return self._value

    def __getitem__(self, key):
        return self._get()[key]
