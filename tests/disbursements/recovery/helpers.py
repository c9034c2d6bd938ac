"""What the recovery tests share besides the grant fixture (conftest.py): the due date and a payment."""
from datetime import timedelta

from django.utils import timezone

from disbursements.services import payment_record

DUE = timezone.localdate() + timedelta(days=30)


def pay(grant, number, amount, reference, value_date, actor):
    return payment_record(actor=actor, tranche=grant.tranches.get(number=number), amount=amount,
                          value_date=value_date, bank_reference=reference)
