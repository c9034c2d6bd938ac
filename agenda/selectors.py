"""What a person's calendar feed holds, in a fixed number of queries whatever the number of events:

- a CSO member: the deadlines of their organisations' draft applications, the report due dates of their grants and
  the expected dates of the grants' tranches not paid yet;
- a reviewer: the review deadlines of the calls whose panel they sit on;
- programme and finance officers: the deadlines of the published calls and the report due dates of every grant in
  implementation (finance officers also the tranches expected).

Report due dates come from `grants.periods` (so a no-cost extension moves them); a report submitted or approved is
no longer due. Another organisation's applications, grants and tranches never appear in a member's feed."""
from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import roles as R
from accounts.access import has_role
from applications.models import Application, ApplicationStatus
from disbursements.models import Tranche
from grants.models import PAYABLE_STATUSES, AgreementStatus, Call, CallStatus, Grant
from grants.periods import grant_periods
from reports.models import Report, ReportStatus

from .ical import Event

OFFICERS = (R.PROGRAMME_OFFICER, R.FINANCE_OFFICER)
# Grants whose reports and tranches are still ahead: signed and not yet closed or ended.
LIVE_GRANT_STATUSES = PAYABLE_STATUSES | {AgreementStatus.SUSPENDED}
# Calls closed longer ago than this drop out of officers' feeds.
CALL_HISTORY = timedelta(days=365)


def _draft_deadlines(user):
    drafts = (Application.objects.filter(status=ApplicationStatus.DRAFT, organisation__memberships__user=user)
              .select_related("call", "organisation").order_by("pk"))
    for draft in drafts:
        yield Event(
            uid=f"application-{draft.pk}-deadline@cso-grants",
            summary=_("Deadline: %(call)s") % {"call": draft.call},
            description=_("%(organisation)s: draft application “%(title)s”.")
            % {"organisation": draft.organisation.legal_name, "title": draft.title or _("untitled")},
            moment=draft.deadline,
        )


def _call_deadlines():
    calls = Call.objects.filter(status__in=[CallStatus.PUBLISHED, CallStatus.CLOSED],
                                closes_at__gte=timezone.now() - CALL_HISTORY).order_by("closes_at", "pk")
    for call in calls:
        if call.concept_note_deadline:
            yield Event(uid=f"call-{call.pk}-concept-notes@cso-grants", moment=call.concept_note_deadline,
                        summary=_("Concept notes due: %(call)s") % {"call": call})
        yield Event(uid=f"call-{call.pk}-deadline@cso-grants", moment=call.closes_at,
                    summary=_("Deadline: %(call)s") % {"call": call})


def _review_deadlines(user):
    calls = Call.objects.filter(panel__members=user, review_deadline__isnull=False).order_by("review_deadline", "pk")
    for call in calls:
        yield Event(uid=f"call-{call.pk}-review@cso-grants", moment=call.review_deadline,
                    summary=_("Reviews due: %(call)s") % {"call": call})


def _report_due_dates(grants):
    done = set(Report.objects.filter(grant__in=[g.pk for g in grants],
                                     status__in=[ReportStatus.SUBMITTED, ReportStatus.APPROVED])
               .values_list("grant_id", "period_number"))
    for grant in grants:
        for period in grant_periods(grant):
            if (grant.pk, period.number) in done:
                continue
            kind = _("Final report") if period.is_final else _("Interim report %(n)s") % {"n": period.number}
            yield Event(
                uid=f"grant-{grant.pk}-report-{period.key}@cso-grants", day=period.due,
                summary=_("Report due: %(grant)s – %(kind)s") % {"grant": grant.reference, "kind": kind},
                description=_("%(organisation)s, %(title)s. Period %(start)s to %(end)s.")
                % {"organisation": grant.organisation.legal_name, "title": grant.title,
                   "start": period.start.isoformat(), "end": period.end.isoformat()},
            )


def _tranche_dates(grants):
    tranches = (Tranche.objects.filter(grant__in=[g.pk for g in grants], expected_on__isnull=False, payments__isnull=True)
                .order_by("expected_on", "pk"))
    by_pk = {grant.pk: grant for grant in grants}
    for tranche in tranches:
        grant = by_pk[tranche.grant_id]
        yield Event(
            uid=f"tranche-{tranche.pk}@cso-grants", day=tranche.expected_on,
            summary=_("Tranche %(n)s expected: %(grant)s") % {"n": tranche.number, "grant": grant.reference},
            description=f"{grant.organisation.legal_name}, {grant.title}. {tranche.get_kind_display()}.",
        )


def feed_events(user) -> list[Event]:
    """The events of `user`'s feed, by kind, each kind by date."""
    officer = has_role(user, *OFFICERS)
    grants = Grant.objects.filter(status__in=LIVE_GRANT_STATUSES).select_related("call__programme", "organisation")
    if not officer:
        grants = grants.filter(organisation__memberships__user=user)
    grants = list(grants.order_by("pk"))
    events = [*_draft_deadlines(user)]
    if officer:
        events += _call_deadlines()
    if has_role(user, R.REVIEWER):
        events += _review_deadlines(user)
    events += _report_due_dates(grants)
    if not officer or has_role(user, R.FINANCE_OFFICER):
        events += _tranche_dates(grants)
    return events
