"""Reminders for a daily run (`manage.py send_reminders`): reports due soon or overdue (notifications to the
grantee's members, `notifications.notify`, e-mailed as each person chose), reviews pending after a call's deadline
and tranches finance may pay (e-mails).

Each (kind, event, recipient) is sent once ever: the Reminder row is inserted in the same transaction as the
sending, and the unique constraint turns a second run (or two runs at once) into a skip. An event's key carries
what makes it new, e.g. the due date, so an extension that moves the date reminds again.
"""
from collections import defaultdict
from dataclasses import dataclass
from functools import partial
from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import roles as R
from accounts.models import MemberRole, Membership
from applications.models import Assignment, AssignmentStatus, ReviewStatus
from core.formats import money_text
from core.mail import Mail, outbox_add
from disbursements.schedule import facts_for_many, schedule_status
from grants.models import PAYABLE_STATUSES, Grant, GridStage
from grants.periods import grant_periods
from notifications.kinds import report_param
from notifications.services import notify

from .models import Reminder, Report
from .services import REPORTING_STATUSES

REPORT_DUE, REPORT_OVERDUE, REVIEW_PENDING, TRANCHE_PAYABLE = "report_due", "report_overdue", "review_pending", "tranche_payable"
KINDS = (REPORT_DUE, REPORT_OVERDUE, REVIEW_PENDING, TRANCHE_PAYABLE)
DUE_SOON_DAYS = 14
WRITERS = {MemberRole.ORG_ADMIN, MemberRole.EDITOR}


@dataclass(frozen=True)
class Notice:
    kind: str
    event_key: str
    recipient: object  # a User
    compose: object = None  # recipient -> core.mail.Mail, run in the recipient's language (staff reminders)
    notification: tuple = ()  # or (kind, url, params) for notifications.notify (the grantees' report reminders)


def _report_notification(grant, period, outcome):
    return ("report_due", reverse("report_list", args=[grant.reference]), {
        "grant": grant.reference, "report": report_param(is_final=period.is_final, number=period.number),
        "due": period.due.isoformat(), "outcome": outcome,
    })


def _review_pending(assignment, person):
    return Mail(
        _("Review pending: %(application)s") % {"application": assignment.application},
        _("Your review of %(application)s (call %(call)s) is waiting to be submitted.")
        % {"application": assignment.application, "call": assignment.application.call.reference},
    )


def _tranche_payable(grant, state, person):
    return Mail(
        _("%(grant)s: tranche %(n)s may be paid") % {"grant": grant.reference, "n": state.tranche.number},
        _("Tranche %(n)s of grant %(grant)s may pay %(amount)s now.")
        % {"n": state.tranche.number, "grant": grant.reference, "amount": money_text(state.payable)},
    )


def _report_notices(today):
    grants = list(Grant.objects.filter(status__in=REPORTING_STATUSES).select_related("call__programme"))
    submitted = set(
        Report.objects.filter(grant__in=grants, submitted_at__isnull=False).values_list("grant_id", "period_number")
    )
    members = defaultdict(list)
    for m in Membership.objects.filter(organisation__in={g.organisation_id for g in grants}, user__is_active=True).select_related("user"):
        members[m.organisation_id].append(m)
    for grant in grants:
        for period in grant_periods(grant):
            if (grant.pk, period.number) in submitted:
                continue
            key = f"grant-{grant.pk}:{period.key}:{period.due.isoformat()}"
            if today <= period.due <= today + timedelta(days=DUE_SOON_DAYS):
                for m in members[grant.organisation_id]:
                    if m.role in WRITERS:
                        yield Notice(REPORT_DUE, key, m.user, notification=_report_notification(grant, period, "due"))
            elif period.due < today:
                for m in members[grant.organisation_id]:
                    yield Notice(REPORT_OVERDUE, key, m.user, notification=_report_notification(grant, period, "overdue"))


def _review_notices(now):
    # Application.deadline as a query: a concept note's own deadline when the call has one, else closes_at.
    concept_note = Q(application__stage=GridStage.CONCEPT_NOTE, application__call__concept_note_deadline__isnull=False)
    past_deadline = (concept_note & Q(application__call__concept_note_deadline__lt=now)) | (
        ~concept_note & Q(application__call__closes_at__lt=now)
    )
    assignments = (
        Assignment.objects.filter(past_deadline, status=AssignmentStatus.ACTIVE, reviewer__is_active=True)
        .exclude(review__status=ReviewStatus.SUBMITTED)
        .select_related("reviewer", "application__call")
    )
    for a in assignments:
        yield Notice(REVIEW_PENDING, f"assignment-{a.pk}", a.reviewer, partial(_review_pending, a))


def _tranche_notices():
    grants = list(Grant.objects.filter(status__in=PAYABLE_STATUSES).select_related("call__programme"))
    if not grants:
        return
    finance = list(get_user_model().objects.filter(is_active=True, groups__name=R.FINANCE_OFFICER).distinct())
    facts = facts_for_many(grants)
    for grant in grants:
        for state in schedule_status(grant, facts[grant.pk]):
            if state.payable > 0:
                for user in finance:
                    yield Notice(
                        TRANCHE_PAYABLE, f"tranche-{state.tranche.pk}:{state.payable}", user, partial(_tranche_payable, grant, state)
                    )


def notices(today: date):
    """Every reminder due on `today`, sent before or not."""
    now = timezone.now() if today == timezone.localdate() else timezone.make_aware(datetime.combine(today, time.min))
    yield from _report_notices(today)
    yield from _review_notices(now)
    yield from _tranche_notices()


def send_reminders(*, today: date | None = None, dry_run=False) -> dict:
    """Send what has not been sent yet. Returns {kind: {"sent": n, "skipped": n}}; with `dry_run`, "sent" counts
    what would be sent, and nothing is sent or written."""
    today = today or timezone.localdate()
    pending = list(notices(today))
    counts = {kind: {"sent": 0, "skipped": 0} for kind in KINDS}
    done = set(
        Reminder.objects.filter(event_key__in={n.event_key for n in pending}).values_list("kind", "event_key", "recipient_id")
    ) if pending else set()
    for notice in pending:
        if (notice.kind, notice.event_key, notice.recipient.pk) in done or not notice.recipient.email:
            counts[notice.kind]["skipped"] += 1
            continue
        if not dry_run and not _send(notice):
            counts[notice.kind]["skipped"] += 1
            continue
        done.add((notice.kind, notice.event_key, notice.recipient.pk))
        counts[notice.kind]["sent"] += 1
    return counts


def _send(notice) -> bool:
    """Record the reminder and queue its e-mail in one transaction: a row already there (another run) means skip."""
    try:
        with transaction.atomic():
            Reminder.objects.create(kind=notice.kind, event_key=notice.event_key, recipient=notice.recipient)
            if notice.notification:
                kind, url, params = notice.notification
                notify([notice.recipient], kind, url=url, params=params)
            else:
                outbox_add(notice.recipient, notice.compose)
    except IntegrityError:
        return False
    return True
