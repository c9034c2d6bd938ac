"""The open-data files are written as streams: the IATI writer's memory and queries grow with batches of grants,
not with grants; the streamed 360Giving package is the package `json.dumps` would write; the job runner stores
the files from temporary files."""
import io
import json
import random
import tracemalloc
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.generated import generated_file_make
from core.models import GeneratedFile
from disbursements.synthetic import synthetic_programme
from grants.models import Grant
from opendata import iati
from opendata.threesixty import grants_package, write_grants_package

from ..factories import CallFactory, EnvelopeFactory
from .iati_helpers import assert_valid, paid_grant, parse
from .test_360giving import hand_built  # noqa: F401 - fixture

TODAY = date(2026, 11, 22)


class _Sink(io.RawIOBase):
    """A binary stream that keeps only the number of bytes written to it."""

    size = 0

    def writable(self):
        return True

    def write(self, data):
        self.size += len(data)
        return len(data)


def _peak_bytes(programme):
    sink = _Sink()
    tracemalloc.start()
    try:
        iati.write_activities(programme, sink)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_iati_writer_memory_does_not_grow_with_grants(db, monkeypatch):
    programme, _reader = synthetic_programme(200, 2000, 2, random.Random(7))
    monkeypatch.setattr(iati, "GRANT_BATCH", 25)
    everything = iati.published_grants
    first_fifty = list(everything(programme).order_by("reference").values_list("pk", flat=True)[:50])
    assert everything(programme).count() == 200
    many = _peak_bytes(programme)
    monkeypatch.setattr(iati, "published_grants", lambda p: everything(p).filter(pk__in=first_fifty))
    few = _peak_bytes(programme)
    # Four times the grants: only the parent activity's list of children (about 100 bytes a grant) may grow.
    assert many - few < 150 * 1024, (few, many)


@pytest.fixture
def iati_programme(db):
    return EnvelopeFactory(programme__code="GLOACT", programme__start_date=date(2025, 1, 1),
                           programme__end_date=date(2029, 12, 31)).programme


@pytest.mark.parametrize(("grants", "batches"), [(1, 1), (2, 1), (3, 2), (5, 3)])
def test_iati_queries_grow_with_batches_not_grants(iati_programme, organisation, officer, finance, cso_user,
                                                     monkeypatch, grants, batches):
    monkeypatch.setattr(iati, "GRANT_BATCH", 2)
    for _ in range(grants):
        paid_grant(call=CallFactory(programme=iati_programme), organisation=organisation, officer=officer,
                   finance=finance, writer=cso_user)
    with CaptureQueriesContext(connection) as ctx:
        xml = iati.activities_xml(iati_programme)
    # the envelope, the parent's rows, the grants (streamed), then five queries of records per batch
    assert len(ctx.captured_queries) == 3 + 5 * batches
    root = parse(xml)
    assert_valid(root)
    assert len(root) == 1 + grants


def test_streamed_package_is_what_json_dumps_writes(programme, hand_built):  # noqa: F811
    Grant.objects.filter(pk=hand_built["paid"].pk).update(title="Refuges à Katmandou “sûrs”")
    url = "https://example.org/360giving.json"
    out = io.StringIO()
    count = write_grants_package(programme, out, today=TODAY, source_url=url)
    package = grants_package(programme, today=TODAY, source_url=url)
    assert out.getvalue() == json.dumps(package, ensure_ascii=False, indent=2)
    assert count == len(package["grants"]) == 5
    assert "à Katmandou" in out.getvalue()


@pytest.mark.parametrize("name", ["iati-activities", "360giving-json", "360giving-csv"])
def test_job_stores_the_streamed_file(iati_programme, organisation, officer, finance, cso_user, name):
    iati_programme.giving_prefix = "360G-test"
    iati_programme.save(update_fields=["giving_prefix"])
    paid_grant(call=CallFactory(programme=iati_programme), organisation=organisation, officer=officer,
               finance=finance, writer=cso_user)
    row = GeneratedFile.objects.create(name=name, key=iati_programme.code, fingerprint="test")
    generated_file_make(row.pk)
    row.refresh_from_db()
    assert row.status == GeneratedFile.Status.READY, (row.error, row.refusal)
    with row.file.open("rb") as stored:
        content = stored.read()
    if name == "iati-activities":
        assert_valid(parse(content))
    elif name == "360giving-json":
        assert json.loads(content)["grants"][0]["id"].startswith("360G-test-")
    else:
        assert content.decode("utf-8").startswith("Identifier,Title,")
