"""The surge's data: a programme with one published call that closes `closes_in` seconds after seeding, and N CSO
accounts, each the verified administrator of its own organisation registered in one of the call's countries.

Everything goes through the services (`accounts.services`, `grants.services`), as an administrator would do it,
with two shortcuts that change nothing the surge measures: each account is created without a password and then
all of them get one hash of the run's password in a single UPDATE (hashing it N times with the production hasher
would take minutes); and accounts are created in batches, one transaction per batch.
"""
import secrets
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from accounts import roles as R
from accounts.models import OrganisationType, User
from accounts.services import organisation_create, user_create, user_verify_email
from accounts.tokens import email_verification_token
from core.errors import DomainError
from grants.models import CallStatus, Country, Objective, Programme
from grants.services import call_create, call_set_status, programme_create

DOMAIN = "surge.test"
PROGRAMME_CODE = "SURGE"
CALL_REFERENCE = "S01"
COUNTRIES = [("NP", "Nepal"), ("MA", "Morocco"), ("PK", "Pakistan"), ("KG", "Kyrgyz Republic"), ("NE", "Niger"), ("UA", "Ukraine")]
BATCH = 100


def account_email(number):
    return f"cso{number:04d}@{DOMAIN}"


def seed(*, accounts, closes_in, password=None, stdout=None):
    """Create the surge's call and accounts in an empty database. Returns what the load generator needs."""
    say = stdout.write if stdout is not None else (lambda message: None)
    if User.objects.exclude(email__endswith=f"@{DOMAIN}").exists() or Programme.objects.filter(code=PROGRAMME_CODE).exists():
        raise DomainError(
            "The surge seeds only an empty scratch database (it creates accounts that share one password).", code="not_empty"
        )
    password = password or secrets.token_urlsafe(18)
    started = timezone.now()

    with transaction.atomic():
        admin = user_create(actor=None, email=f"surge-admin@{DOMAIN}", full_name="Surge Administrator", roles=(R.ADMINISTRATOR,))
        today = date.today()
        programme = programme_create(
            actor=admin, code=PROGRAMME_CODE, name="Deadline surge programme", short_name="Surge", donor="European Union",
            agency="UNODC", start_date=date(today.year, 1, 1), end_date=date(today.year + 4, 12, 31),
            envelope_amount=Decimal("50000000.00"),
        )
        countries = [Country.objects.get_or_create(code=code, defaults={"name": name})[0] for code, name in COUNTRIES]
        objective, _ = Objective.objects.get_or_create(programme=programme, number=1, defaults={"title": "Protection and assistance to victims"})

    users = []
    for first in range(1, accounts + 1, BATCH):
        with transaction.atomic():
            for number in range(first, min(first + BATCH, accounts + 1)):
                user = user_create(actor=admin, email=account_email(number), full_name=f"Applicant {number}", roles=(R.APPLICANT,))
                code = COUNTRIES[number % len(COUNTRIES)][0]
                organisation_create(
                    actor=admin, admin=user, legal_name=f"Surge CSO {number:04d}", acronym=f"SC{number:04d}", country=code,
                    registration_number=f"SURGE-{number:05d}", org_type=OrganisationType.NATIONAL_NGO,
                )
                # Verified the way a person verifies: with the link's token.
                user_verify_email(actor=user, token=email_verification_token(user))
                users.append(user.pk)
        say(f"  {len(users)} of {accounts} accounts")
    User.objects.filter(pk__in=users).update(password=make_password(password))

    # The call is created last, so its deadline counts from the end of the seeding.
    now = timezone.now()
    with transaction.atomic():
        call = call_create(
            actor=admin, programme=programme, reference=CALL_REFERENCE, title="Deadline surge call",
            description="Direct assistance to victims of trafficking and smuggled migrants.",
            opens_at=now - timedelta(days=30), closes_at=now + timedelta(seconds=closes_in),
            min_grant=Decimal("10000.00"), max_grant=Decimal("300000.00"), min_duration_months=12, max_duration_months=24,
            min_cofinancing_percent=Decimal("5.00"), objectives=[objective], countries=countries,
        )
        call = call_set_status(actor=admin, call=call, status=CallStatus.PUBLISHED)
    return {
        "call_id": call.pk,
        "call": f"{PROGRAMME_CODE}/{CALL_REFERENCE}",
        "apply_path": f"/calls/{PROGRAMME_CODE}/{CALL_REFERENCE}/apply/",
        "closes_at": call.closes_at.isoformat(),
        "password": password,
        "accounts": [account_email(number) for number in range(1, accounts + 1)],
        "seconds": round((timezone.now() - started).total_seconds(), 1),
    }
