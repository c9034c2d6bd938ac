"""Benchmark the open-data exports on a synthetic programme (disbursements.synthetic), in a scratch database
created and destroyed here: the IATI activity file, the 360Giving package and its CSV, each written to a temporary
file as the job runner writes them, and optionally the schema validation of the IATI file (`--iati-schema PATH` to
iati-activities-schema.xsd).

Memory: the peak resident size (VmHWM) of this process while one export runs, less its resident size just before
(the peak is reset through /proc/self/clear_refs first, Linux only). It covers what lxml allocates in C, which
tracemalloc would not see; the synthetic database is built before, so it is part of the baseline."""
import ctypes
import io
import random
import re
import tempfile
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from lxml import etree

from core.benchmark import scratch_database, time_runs
from disbursements.models import ApprovedExpenditure, Payment
from disbursements.synthetic import synthetic_programme
from grants.models import Grant, Programme

from ...iati import write_activities
from ...threesixty import write_grants_csv, write_grants_package


def _status_kb(field):
    return int(re.search(rf"^{field}:\s+(\d+) kB", Path("/proc/self/status").read_text(), re.M)[1])


def peak_growth_mb(run) -> float:
    """How far above its resident size before the run the process peaked during `run()`, in MB."""
    ctypes.CDLL("libc.so.6").malloc_trim(0)  # memory freed earlier goes back to the system, so reuse shows as growth
    Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current resident size
    before = _status_kb("VmRSS")
    run()
    return (_status_kb("VmHWM") - before) / 1024


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
            files = {name: tempfile.TemporaryFile() for name in ("xml", "json", "csv")}

            def written(name, write, text=False):
                def run():
                    file = files[name]
                    file.seek(0)
                    file.truncate()
                    if text:
                        stream = io.TextIOWrapper(file, encoding="utf-8", newline="")
                        write(stream)
                        stream.detach()
                    else:
                        write(file)
                return run

            runs = (
                ("IATI activities (XML)", written("xml", lambda out: write_activities(programme, out))),
                ("360Giving package (JSON)", written("json", lambda out: write_grants_package(programme, out), True)),
                ("360Giving spreadsheet (CSV)", written("csv", lambda out: write_grants_csv(programme, out), True)),
            )
            for name, run in runs:
                self.stdout.write(f"{name}: peak {peak_growth_mb(run):.1f} MB above the resident size before")
            time_runs(self.stdout, runs)
            sizes = {name: file.tell() / 1e6 for name, file in files.items()}
            files["xml"].seek(0)
            document = etree.parse(files["xml"]).getroot()  # parsed here, after the memory was measured
            self.stdout.write(
                f"IATI file {sizes['xml']:.1f} MB: {len(document)} activities, "
                f"{len(document.findall('.//transaction'))} transactions; "
                f"360Giving JSON {sizes['json']:.1f} MB, CSV {sizes['csv']:.1f} MB"
            )
            for file in files.values():
                file.close()
            if schema is not None:
                started = time.perf_counter()
                valid = schema.validate(document)
                self.stdout.write(
                    f"IATI schema validation: {'valid' if valid else 'INVALID'} in {(time.perf_counter() - started) * 1000:.0f} ms"
                    + ("" if valid else f" - {schema.error_log.last_error}")
                )
