"""The deadline surge's pieces, cheaply (the surge itself is `make surge`, docs/DEPLOY.md): the seed for three
accounts, the applicant's journey through the real pages of a live server, and the verifier, which passes on what
the journeys did and fails when an upload, a reference or an e-mail goes missing."""
import io

import pytest
import requests
from pypdf import PdfReader

from applications.models import Application, Attachment
from core.errors import DomainError
from core.models import OutboxMessage
from surge.journey import Form, Journey, make_pdf
from surge.seed import seed
from surge.verify import verify
from tests.factories import UserFactory


class _Client(requests.Session):
    """locust's HttpSession API (`name=`, paths relative to the host) on a plain requests session."""

    def __init__(self, base_url):
        super().__init__()
        self.base_url = base_url

    def request(self, method, url, name=None, **kwargs):
        return super().request(method, self.base_url + url, **kwargs)


def test_three_applicants_submit_and_the_verifier_finds_everything_then_what_goes_missing(live_server, transactional_db):
    plan = seed(accounts=3, closes_in=3600, password="surge-test-password-1")
    journal = []

    def record(event, **data):
        journal.append({"event": event, **data})

    references = [
        Journey(
            _Client(live_server.url), email=email, password=plan["password"], apply_path=plan["apply_path"],
            record=record, pause=lambda low, high: None,
        ).run()
        for email in plan["accounts"]
    ]
    assert [r.rsplit("-", 1)[1] for r in references] == ["0001", "0002", "0003"]
    report = verify(call_id=plan["call_id"], journal=journal)
    assert report["ok"], report["problems"]
    assert report["acknowledged_submissions"] == report["submitted_in_database"] == 3
    assert report["reference_numbers"] == "1..3"
    assert report["emails_sent"] == 3
    assert report["uploads_acknowledged"] == report["attachment_rows"] == report["uploads_verified"] == 9
    assert report["problems"] == {}

    # The verifier can fail: a file gone from the storage, a reference changed, an e-mail not sent.
    attachment = Attachment.objects.filter(application__call_id=plan["call_id"]).first()
    attachment.file.storage.delete(attachment.file.name)
    Application.objects.filter(reference=references[1]).update(reference=references[1][:-4] + "0009")
    OutboxMessage.objects.filter(subject__contains=references[2]).update(sent_at=None)
    report = verify(call_id=plan["call_id"], journal=journal)
    assert not report["ok"]
    assert report["problems"]["lost_uploads"]["count"] == 1
    assert report["problems"]["lost_submissions"]["count"] == 1
    assert report["problems"]["reference_numbers"]["count"] == 1
    assert report["problems"]["emails_unsent"]["count"] == 1


def test_the_documents_are_valid_pdfs_that_differ_per_save():
    first, second = make_pdf("cso0001@surge.test", 1), make_pdf("cso0001@surge.test", 2)
    assert first != second and first == make_pdf("cso0001@surge.test", 1)
    text = PdfReader(io.BytesIO(first)).pages[0].extract_text()
    assert "Supporting document 1 of cso0001@surge.test" in text


def test_the_form_reader_sends_what_a_browser_sends():
    form = Form(
        '<form id="f"><input name="a" value="1"><input type="checkbox" name="c" value="x" checked>'
        '<input type="checkbox" name="c" value="y"><select name="s"><option value="">-</option><option value="2" selected>'
        '</option></select><textarea name="t">\nhello</textarea><input type="file" name="f"><button name="action" value="save">'
        "</button></form>",
        form_id="f",
    )
    assert form.fields == [("a", "1"), ("c", "x"), ("s", "2"), ("t", "hello")]
    assert form.checkboxes == {"c": ["x", "y"]}


def test_the_seed_refuses_a_database_with_other_people(db):
    UserFactory(email="someone@example.org")
    with pytest.raises(DomainError):
        seed(accounts=1, closes_in=60)
