"""Requests started by the grantee: a payment request for a payable tranche (with the statement of expenditure it
rests on) that finance approves or rejects, and an amendment request (no-cost extension, budget reallocation, change
of activities) that the programme officer approves or declines. Imported into disbursements.models, so they belong
to the `disbursements` app. Written only by disbursements.requests.services."""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.uploads import RandomUploadPath


class RequestKind(models.TextChoices):
    PAYMENT = "payment", _("Payment request")
    AMENDMENT = "amendment", _("Amendment request")


class AmendmentKind(models.TextChoices):
    EXTENSION = "extension", _("No-cost extension")
    BUDGET = "budget", _("Budget reallocation")
    ACTIVITIES = "activities", _("Change of activities")


class RequestStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    PAID = "paid", _("Paid")


# The only status changes a request may make; disbursements.requests.services checks it. Only a payment request
# becomes paid (when finance records the payment of its tranche).
REQUEST_TRANSITIONS = {
    RequestStatus.SUBMITTED: {RequestStatus.APPROVED, RequestStatus.REJECTED},
    RequestStatus.APPROVED: {RequestStatus.PAID},
    RequestStatus.REJECTED: set(),
    RequestStatus.PAID: set(),
}
PENDING_STATUSES = (RequestStatus.SUBMITTED,)


class GrantRequest(models.Model):
    """A request made by a member of the grantee about its grant."""

    grant = models.ForeignKey("grants.Grant", on_delete=models.PROTECT, related_name="grantee_requests")
    number = models.PositiveSmallIntegerField(_("number"))
    kind = models.CharField(_("kind"), max_length=10, choices=RequestKind.choices)
    status = models.CharField(_("status"), max_length=10, choices=RequestStatus.choices, default=RequestStatus.SUBMITTED)
    # A payment request: the tranche, the amount asked and the statement of expenditure (accepted expenditure of a
    # financial report, or an uploaded statement).
    tranche = models.ForeignKey("disbursements.Tranche", on_delete=models.PROTECT, null=True, blank=True, related_name="requests")
    amount = models.DecimalField(_("amount requested (EUR)"), max_digits=14, decimal_places=2, null=True, blank=True)
    expenditure = models.ForeignKey("disbursements.ApprovedExpenditure", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("accepted financial report"))
    statement = models.FileField(_("statement of expenditure"), upload_to=RandomUploadPath("requests"), max_length=255, blank=True)
    statement_name = models.CharField(_("file name"), max_length=255, blank=True)
    payment = models.ForeignKey("disbursements.Payment", on_delete=models.PROTECT, null=True, blank=True, related_name="requests")
    # An amendment request.
    amendment_kind = models.CharField(_("amendment"), max_length=12, choices=AmendmentKind.choices, blank=True)
    new_end_date = models.DateField(_("new end date"), null=True, blank=True)
    lines = models.JSONField(_("budget lines and amounts"), default=list, blank=True)
    description = models.TextField(_("description"), blank=True)
    amendment = models.ForeignKey("grants.AgreementVersion", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    justification = models.TextField(_("justification"), blank=True)
    decision_reason = models.TextField(_("reason"), blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(_("requested"), auto_now_add=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    class Meta:
        ordering = ["grant", "number"]
        verbose_name = _("grantee request")
        verbose_name_plural = _("grantee requests")
        constraints = [
            models.UniqueConstraint(fields=["grant", "number"], name="grant_request_number_unique"),
            models.CheckConstraint(condition=Q(status__in=RequestStatus.values), name="grant_request_status_valid"),
            models.CheckConstraint(
                condition=(Q(kind=RequestKind.PAYMENT) & Q(tranche__isnull=False) & Q(amount__gt=0) & Q(amendment_kind=""))
                | (Q(kind=RequestKind.AMENDMENT) & Q(tranche__isnull=True) & ~Q(amendment_kind="") & ~Q(justification="")),
                name="grant_request_kind_fields",
            ),
            models.CheckConstraint(condition=~Q(status=RequestStatus.REJECTED) | ~Q(decision_reason=""),
                                   name="grant_request_rejection_has_reason"),
            models.CheckConstraint(condition=~Q(status=RequestStatus.PAID) | Q(payment__isnull=False),
                                   name="grant_request_paid_has_payment"),
            # One pending payment request per tranche (the service checks first, with a message).
            models.UniqueConstraint(fields=["tranche"], condition=Q(status__in=["submitted", "approved"]),
                                    name="grant_request_one_open_per_tranche"),
        ]
        indexes = [models.Index(fields=["kind", "status"], name="grant_request_kind_status")]

    def __str__(self):
        return self.reference

    @property
    def reference(self) -> str:
        return f"{self.grant.reference}-RQ{self.number:02d}"

    @property
    def is_payment(self):
        return self.kind == RequestKind.PAYMENT


class RequestComment(models.Model):
    """A message in a request's own conversation, from either side."""

    request = models.ForeignKey(GrantRequest, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("message"))
    created_at = models.DateTimeField(_("written"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("request comment")
        verbose_name_plural = _("request comments")
        constraints = [models.CheckConstraint(condition=~Q(body=""), name="request_comment_not_empty")]
