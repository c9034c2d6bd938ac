"""Exports made by the job runner and kept until the data change (`core.generated`), seen through the envelope status
report and the open-data files."""
from datetime import date

import pytest
from django.test import override_settings
from django.utils.module_loading import autodiscover_modules

from audit.services import audit_record
from config.celery import app as celery_app
from core import generated
from core.models import GeneratedFile
from disbursements.models import Tranche
from disbursements.services import payment_record

from ..factories import CallFactory
from ..grant_helpers import signed_grant


@pytest.fixture
def grant(programme, finance):
    grant = signed_grant(call=CallFactory(programme=programme, reference="C7"), amount="100000.00", reference="G-77")
    tranche = Tranche.objects.filter(grant=grant).order_by("number").first()
    payment_record(actor=finance, tranche=tranche, amount="80000.00", value_date=date(2026, 1, 15), bank_reference="BANK-77")
    return grant


@pytest.fixture
def calls(monkeypatch):
    """How many times each generator ran."""
    counts = {}
    autodiscover_modules("tasks")
    for name, function in list(generated.GENERATORS.items()):
        def counted(key, name=name, function=function):
            counts[name] = counts.get(name, 0) + 1
            return function(key)
        monkeypatch.setitem(generated.GENERATORS, name, counted)
    return counts


def test_a_file_is_made_once_and_served_again_until_the_data_change(client, grant, finance, calls):
    client.force_login(finance)
    first = client.get("/envelope/status.pdf")
    content = first.getvalue()  # a streamed response can be read once
    assert first.status_code == 200 and content.startswith(b"%PDF")
    assert first["Cache-Control"] == "private, no-store" and first["Content-Disposition"].startswith("attachment;")
    again = client.get("/envelope/status.pdf")
    assert again.getvalue() == content and calls == {"envelope-status-pdf": 1}
    assert GeneratedFile.objects.filter(name="envelope-status-pdf").count() == 1

    audit_record(actor=finance, verb="test.changed", target=grant)  # any change moves the data version
    client.get("/envelope/status.pdf")
    assert calls == {"envelope-status-pdf": 2}
    row = GeneratedFile.objects.get(name="envelope-status-pdf")  # the older file is gone with its row
    assert row.file.storage.exists(row.file.name)


def test_each_language_has_its_own_file(client, grant, finance, calls):
    client.force_login(finance)
    client.get("/envelope/status.pdf?lang=fr")
    client.get("/envelope/status.pdf?lang=ar")
    client.get("/envelope/status.pdf?lang=fr")
    assert calls == {"envelope-status-pdf": 2}
    assert sorted(GeneratedFile.objects.values_list("key", flat=True)) == [f"{grant.call.programme.code}|ar", f"{grant.call.programme.code}|fr"]


@pytest.fixture
def workers_elsewhere():
    """A broker with nobody consuming it here: jobs are queued, as in production, instead of run at once."""
    celery_app.conf.update(task_always_eager=False)
    yield
    celery_app.conf.update(task_always_eager=True)


def test_with_workers_the_person_waits_on_a_page_that_reloads(client, grant, finance, workers_elsewhere, calls):
    client.force_login(finance)
    waiting = client.get("/envelope/status.csv")
    assert waiting.status_code == 202 and calls == {}
    body = waiting.content.decode()
    assert '<meta http-equiv="refresh" content="3">' in body and "Your file is being prepared" in body
    assert client.get("/envelope/status.csv").status_code == 202  # queued once, not on every reload
    assert GeneratedFile.objects.get().status == GeneratedFile.Status.PENDING

    generated.generated_file_make(GeneratedFile.objects.get().pk)  # what the worker does
    ready = client.get("/envelope/status.csv")
    assert ready.status_code == 200 and b"G-77" in ready.getvalue()


def test_a_failing_generator_is_reported_and_tried_again(client, grant, finance, monkeypatch):
    def broken(key):
        raise RuntimeError("disk full")

    monkeypatch.setitem(generated.GENERATORS, "envelope-status-csv", broken)
    client.force_login(finance)
    response = client.get("/envelope/status.csv")
    assert response.status_code == 503 and "could not be prepared" in response.content.decode()
    assert "disk full" in GeneratedFile.objects.get().error
    monkeypatch.undo()
    assert client.get("/envelope/status.csv").status_code == 200


def test_a_refusal_is_shown_on_the_page_that_asked(client, programme, officer):
    programme.agency_iati_ref, programme.donor_iati_ref, programme.giving_prefix = "XM-DAC-41128", "XI-IATI-EC_INTPA", "360G-test"
    programme.save()
    client.force_login(officer)
    response = client.get(f"/open-data/{programme.code}/360giving.json")  # no grant yet
    assert response.status_code == 409 and "has no awarded grant to publish yet" in response.content.decode()


@override_settings(STORAGES={"default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
                             "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}})
def test_files_go_to_the_configured_storage(client, grant, finance):
    client.force_login(finance)
    assert client.get("/envelope/status.csv").status_code == 200
    row = GeneratedFile.objects.get()
    storage = row.file.storage._wrapped  # default_storage, resolved from the setting
    assert type(storage).__name__ == "InMemoryStorage" and storage.exists(row.file.name)
    assert row.file.name.startswith("generated/")
