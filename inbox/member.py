"""A CSO member's work, for their own organisations only: messages from the programme awaiting an answer
(conversations.selectors.unanswered_for), drafts before their call's deadline, what the programme sent back (a
report with changes requested, a due-diligence document rejected), reports of ended periods, agreements being
prepared for signature, and payments received lately. A fixed number of queries whatever their numbers.

Eligibility screening has no "sent back" state (an ineligible application is a final decision), so only reports
and due-diligence documents come back for changes.
"""
from datetime import timedelta

from django.db.models import Count, Exists, OuterRef, Sum
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import DocumentStatus, DueDiligenceDocument
from applications.models import ApplicationStatus
from conversations.models import Side
from conversations.selectors import unanswered_for
from core.money import round_money
from applications.selectors import applications_of_member, member_organisations
from disbursements.models import Payment
from grants.models import AgreementStatus
from grants.periods import grant_periods
from reports.models import Report, ReportStatus
from reports.portal_selectors import member_grants
from reports.services import REPORTING_STATUSES

from .items import Item

RECENT_PAYMENT_DAYS = 30


def _draft_items(user, now):
    drafts = (
        applications_of_member(user).filter(status=ApplicationStatus.DRAFT,
                                            organisation__in=member_organisations(user, "edit_applications"))
        .order_by("call__closes_at", "pk")
    )
    return [
        Item(_("Draft “%(title)s” for %(call)s") % {"title": draft.title or _("Untitled application"), "call": draft.call.reference},
             1, reverse("application_edit", args=[draft.pk]), due=draft.deadline)
        for draft in drafts if draft.deadline > now
    ]


def _rejected_document_items(user):
    newer = DueDiligenceDocument.objects.filter(
        organisation=OuterRef("organisation"), kind=OuterRef("kind"), uploaded_at__gt=OuterRef("uploaded_at"),
    )
    rows = (
        DueDiligenceDocument.objects.filter(
            ~Exists(newer), status=DocumentStatus.REJECTED,
            organisation__in=member_organisations(user, "change_organisation"),
        )
        .order_by().values("organisation_id", "organisation__legal_name").annotate(n=Count("pk"))
    )
    return [
        Item(ngettext("%(n)s due-diligence document of %(org)s was rejected: upload a new one",
                      "%(n)s due-diligence documents of %(org)s were rejected: upload new ones", row["n"])
             % {"n": row["n"], "org": row["organisation__legal_name"]},
             row["n"], reverse("diligence_checklist", args=[row["organisation_id"]]))
        for row in rows
    ]


def _report_name(period, reference):
    if period.is_final:
        return _("Final report of %(grant)s") % {"grant": reference}
    return _("Interim report %(n)s of %(grant)s") % {"n": period.number, "grant": reference}


def _grant_items(user, today):
    """Agreements in preparation, reports sent back, and the reports of periods that have ended (due or overdue)."""
    grants = list(member_grants(user).filter(status__in=REPORTING_STATUSES | {AgreementStatus.DRAFT}).order_by("reference"))
    reports = {
        (r.grant_id, r.period_number): r
        for r in Report.objects.filter(grant__in=[g for g in grants if g.status != AgreementStatus.DRAFT])
    }
    items = []
    for grant in grants:
        if grant.status == AgreementStatus.DRAFT:
            items.append(Item(_("Agreement of %(grant)s to sign") % {"grant": grant.reference},
                              1, reverse("my_grant", args=[grant.reference])))
            continue
        for period in grant_periods(grant):
            report = reports.get((grant.pk, period.number))
            name = _report_name(period, grant.reference)
            if report is not None and report.status == ReportStatus.CHANGES_REQUESTED:
                items.append(Item(_("%(report)s: changes requested") % {"report": name}, 1,
                                  reverse("report_edit", args=[report.pk]), due=period.due, overdue=period.due < today))
            elif (report is None or report.status == ReportStatus.DRAFT) and period.end < today:
                url = reverse("report_edit", args=[report.pk]) if report else reverse("report_list", args=[grant.reference])
                items.append(Item(_("%(report)s to submit") % {"report": name}, 1, url, due=period.due, overdue=period.due < today))
    return items


def _payment_items(user, today):
    since = today - timedelta(days=RECENT_PAYMENT_DAYS)
    received = Payment.objects.filter(
        grant__in=member_grants(user), reversal_entry__isnull=True, value_date__gte=since,
    ).aggregate(n=Count("pk"), total=Sum("amount"))
    n = received["n"]
    if not n:
        return []
    return [Item(ngettext("%(n)s payment received in the last %(days)s days", "%(n)s payments received in the last %(days)s days", n)
                 % {"n": n, "days": RECENT_PAYMENT_DAYS}, n, reverse("my_grants"), amount=round_money(received["total"]))]


def _message_items(user):
    """Conversations whose last message is the programme's, for the organisation to answer."""
    return [
        Item(_("%(ref)s: the programme wrote, your answer is awaited") % {"ref": thread.subject_reference}, 1, thread.get_absolute_url())
        for thread in unanswered_for(user) if thread.last_side == Side.PROGRAMME
    ]


def member_items(user, now, today):
    return (_message_items(user) + _draft_items(user, now) + _rejected_document_items(user) + _grant_items(user, today)
            + _payment_items(user, today))
