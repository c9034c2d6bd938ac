"""Malformed input is a 4xx, never a server error: NUL characters anywhere in a request (PostgreSQL cannot hold
them), ids longer than any id column, odd paging and ordering parameters. Run on SQLite and on PostgreSQL."""
import pytest
from django.test import Client
from django.urls import resolve
from lxml import html

from applications.services import application_start
from reports.services import report_open
from tests.grant_helpers import signed_grant

pytestmark = [pytest.mark.django_db]

FORTY_DIGITS = "9" * 40


def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def visitors(administrator, cso_user):
    return [Client(), signed_in(administrator), signed_in(cso_user)]


# --- NUL characters: one guard for every request (core.middleware) -----------------------------------------------

@pytest.mark.parametrize(
    "url",
    [
        "/calls/GLOACT/%00/",
        "/calls/GLOACT/%00/documents/1/",
        "/grants/%00/",
        "/my/grants/%00/",
        "/calls/?q=%00",
        "/calls/?country=%00",
        "/calls/?q%00=1",
        "/audit/?verb=%00",
        "/accounts/login/?next=%00",
    ],
)
def test_a_nul_in_the_address_is_a_400_page(visitors, url):
    for client in visitors:
        response = client.get(url)

        assert response.status_code == 400
        assert response["Content-Type"].startswith("text/html")
        assert "The request could not be read" in response.content.decode()


def test_the_400_page_is_in_the_browsers_language(db):
    response = Client().get("/calls/?q=%00", HTTP_ACCEPT_LANGUAGE="fr")

    assert response.status_code == 400
    assert '<html lang="fr"' in response.content.decode()


