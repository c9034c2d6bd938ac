"""A call's public texts in several languages: officers give them, visitors read theirs or the call's own."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditEvent
from core.errors import DomainError
from grants.models import CallText
from grants.services import call_text_set, call_text_remove
from tests.factories import CallFactory

pytestmark = pytest.mark.django_db


def page(client, call, language):
    url = reverse("call_detail", args=[call.programme.code, call.reference])
    return client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()


@pytest.fixture
def call(programme):
    return CallFactory(programme=programme, title="Direct assistance to victims", description="Grants to CSOs.",
                       eligibility="Registered CSOs only.")


def test_officer_gives_the_texts_in_french_and_corrects_them(call, officer):
    call_text_set(actor=officer, call=call, language="fr", title="Assistance directe aux victimes",
                  description="Subventions aux OSC.", eligibility="OSC enregistrées seulement.")
    call_text_set(actor=officer, call=call, language="fr", title="Assistance directe aux victimes de la traite",
                  description="Subventions aux OSC.", eligibility="OSC enregistrées seulement.")
    text = CallText.objects.get(call=call, language="fr")
    assert text.title == "Assistance directe aux victimes de la traite"
    events = list(AuditEvent.objects.filter(verb="call.text_set").order_by("pk").values_list("data", flat=True))
    assert events == [{"language": "fr", "fields": ["description", "eligibility", "title"]}, {"language": "fr", "fields": ["title"]}]


def test_saving_the_same_texts_again_changes_and_records_nothing(call, officer):
    for _ in range(2):
        call_text_set(actor=officer, call=call, language="es", title="Asistencia directa")
    assert AuditEvent.objects.filter(verb="call.text_set").count() == 1


@pytest.mark.parametrize("fields, field", [
    ({"language": "en", "title": "Again"}, "language"),  # the call's main language
    ({"language": "xx", "title": "Nope"}, "language"),
    ({"language": "fr", "title": "   "}, "title"),
])
def test_refusals_name_their_field_and_save_nothing(call, officer, fields, field):
    with pytest.raises(DomainError) as refused:
        call_text_set(actor=officer, call=call, **fields)
    assert refused.value.field == field and not CallText.objects.exists()


def test_removing_a_language_is_audited(call, officer):
    text = call_text_set(actor=officer, call=call, language="ar", title="المساعدة المباشرة")
    call_text_remove(actor=officer, text=text)
    assert not CallText.objects.exists()
    assert AuditEvent.objects.filter(verb="call.text_remove", data__language="ar").exists()


def test_visitors_read_their_language_where_it_exists(client, call, officer):
    call_text_set(actor=officer, call=call, language="fr", title="Assistance directe aux victimes",
                  description="Subventions aux OSC.", eligibility="OSC enregistrées seulement.")
    french = page(client, call, "fr")
    assert "Assistance directe aux victimes" in french and "OSC enregistrées seulement." in french
    assert "Direct assistance to victims" not in french and "pas été publié dans votre langue" not in french
    english = page(client, call, "en")
    assert "Direct assistance to victims" in english


def test_other_visitors_read_the_main_language_with_a_note(client, call, officer):
    call_text_set(actor=officer, call=call, language="fr", title="Assistance directe aux victimes")
    russian = page(client, call, "ru")
    assert "Direct assistance to victims" in russian and 'lang="en"' in russian
    assert "не опубликован на вашем языке" in russian and "язык его текстов: английский" in russian.lower()


def test_arabic_texts_are_marked_right_to_left_on_an_english_page(client, call, officer):
    call_text_set(actor=officer, call=call, language="ar", title="المساعدة المباشرة للضحايا")
    call.language = "ar"  # a call written first in Arabic, read by an English visitor without an English text
    call.title = "المساعدة المباشرة للضحايا"
    call.save(update_fields=["language", "title"])
    CallText.objects.all().delete()
    english = page(client, call, "en")
    assert '<h1 lang="ar" dir="rtl">المساعدة المباشرة للضحايا</h1>' in english


def test_call_list_shows_titles_in_the_visitors_language_in_constant_queries(client, programme, officer):
    def count_queries():
        with CaptureQueriesContext(connection) as captured:
            body = client.get("/calls/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
        return len(captured), body

    first = CallFactory(programme=programme, title="English title")
    call_text_set(actor=officer, call=first, language="fr", title="Titre en français")
    few, body = count_queries()
    assert "Titre en français" in body and "English title" not in body
    for n in range(8):
        other = CallFactory(programme=programme)
        call_text_set(actor=officer, call=other, language="fr", title=f"Appel {n}")
    many, body = count_queries()
    assert many == few and "Appel 7" in body
