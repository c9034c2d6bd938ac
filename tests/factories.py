"""factory_boy factories. Objects with money or permissions are built through the services where it matters."""
from datetime import date, timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from accounts.models import Organisation, OrganisationType, User
from core.money import EUR
from grants.models import Call, CallStatus, Country, Envelope, Grant, Objective, Programme


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    full_name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    legal_name = factory.Sequence(lambda n: f"Organisation {n}")
    acronym = factory.Sequence(lambda n: f"ORG{n}")
    country = "NP"
    registration_number = factory.Sequence(lambda n: f"REG-{n:05d}")
    org_id_scheme = "NP-SWC"
    org_type = OrganisationType.NATIONAL_NGO


class ProgrammeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Programme

    code = factory.Sequence(lambda n: f"PRG{n}")
    name = factory.Sequence(lambda n: f"Programme {n}")
    short_name = factory.Sequence(lambda n: f"P{n}")
    donor = "European Union"
    agency = "UNODC"
    agency_iati_ref = "XM-DAC-41128"
    donor_iati_ref = "XI-IATI-EC_INTPA"
    giving_prefix = factory.Sequence(lambda n: f"360G-prg{n}")
    start_date = date(2026, 1, 1)
    end_date = date(2029, 12, 31)


class EnvelopeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Envelope

    programme = factory.SubFactory(ProgrammeFactory)
    amount = factory.LazyFunction(lambda: (Decimal("1000000.00"), EUR))


class CountryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Country
        django_get_or_create = ("code",)

    code = "NP"
    name = "Nepal"


class ObjectiveFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Objective

    programme = factory.SubFactory(ProgrammeFactory)
    number = factory.Sequence(lambda n: n + 1)
    title = factory.Sequence(lambda n: f"Objective {n}")


class CallFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Call

    programme = factory.SubFactory(ProgrammeFactory)
    reference = factory.Sequence(lambda n: f"C{n:02d}")
    title = factory.Sequence(lambda n: f"Call {n}")
    opens_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=7))
    closes_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=30))
    min_grant = factory.LazyFunction(lambda: (Decimal("10000.00"), EUR))
    max_grant = factory.LazyFunction(lambda: (Decimal("200000.00"), EUR))
    status = CallStatus.PUBLISHED


class GrantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Grant

    call = factory.SubFactory(CallFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    reference = factory.Sequence(lambda n: f"G-{n:04d}")
    title = factory.Sequence(lambda n: f"Grant {n}")
