"""The programme officer's work: public questions and conversations to answer, screening, panels and reviews per
call, award decisions, agreements, due diligence, reports, assurance and the grantees' answers to findings. A fixed
number of queries whatever the numbers of calls, applications, grants, findings and messages."""
from django.db.models import Count, Exists, OuterRef, Q
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import DocumentStatus, DueDiligenceDocument, Flag, FlagStatus
from applications.models import Application, ApplicationStatus, Assignment, AssignmentStatus, Panel, ReviewStatus
from clarifications.models import CallQuestion, QuestionStatus
from conversations.models import Side
from conversations.selectors import unanswered_for
from disbursements.verification.models import Finding, FindingOutcome
from grants.access import grants_for
from grants.models import AgreementStatus, Call, CallStatus, Grant
from grants.risk.selectors import overdue_grants_count
from reports.models import Report, ReportStatus

from .items import Item, SubqueryCount, counts


def _calls(now):
    """Calls with public questions to answer (published calls only), applications to screen or under review, each
    annotated with the figures the items need."""
    applications = Application.objects.filter(call=OuterRef("pk"))
    eligible = applications.filter(status=ApplicationStatus.ELIGIBLE)
    active = Assignment.objects.filter(
        application__call=OuterRef("pk"), application__status=ApplicationStatus.ELIGIBLE, status=AssignmentStatus.ACTIVE,
    )
    unassigned = eligible.filter(
        ~Exists(Assignment.objects.filter(application=OuterRef("pk"), status=AssignmentStatus.ACTIVE))
    )
    return (
        Call.objects.exclude(status=CallStatus.DRAFT)
        .annotate(
            to_answer=SubqueryCount(CallQuestion.objects.filter(call=OuterRef("pk"), status=QuestionStatus.ASKED)),
            to_screen=SubqueryCount(applications.filter(status=ApplicationStatus.SUBMITTED)),
            eligible=SubqueryCount(eligible),
            unassigned=SubqueryCount(unassigned),
            pending=SubqueryCount(active.exclude(review__status=ReviewStatus.SUBMITTED)),
            submitted=SubqueryCount(active.filter(review__status=ReviewStatus.SUBMITTED)),
            has_panel=Exists(Panel.objects.filter(call=OuterRef("pk"))),
        )
        .filter(Q(to_answer__gt=0, status=CallStatus.PUBLISHED) | Q(to_screen__gt=0) | Q(eligible__gt=0))
        .order_by("closes_at", "pk")
    )


def _call_items(call, now):
    ref = call.reference
    closed = call.closes_at <= now
    if call.status == CallStatus.PUBLISHED and call.to_answer:
        yield Item(
            ngettext("%(n)s public question on %(call)s to answer", "%(n)s public questions on %(call)s to answer",
                     call.to_answer) % {"n": call.to_answer, "call": ref},
            call.to_answer, reverse("call_questions", args=[call.pk]),
        )
    if call.to_screen:
        yield Item(
            ngettext("%(n)s submitted application of %(call)s to screen", "%(n)s submitted applications of %(call)s to screen",
                     call.to_screen) % {"n": call.to_screen, "call": ref},
            call.to_screen, reverse("screening_list", args=[call.pk]),
        )
    # Without a panel, and nobody assigned either (assignments made before panels existed count as reviewing).
    if closed and call.eligible and not call.has_panel and call.unassigned == call.eligible:
        yield Item(
            ngettext("%(call)s has closed without a review panel (%(n)s eligible application)",
                     "%(call)s has closed without a review panel (%(n)s eligible applications)", call.eligible)
            % {"n": call.eligible, "call": ref},
            call.eligible, reverse("panel_manage", args=[call.pk]),
        )
    elif closed and call.unassigned:
        yield Item(
            ngettext("%(n)s eligible application of %(call)s has no reviewer assigned",
                     "%(n)s eligible applications of %(call)s have no reviewer assigned", call.unassigned)
            % {"n": call.unassigned, "call": ref},
            call.unassigned, reverse("panel_manage", args=[call.pk]),
        )
    if call.pending and call.review_deadline and call.review_deadline < now:
        yield Item(
            ngettext("%(n)s review of %(call)s is overdue", "%(n)s reviews of %(call)s are overdue", call.pending)
            % {"n": call.pending, "call": ref},
            call.pending, reverse("review_progress", args=[call.pk]), due=call.review_deadline, overdue=True,
        )
    if call.submitted and not call.pending and not call.unassigned:
        yield Item(
            ngettext("Reviews of %(call)s are complete: %(n)s application awaits an award decision",
                     "Reviews of %(call)s are complete: %(n)s applications await an award decision", call.eligible)
            % {"n": call.eligible, "call": ref},
            call.eligible, reverse("ranking", args=[call.pk]),
        )


def _grant_list(status):
    return f"{reverse('grant_list')}?{urlencode({'status': status})}"


