"""The same Idempotency-Key sent by 8 clients at once, on PostgreSQL with real transactions: one payment, one answer.

Each thread has its own connection, as concurrent requests do; a barrier releases them together. The first insert of
the key row wins; the others wait on the unique index, then read the committed row and replay it.
"""

from api.models import IdempotencyKey
from audit.models import AuditEvent
from disbursements.models import Payment
from grants.models import LedgerEntry, LedgerKind
from tests.api.test_payments import api_client, payment_body, post_payment
from tests.concurrency import RACE_MARKS, race_split
from tests.grant_helpers import signed_grant

pytestmark = RACE_MARKS

CLIENTS = 8


def test_eight_clients_sending_the_same_key_at_once_pay_once(finance):
    tranche = signed_grant().tranches.get(number=1)
    body = payment_body(tranche, amount="100000.00")
    clients = [api_client(finance) for _ in range(CLIENTS)]

    responses, _ = race_split([lambda c=c: post_payment(c, body, key="race-1") for c in clients], refused=())

    assert [r.status_code for r in responses] == [201] * CLIENTS
    assert all(r.json() == responses[0].json() for r in responses)
    assert sorted(r.get("Idempotent-Replayed") for r in responses if r.has_header("Idempotent-Replayed")) == ["true"] * (CLIENTS - 1)
    assert Payment.objects.count() == 1
    assert LedgerEntry.objects.filter(kind=LedgerKind.DISBURSEMENT).count() == 1
    assert AuditEvent.objects.filter(verb="payment.record").count() == 1
    assert IdempotencyKey.objects.count() == 1
