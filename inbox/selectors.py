"""Each role's inbox, for the home page: one Section per role the person holds, in a fixed number of queries per
role whatever the number of items. A person sees only what their role may see: officers and finance the whole
programme, a reviewer their own panels and assignments, a CSO member their own organisations."""
from datetime import timedelta

from django.utils import timezone

from accounts import roles as R
from accounts.access import has_role

from .donor import donor_items
from .finance import finance_items
from .items import Section
from .member import member_items
from .officer import officer_items
from .reviewer import reviewer_items

# A donor observer's first visit shows the changes of this many days.
FIRST_VISIT_DAYS = 30


def is_member(user) -> bool:
    """Whether the person works for a CSO: the applicant role, or a membership of some organisation."""
    return has_role(user, R.APPLICANT) or user.memberships.exists()


def inbox_for(user, *, now=None, member=None, since=None) -> list[Section]:
    """The sections of `user`'s inbox. `member`: `is_member(user)` if the caller knows it already; `since`: the
    donor observer's previous visit (None on the first)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    member = is_member(user) if member is None else member
    sections = []
    if has_role(user, R.PROGRAMME_OFFICER):
        sections.append(Section(R.PROGRAMME_OFFICER, R.ROLE_LABELS[R.PROGRAMME_OFFICER], officer_items(user, now, today)))
    if has_role(user, R.REVIEWER):
        sections.append(Section(R.REVIEWER, R.ROLE_LABELS[R.REVIEWER], reviewer_items(user, now)))
    if has_role(user, R.FINANCE_OFFICER):
        sections.append(Section(R.FINANCE_OFFICER, R.ROLE_LABELS[R.FINANCE_OFFICER], finance_items(user, now, today)))
    if member:
        sections.append(Section(R.APPLICANT, R.ROLE_LABELS[R.APPLICANT], member_items(user, now, today)))
    if has_role(user, R.DONOR_OBSERVER):
        since = since or now - timedelta(days=FIRST_VISIT_DAYS)
        sections.append(Section(R.DONOR_OBSERVER, R.ROLE_LABELS[R.DONOR_OBSERVER], donor_items(user, since)))
    return sections
