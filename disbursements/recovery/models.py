"""Recovery orders (debit notes): an amount unduly paid to a grant, to be recovered from the grantee, and the
settlements that recover it (a refund received, or an amount offset against a later payment). Imported into
disbursements.models, so they belong to the `disbursements` app. Written only by disbursements.recovery.services;
the money of each settlement is a `recovery` row of the ledger (grants.ledger.recovery_add)."""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _


class RecoveryOrigin(models.TextChoices):
    MANUAL = "manual", _("Entered by finance")
    UNSPENT_ADVANCE = "unspent_advance", _("Unspent advance at closure or termination")
    FINDING = "finding", _("Finding of a check or audit")


class RecoveryStatus(models.TextChoices):
    OPEN = "open", _("Open")
    PARTLY_SETTLED = "partly_settled", _("Partly settled")
    SETTLED = "settled", _("Settled")
    CANCELLED = "cancelled", _("Cancelled")


# The only status changes an order may make; disbursements.recovery.services checks it. A settlement moves an order
# to partly settled or settled; reversing one moves it back (open once nothing recovered stands); cancelling (with a
# reason) writes off what is still outstanding.
RECOVERY_TRANSITIONS = {
    RecoveryStatus.OPEN: {RecoveryStatus.PARTLY_SETTLED, RecoveryStatus.SETTLED, RecoveryStatus.CANCELLED},
    RecoveryStatus.PARTLY_SETTLED: {RecoveryStatus.OPEN, RecoveryStatus.PARTLY_SETTLED, RecoveryStatus.SETTLED,
                                    RecoveryStatus.CANCELLED},
    RecoveryStatus.SETTLED: {RecoveryStatus.OPEN, RecoveryStatus.PARTLY_SETTLED},
    RecoveryStatus.CANCELLED: set(),
}
OUTSTANDING_STATUSES = (RecoveryStatus.OPEN, RecoveryStatus.PARTLY_SETTLED)


class RecoveryOrder(models.Model):
    """A debit note: `amount` EUR unduly paid to `grant`, due by `due_date`. What is outstanding is the amount less
    its settlements (a sum, never stored); a cancelled order has nothing outstanding."""

    grant = models.ForeignKey("grants.Grant", on_delete=models.PROTECT, related_name="recovery_orders")
    number = models.PositiveSmallIntegerField(_("number"))
    origin = models.CharField(_("origin"), max_length=16, choices=RecoveryOrigin.choices)
    amount = models.DecimalField(_("amount to recover (EUR)"), max_digits=14, decimal_places=2)
    reason = models.TextField(_("reason"))
    due_date = models.DateField(_("due date"))
    # Where the order comes from when it is not finance's own entry (e.g. a finding of a spot check): a description
    # for people and a reference for code ("finding:42"), so a later module can link its records to the order.
    source_description = models.CharField(_("source"), max_length=255, blank=True)
    source_reference = models.CharField(_("source reference"), max_length=64, blank=True, db_index=True)
    status = models.CharField(_("status"), max_length=16, choices=RecoveryStatus.choices, default=RecoveryStatus.OPEN)
    cancel_reason = models.TextField(_("reason for the cancellation"), blank=True)
    status_changed_at = models.DateTimeField(_("status changed"), null=True, blank=True)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField(_("issued"), auto_now_add=True)

    class Meta:
        ordering = ["grant", "number"]
        verbose_name = _("recovery order")
        verbose_name_plural = _("recovery orders")
        constraints = [
            models.UniqueConstraint(fields=["grant", "number"], name="recovery_order_number_unique"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="recovery_order_amount_positive"),
            models.CheckConstraint(condition=~Q(reason=""), name="recovery_order_has_reason"),
            models.CheckConstraint(condition=Q(status__in=RecoveryStatus.values), name="recovery_order_status_valid"),
            models.CheckConstraint(condition=Q(origin__in=RecoveryOrigin.values), name="recovery_order_origin_valid"),
            models.CheckConstraint(
                condition=~Q(status=RecoveryStatus.CANCELLED) | ~Q(cancel_reason=""),
                name="recovery_order_cancel_has_reason",
            ),
        ]
        indexes = [models.Index(fields=["status", "due_date"], name="recovery_order_status_due")]

    def __str__(self):
        return self.reference

    @property
    def reference(self) -> str:
        return f"{self.grant.reference}-RO{self.number:02d}"


class SettlementKind(models.TextChoices):
    REFUND = "refund", _("Refund received")
    OFFSET = "offset", _("Offset against a payment")


class RecoverySettlement(models.Model):
    """Money recovered on an order: a refund received from the grantee (value date, the bank's reference), or an
    amount withheld from a later payment (the payment stands for its full amount; the grantee received less). A
    settlement recorded by mistake is reversed (a refund on its own, an offset with its payment): its ledger row is
    reversed and it no longer counts as recovered."""

    order = models.ForeignKey(RecoveryOrder, on_delete=models.PROTECT, related_name="settlements")
    kind = models.CharField(_("kind"), max_length=8, choices=SettlementKind.choices)
    amount = models.DecimalField(_("amount (EUR)"), max_digits=14, decimal_places=2)
    value_date = models.DateField(_("value date"))
    bank_reference = models.CharField(_("bank reference"), max_length=64, blank=True)
    payment = models.ForeignKey("disbursements.Payment", on_delete=models.PROTECT, null=True, blank=True,
                                related_name="offsets")
    ledger_entry = models.OneToOneField("grants.LedgerEntry", on_delete=models.PROTECT, related_name="recovery_settlement")
    reversal_entry = models.OneToOneField("grants.LedgerEntry", on_delete=models.PROTECT, null=True, blank=True,
                                          related_name="reversed_settlement")
    reversal_reason = models.TextField(_("reason for the reversal"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        ordering = ["value_date", "id"]
        verbose_name = _("recovery settlement")
        verbose_name_plural = _("recovery settlements")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="recovery_settlement_amount_positive"),
            models.CheckConstraint(
                condition=(Q(kind=SettlementKind.REFUND) & ~Q(bank_reference="") & Q(payment__isnull=True))
                | (Q(kind=SettlementKind.OFFSET) & Q(payment__isnull=False)),
                name="recovery_settlement_kind_fields",
            ),
            models.CheckConstraint(condition=Q(reversal_entry__isnull=True) | ~Q(reversal_reason=""),
                                   name="recovery_settlement_reversal_has_reason"),
            # One standing refund per bank transfer, whatever the grant (the service checks first, with a message).
            models.UniqueConstraint(
                Upper("bank_reference"), condition=Q(kind=SettlementKind.REFUND) & Q(reversal_entry__isnull=True),
                name="recovery_refund_bank_reference_unique",
            ),
        ]

    def __str__(self):
        return f"{self.order.reference} {self.get_kind_display()} {self.amount} EUR"

    @property
    def is_reversed(self):
        return self.reversal_entry_id is not None
