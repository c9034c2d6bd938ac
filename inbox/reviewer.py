"""A reviewer's work: conflict declarations and scores outstanding on the panels they sit on, per call, with the
call's review deadline. Two grouped queries whatever the numbers of calls and applications."""
from django.db.models import Count, Exists, OuterRef, Q
from django.urls import reverse
from django.utils.translation import ngettext

from applications.models import Application, ApplicationStatus, Assignment, AssignmentStatus, ConflictDeclaration, ReviewStatus
from grants.models import GridStage

from .items import Item

# Each count is grouped by the call, with what the item shows of it.
CALL_FIELDS = ("call_id", "call__reference", "call__review_deadline")


def _scoring_open(now):
    """Applications whose own deadline has passed (scoring starts then): a concept note's, else the call's."""
    concept_note = Q(stage=GridStage.CONCEPT_NOTE, call__concept_note_deadline__isnull=False)
    return (concept_note & Q(call__concept_note_deadline__lte=now)) | (~concept_note & Q(call__closes_at__lte=now))


def _link(call_id):
    return f"{reverse('reviewer_home')}#call-{call_id}"


def _item(row, text, now):
    """`text` is the row's sentence with %(n)s and %(call)s still to fill."""
    deadline = row["call__review_deadline"]
    return Item(text % {"n": row["n"], "call": row["call__reference"]}, row["n"], _link(row["call_id"]),
                due=deadline, overdue=bool(deadline and deadline < now))


def reviewer_items(user, now):
    """Only the user's own panels and assignments; nothing for reviews already submitted."""
    declared = ConflictDeclaration.objects.filter(application=OuterRef("pk"), reviewer=user)
    to_declare = (
        Application.objects.filter(~Exists(declared), status=ApplicationStatus.ELIGIBLE, call__panel__members=user)
        .order_by().values(*CALL_FIELDS).annotate(n=Count("pk"))
    )
    no_conflict = ConflictDeclaration.objects.filter(application=OuterRef("application"), reviewer=user, has_conflict=False)
    to_score = (
        Application.objects.filter(
            Exists(Assignment.objects.filter(application=OuterRef("pk"), reviewer=user, status=AssignmentStatus.ACTIVE)
                   .filter(Exists(no_conflict)).exclude(review__status=ReviewStatus.SUBMITTED)),
            _scoring_open(now), status=ApplicationStatus.ELIGIBLE,
        )
        .order_by().values(*CALL_FIELDS).annotate(n=Count("pk"))
    )
    items = [
        _item(row, ngettext("%(n)s conflict-of-interest declaration to make for %(call)s",
                            "%(n)s conflict-of-interest declarations to make for %(call)s", row["n"]), now)
        for row in to_declare
    ]
    items += [
        _item(row, ngettext("%(n)s application of %(call)s to score", "%(n)s applications of %(call)s to score", row["n"]), now)
        for row in to_score
    ]
    return items