def _figures(today):
    """The programme-wide counts behind the agreement, due-diligence and report items, in one query."""
    final_approved = Report.objects.filter(grant=OuterRef("pk"), is_final=True, status=ReportStatus.APPROVED)
    newer = DueDiligenceDocument.objects.filter(
        organisation=OuterRef("organisation"), kind=OuterRef("kind"), uploaded_at__gt=OuterRef("uploaded_at"),
    )
    return counts(
        drafts=Grant.objects.filter(status=AgreementStatus.DRAFT),
        to_start=Grant.objects.filter(status=AgreementStatus.SIGNED, start_date__lte=today),
        to_close=Grant.objects.filter(status=AgreementStatus.IN_IMPLEMENTATION, end_date__lt=today),
        closable=Grant.objects.filter(Exists(final_approved), status=AgreementStatus.CLOSING),
        documents=DueDiligenceDocument.objects.filter(~Exists(newer), status=DocumentStatus.SUBMITTED),
        flags=Flag.objects.filter(status=FlagStatus.OPEN),
        reports=Report.objects.filter(status=ReportStatus.SUBMITTED),
    )


def _grant_items(figures):
    n = figures["drafts"]
    if n:
        yield Item(ngettext("%(n)s award without a signed agreement", "%(n)s awards without a signed agreement", n) % {"n": n},
                   n, _grant_list(AgreementStatus.DRAFT))
    n = figures["to_start"]
    if n:
        yield Item(ngettext("%(n)s signed agreement has started: mark it in implementation",
                            "%(n)s signed agreements have started: mark them in implementation", n) % {"n": n},
                   n, _grant_list(AgreementStatus.SIGNED))
    n = figures["to_close"]
    if n:
        yield Item(ngettext("%(n)s grant has passed its end date: start closing it or extend it",
                            "%(n)s grants have passed their end date: start closing them or extend them", n) % {"n": n},
                   n, _grant_list(AgreementStatus.IN_IMPLEMENTATION))
    n = figures["closable"]
    if n:
        yield Item(ngettext("%(n)s grant in closing has its final report approved: close it",
                            "%(n)s grants in closing have their final report approved: close them", n) % {"n": n},
                   n, _grant_list(AgreementStatus.CLOSING))


def _diligence_items(figures):
    documents = figures["documents"]
    overview = reverse("diligence_overview")
    if documents:
        yield Item(ngettext("%(n)s due-diligence document to review", "%(n)s due-diligence documents to review", documents)
                   % {"n": documents}, documents, overview)
    flags = figures["flags"]
    if flags:
        yield Item(ngettext("%(n)s open flag to confirm or dismiss", "%(n)s open flags to confirm or dismiss", flags)
                   % {"n": flags}, flags, f"{overview}?{urlencode({'flags': 'open'})}")


def _report_items(figures):
    n = figures["reports"]
    if n:
        yield Item(ngettext("%(n)s report submitted for review", "%(n)s reports submitted for review", n) % {"n": n},
                   n, reverse("report_queue"))


def _conversation_items(user):
    """Conversations whose last message is the organisation's, for the programme to answer."""
    return [
        Item(_("%(ref)s: %(org)s wrote, the programme has not answered") % {"ref": thread.subject_reference, "org": thread.organisation},
             1, thread.get_absolute_url())
        for thread in unanswered_for(user) if thread.last_side == Side.ORGANISATION
    ]


def _assurance_items():
    """Running grants whose planned spot checks or programmatic visits (from the partner's risk rating) are overdue."""
    n = overdue_grants_count()
    if n:
        yield Item(ngettext("%(n)s grant has an overdue spot check or visit", "%(n)s grants have overdue spot checks or visits", n)
                   % {"n": n}, n, f"{reverse('assurance_coverage')}#overdue", overdue=True)


def _finding_answer_items(user):
    """Grantees' answers to findings of spot checks and verifications waiting for the officer's decision, per
    finding (one query). Only an open finding's answers can still be decided."""
    findings = (
        Finding.objects.filter(outcome=FindingOutcome.OPEN, grant__in=grants_for(user).values("pk"))
        .annotate(waiting=Count("responses", filter=Q(responses__accepted__isnull=True)))
        .filter(waiting__gt=0).select_related("check_ref__grant").order_by("check_ref__grant__reference", "check_ref__number", "pk")
    )
    return [
        Item(ngettext("%(finding)s: %(n)s answer from the grantee to decide",
                      "%(finding)s: %(n)s answers from the grantee to decide", finding.waiting)
             % {"finding": finding, "n": finding.waiting}, finding.waiting, reverse("finding_detail", args=[finding.pk]))
        for finding in findings
    ]


def officer_items(user, now, today):
    """The officer's items: every call of the programme is theirs to run."""
    items = _conversation_items(user)
    for call in _calls(now):
        items.extend(_call_items(call, now))
    figures = _figures(today)
    items.extend(_grant_items(figures))
    items.extend(_diligence_items(figures))
    items.extend(_report_items(figures))
    items.extend(_assurance_items())
    items.extend(_finding_answer_items(user))
    return items
