"""Benchmark the open-data exports on a synthetic programme (disbursements.synthetic), in a scratch database
created and destroyed here: the IATI activity file, the 360Giving package and its CSV, and optionally the schema
validation of the IATI file (`--iati-schema PATH` to iati-activities-schema.xsd)."""
import json
import random
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from lxml import etree

from core.benchmark import scratch_database, time_runs
from disbursements.models import ApprovedExpenditure, Payment
from disbursements.synthetic import synthetic_programme
from grants.models import Grant, Programme

from ...iati import activities_xml
from ...threesixty import grants_csv, grants_package


class Command(BaseCommand):
    help = "Build a synthetic programme in a scratch database and time the IATI and 360Giving exports."

    def add_arguments(self, parser):
        parser.add_argument("--grants", type=int, default=2000)
        parser.add_argument("--payments", type=int, default=20000)
        parser.add_argument("--calls", type=int, default=6)
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--iati-schema", help="iati-activities-schema.xsd, to time the validation of the file too")

    def handle(self, *args, grants, payments, calls, seed, iati_schema, **options):
        schema = None
        if iati_schema:
            try:
                schema = etree.XMLSchema(etree.parse(iati_schema))
            except (OSError, etree.XMLSchemaParseError) as exc:
                raise CommandError(f"Cannot read the IATI schema {iati_schema}: {exc}") from exc
        with scratch_database(self.stdout):
            started = time.perf_counter()
            with transaction.atomic():
                programme, _reader = synthetic_programme(grants, payments, calls, random.Random(seed))
            self.stdout.write(
                f"built {Grant.objects.count()} grants, {Payment.objects.count()} payments "
                f"({Payment.objects.filter(reversal_entry__isnull=False).count()} reversed), "
                f"{ApprovedExpenditure.objects.count()} approved expenditure rows in {time.perf_counter() - started:.1f} s"
            )
            programme = Programme.objects.get(pk=programme.pk)
            timings = time_runs(self.stdout, (
                ("IATI activities (XML)", lambda: activities_xml(programme)),
                ("360Giving package (JSON)", lambda: json.dumps(grants_package(programme))),
                ("360Giving spreadsheet (CSV)", lambda: grants_csv(programme)),
            ))
            xml = timings["IATI activities (XML)"][2]
            document = etree.fromstring(xml)
            self.stdout.write(
                f"IATI file {len(xml) / 1e6:.1f} MB: {len(document)} activities, "
                f"{len(document.findall('.//transaction'))} transactions; "
                f"360Giving JSON {len(timings['360Giving package (JSON)'][2]) / 1e6:.1f} MB, "
                f"CSV {len(timings['360Giving spreadsheet (CSV)'][2]) / 1e6:.1f} MB"
            )
            if schema is not None:
                started = time.perf_counter()
                valid = schema.validate(document)
                self.stdout.write(
                    f"IATI schema validation: {'valid' if valid else 'INVALID'} in {(time.perf_counter() - started) * 1000:.0f} ms"
                    + ("" if valid else f" - {schema.error_log.last_error}")
                )