@pytest.mark.parametrize(
    "url",
    ["/api/v1/calls/%00/", "/api/v1/grants/%00/", "/api/v1/payments/%00/reverse/", "/api/v1/calls/?country=%00"],
)
def test_a_nul_in_an_api_address_is_a_json_400(finance, url):
    client = signed_in(finance)
    if url.endswith("reverse/"):
        response = client.post(url, {"reason": "x"}, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k")
    else:
        response = client.get(url)

    assert response.status_code == 400
    assert list(response.json()) == ["detail"]


def test_a_nul_in_a_form_field_is_a_400(db):
    response = Client().post("/accounts/login/", {"username": "someone@example.org\x00", "password": "x"})
    assert response.status_code == 400


def test_a_nul_in_a_cookie_is_a_400_before_the_session_is_read(db):
    client = Client()
    client.cookies["sessionid"] = "abc\x00"
    assert client.get("/").status_code == 400
    client = Client(HTTP_COOKIE='sessionid="abc\\000"')  # a quoted cookie value may spell the NUL as an octal escape
    assert client.get("/").status_code == 400


def test_a_nul_in_a_header_is_a_400(finance):
    assert Client().get("/", HTTP_USER_AGENT="bot\x00").status_code == 400
    response = signed_in(finance).post(
        "/api/v1/payments/", {}, content_type="application/json", HTTP_IDEMPOTENCY_KEY="key\x00"
    )
    assert response.status_code == 400


def test_bytes_that_are_not_utf8_are_read_as_replacement_characters(administrator):
    client = signed_in(administrator)
    for url in ["/calls/?q=%FF%FE", "/calls/GLOACT/%FF/", "/api/v1/calls/?country=%C3", "/audit/?verb=%ED%A0%80"]:
        assert client.get(url).status_code in (200, 400, 404)


def test_a_400_raised_by_a_view_gets_the_sites_page(db, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
    response = Client().get("/calls/?" + "&".join(f"f{i}=1" for i in range(10)))

    assert response.status_code == 400
    assert "The request could not be read" in response.content.decode()


# --- ids longer than any id column --------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "url",
    [
        f"/applications/{FORTY_DIGITS}/",
        f"/organisations/{FORTY_DIGITS}/",
        f"/payments/{FORTY_DIGITS}/",
        f"/reports/{FORTY_DIGITS}/versions/{FORTY_DIGITS}/",
        f"/screening/calls/{FORTY_DIGITS}/ranking/",
        f"/calls/{FORTY_DIGITS}/grid/",
        f"/calls/GLOACT/C01/documents/{FORTY_DIGITS}/",
        f"/account/api-tokens/{FORTY_DIGITS}/revoke/",
    ],
)
def test_an_id_longer_than_18_digits_in_an_address_is_not_a_page(administrator, url):
    assert signed_in(administrator).get(url).status_code == 404


def test_ids_of_up_to_18_digits_still_reach_the_views():
    assert resolve(f"/applications/{'9' * 18}/").kwargs == {"pk": 999_999_999_999_999_999}


@pytest.mark.parametrize(
    "url",
    [
        f"/api/v1/calls/{FORTY_DIGITS}/",
        f"/api/v1/tranches/{FORTY_DIGITS}/",
        f"/api/v1/payments/{FORTY_DIGITS}/reverse/",
        "/api/v1/calls/%D9%A1/",  # an Arabic-Indic 1 is not an id
    ],
)
def test_an_overlong_or_non_ascii_id_in_an_api_address_is_a_json_404(finance, call, url):
    client = signed_in(finance)
    if url.endswith("reverse/"):
        response = client.post(url, {"reason": "x"}, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k")
    else:
        response = client.get(url)

    assert response.status_code == 404
    assert list(response.json()) == ["detail"]


def test_an_overlong_id_among_a_forms_choices_is_a_wrong_choice(officer, call):
    response = signed_in(officer).post(
        f"/screening/calls/{call.pk}/panel/", {"action": "members", "members-reviewers": [FORTY_DIGITS]}
    )

    assert response.status_code in (200, 400)
    assert "Select a valid choice" in response.content.decode()


def test_an_overlong_id_among_a_model_forms_choices_is_a_wrong_choice(cso_user, organisation, call):
    client = signed_in(cso_user)
    edit = f"/applications/{application_start(actor=cso_user, call=call, organisation=organisation).pk}/edit/"
    response = client.post(edit, {**form_data(client.get(edit), "action"), "countries": [FORTY_DIGITS]})

    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()


def test_an_overlong_id_in_a_formsets_row_is_a_wrong_value(cso_user, organisation, call):
    client = signed_in(cso_user)
    report = report_open(actor=cso_user, grant=signed_grant(call=call, organisation=organisation), period_number=1)
    data = {**form_data(client.get(f"/reports/{report.pk}/"), "action"), "indicators-TOTAL_FORMS": "1",
            "indicators-0-id": FORTY_DIGITS}

    assert client.post(f"/reports/{report.pk}/", data).status_code == 400


# --- ids in query strings and forms (core.converters.as_id) -------------------------------------------------------

# str.isdigit() is true of both, and int() refuses both: views that checked ids with isdigit() answered 500.
NOT_IDS = ["²", "9" * 5000]


def form_data(response, button):
    """What the page's form holding `button` (a name) would send, as a browser sends it."""
    form = next(f for f in html.fromstring(response.content).forms if f.xpath(f".//button[@name='{button}']"))
    data = {}
    for name, value in form.form_values():
        data.setdefault(name, []).append(value)
    return data


@pytest.mark.parametrize("value", NOT_IDS)
def test_an_id_filter_that_is_no_id_is_ignored(officer, call, value):
    client = signed_in(officer)
    assert client.get("/grants/", {"call": value, "country": value}).status_code == 200
    assert client.get(f"/screening/calls/{call.pk}/", {"objective": value}).status_code == 200


@pytest.mark.parametrize("value", NOT_IDS)
def test_a_review_that_is_no_id_is_not_found(officer, call, value):
    assert signed_in(officer).post(f"/screening/calls/{call.pk}/reviews/", {"review": value}).status_code == 404


def remove_attachment(client, edit, value):
    return client.post(edit, {**form_data(client.get(edit), "action"), "action": f"remove:{value}"})


@pytest.mark.parametrize("value", NOT_IDS)
def test_removing_an_application_attachment_that_is_no_id_removes_nothing(cso_user, organisation, call, value):
    application = application_start(actor=cso_user, call=call, organisation=organisation)
    assert remove_attachment(signed_in(cso_user), f"/applications/{application.pk}/edit/", value).status_code == 302


@pytest.mark.parametrize("value", NOT_IDS)
def test_removing_a_report_attachment_that_is_no_id_removes_nothing(cso_user, organisation, call, value):
    report = report_open(actor=cso_user, grant=signed_grant(call=call, organisation=organisation), period_number=1)
    assert remove_attachment(signed_in(cso_user), f"/reports/{report.pk}/", value).status_code == 302


# --- paging and ordering ------------------------------------------------------------------------------------------

PAGING = {"page": ["99999999999999999999", "-1", "0", "x", "9" * 5000], "page_size": ["-1", "0", "99999999999999999999"],
          "ordering": ["junk", "-", "-pk,,", "grant__organisation__bank_details__iban"]}


def test_odd_paging_and_ordering_never_break_a_list(administrator, finance):
    pages = [signed_in(administrator), ["/audit/", "/grants/", "/fx-rates/", "/diligence/", "/calls/", "/payments/"]]
    api = [signed_in(finance), ["/api/v1/calls/", "/api/v1/payments/", "/api/v1/grants/", "/api/v1/tranches/"]]
    for client, urls in (pages, api):
        for url in urls:
            for name, values in PAGING.items():
                for value in values:
                    status = client.get(url, {name: value}).status_code
                    assert status in (200, 400, 404), (url, name, value, status)


def test_an_overlong_path_is_a_404(db):
    assert Client().get("/calls/GLOACT/" + "C" * 10_000 + "/").status_code == 404
    assert Client().get("/api/v1/grants/" + "G" * 10_000 + "/").status_code in (401, 404)
