"""The payment order: the instruction to the bank for one recorded payment, with the grant's position after it."""
from django.utils.translation import gettext as _

from accounts.models import BankDetails
from accounts.selectors import masked_account
from core.formats import money_text, number_text
from core.pdf import Spacer, day, eur, facts, mm, para, render, styles, utc

from ..recovery.selectors import with_offsets
from .selectors import position_at


def payment_order_pdf(payment, *, full_account: bool) -> bytes:
    """`full_account` prints the whole IBAN (finance, who sends the order to the bank); others see it masked."""
    st = styles()
    grant = payment.grant
    organisation = grant.organisation
    programme = grant.call.programme
    bank = BankDetails.objects.filter(organisation=organisation).first()
    position = position_at(payment)
    [payment] = with_offsets([payment])
    title = _("Payment order %(ref)s") % {"ref": payment.bank_reference}
    story = [para(title, st["title"]), para(f"{programme.name} ({programme.code})", st["body"])]
    if payment.is_reversed:
        story.append(para(_("REVERSED: %(reason)s") % {"reason": payment.reversal_reason}, st["h2"]))
    story += [
        para(_("Payment"), st["h2"]),
        facts([
            (_("Grant"), f"{grant.reference} – {grant.title}"),
            (_("Call"), f"{grant.call.reference} – {grant.call.title}"),
            (_("Tranche"), f"{payment.tranche.number} – {payment.tranche.get_kind_display()}"),
            (_("Amount"), eur(payment.amount)),
            *(
                [(_("Offset against recovery order %(ref)s") % {"ref": payment.offset_orders}, eur(payment.offset_total)),
                 (_("Amount to transfer"), eur(payment.received))]
                if payment.offset_total else []
            ),
            (_("Value date"), day(payment.value_date)),
            (_("Bank reference"), payment.bank_reference),
            *(
                [(_("Received in local currency"),
                  f"{money_text(payment.local_amount, payment.local_currency)} (1 EUR = {number_text(payment.local_rate)} {payment.local_currency})")]
                if payment.local_currency else []
            ),
            (_("Recorded by"), f"{payment.recorded_by.get_full_name()} ({payment.recorded_by.email})"),
            (_("Recorded"), utc(payment.recorded_at)),
            (_("Ledger entry"), str(payment.ledger_entry_id)),
        ], st),
        para(_("Payee"), st["h2"]),
    ]
    if bank is None:
        story.append(para(_("%(org)s has not given its bank details: the order cannot be sent.") % {"org": organisation}, st["body"]))
    else:
        story.append(facts([
            (_("Organisation"), f"{organisation.legal_name} ({organisation.get_country_display()})"),
            (_("Account holder"), bank.account_holder),
            (_("Bank"), bank.bank_name),
            (_("Bank address"), bank.bank_address),
            (_("IBAN or account number"), bank.iban if full_account else masked_account(bank.iban)),
            (_("SWIFT/BIC"), bank.swift_bic),
            (_("Account currency"), bank.currency),
        ], st))
    story += [
        para(_("Grant position after this payment"), st["h2"]),
        facts([
            (_("Committed"), eur(position.committed)),
            (_("Paid to date"), eur(position.paid)),
            (_("Remaining"), eur(position.remaining)),
        ], st),
        Spacer(1, 6 * mm),
        para(_("All amounts in EUR unless stated otherwise."), st["small"]),
    ]
    return render(story, title=title, footer=f"{programme.code} · {grant.reference} · {payment.bank_reference}")
