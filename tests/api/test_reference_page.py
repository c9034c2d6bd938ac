"""The API reference page (/api/docs/, api/reference.py): every operation of the schema, each with a curl example
that addresses its path; open to visitors; made once per language and kept; schema texts escaped."""
import json
import re
import shlex
from unittest import mock

import pytest
from django.urls import resolve, reverse
from lxml import html

from api import reference

URL = "/api/docs/"


@pytest.fixture
def fresh_reference():
    """No page kept from an earlier test, and none of this test's kept for the next."""
    reference.schema_for.cache_clear()
    reference._html.cache_clear()
    yield
    reference.schema_for.cache_clear()
    reference._html.cache_clear()


def page_tree(response):
    assert response.status_code == 200
    return html.fromstring(response.content)


def curl_words(article):
    """The curl example of an operation as the shell reads it."""
    return shlex.split(article.xpath(".//pre[@class='curl']")[0].text_content().replace("\\\n", " "))


def test_the_page_lists_every_path_of_the_schema_with_its_methods(client, db):
    schema = client.get("/api/schema/?format=json").json()
    tree = page_tree(client.get(URL))

    listed = {
        (article.xpath(".//h3/span[@class='method']")[0].text, article.xpath(".//h3/code")[0].text)
        for article in tree.xpath("//article[contains(@class, 'api-operation')]")
    }
    expected = {(method.upper(), path) for path, item in schema["paths"].items() for method in item}
    assert listed == expected
    # The table of contents links to each operation, grouped by the schema's tags (the resources).
    contents = tree.xpath("//nav[@aria-labelledby='contents-title']//a/@href")
    for item in schema["paths"].values():
        for operation in item.values():
            assert f"#{operation['operationId']}" in contents
            assert tree.get_element_by_id(operation["operationId"]) is not None
    assert {"#tag-calls", "#tag-payments", "#tag-grants"} <= set(contents)


def test_each_curl_example_addresses_its_path(client, db):
    tree = page_tree(client.get(URL))

    for article in tree.xpath("//article[contains(@class, 'api-operation')]"):
        method = article.xpath(".//h3/span[@class='method']")[0].text
        path = article.xpath(".//h3/code")[0].text
        words = curl_words(article)
        assert words[0] == "curl" and "Authorization: Bearer <token>" in words
        assert ("-X" in words) == (method != "GET")
        url = words[-1].split("?")[0]
        assert url == "http://testserver" + re.sub(r"\{(\w+)\}", r"<\1>", path), (method, path)
        # With values in place of the placeholders, the address is one of the API's routes.
        assert resolve(re.sub(r"<\w+>", "7", url.removeprefix("http://testserver"))).route.startswith("api/v1/")

    grant = tree.get_element_by_id("v1_grants_retrieve").getparent()
    assert curl_words(grant)[-1] == "http://testserver/api/v1/grants/<reference>/"
    assert resolve("/api/v1/grants/GLOACT-2026-C01-0001/").url_name == "grant-detail"


def test_a_payment_example_sends_money_as_a_decimal_string_with_an_idempotency_key(client, db):
    words = curl_words(page_tree(client.get(URL)).get_element_by_id("v1_payments_create").getparent())

    assert words[1:3] == ["-X", "POST"]
    assert "Idempotency-Key: <Idempotency-Key>" in words
    body = json.loads(words[words.index("-d") + 1])
    assert body == {"tranche": 1, "amount": "100.00", "value_date": "2026-01-31", "bank_reference": "<bank_reference>"}


def test_operations_show_access_parameters_body_and_responses(client, db):
    tree = page_tree(client.get(URL))
    calls = tree.get_element_by_id("v1_calls_list").getparent().text_content()
    assert "no sign-in: open to everyone" in calls
    assert "page_size" in calls
    payments = tree.get_element_by_id("v1_payments_create").getparent()
    text = payments.text_content()
    assert "no sign-in" not in text and "a personal API token" in text
    assert "PaymentCreateRequest" in text and "bank_reference" in text
    # The answer's fields on the operation (folded), the refusals linked to what each status means.
    assert "recorded_at" in payments.xpath(".//details[@class='api-more']//th/code/text()")
    refusals = payments.xpath(".//a[starts-with(@href, '#status-')]/text()")
    assert refusals == ["400", "401", "403", "404", "422", "429"]
    assert "Idempotency-Key used before" in tree.get_element_by_id("status-422").getnext().text_content()
    # The data types are each described once, and the operations link to them.
    assert payments.xpath(".//a[@href='#type-Payment']")
    assert tree.get_element_by_id("type-Payment") is not None


def test_the_redoc_address_leads_to_the_reference_for_good(client, db):
    response = client.get(reverse("api_redoc"))
    assert response.status_code == 301
    assert response["Location"] == reverse("api_docs") == URL


def test_visitors_read_it_and_are_offered_a_token_only_through_signing_in(client, db):
    tree = page_tree(client.get(URL))
    links = tree.xpath("//main//a/@href")
    assert "/accounts/login/?next=%2Faccount%2Fapi-tokens%2F" in links
    assert reverse("api_tokens") not in links
    assert tree.xpath("//html/@lang") == ["en"]
    assert not tree.xpath("//script"), "the page needs no script"
    # Its only other request is the site's stylesheet.
    assert [href for href in tree.xpath("//link[@rel='stylesheet']/@href")] == ["/static/css/app.css"]


def test_a_signed_in_person_is_pointed_to_their_tokens_page(client, cso_user):
    client.force_login(cso_user)
    links = page_tree(client.get(URL)).xpath("//main//a/@href")
    assert reverse("api_tokens") in links
    assert not [link for link in links if link.startswith("/accounts/login/")]


def test_the_page_is_made_once_per_language_and_kept(client, db, fresh_reference, django_assert_num_queries):
    original = reference.SchemaGenerator.get_schema
    with mock.patch.object(reference.SchemaGenerator, "get_schema", autospec=True, side_effect=original) as generate:
        # A visitor's page costs no query at all, the first time (the schema is generated) as later.
        with django_assert_num_queries(0):
            first = client.get(URL)
            again = client.get(URL)
        assert generate.call_count == 1
        french = client.get(URL, HTTP_ACCEPT_LANGUAGE="fr")
        assert generate.call_count == 2
    assert first.status_code == again.status_code == 200
    assert page_tree(french).xpath("//html/@lang") == ["fr"]


def test_a_signed_in_persons_page_costs_a_fixed_number_of_queries(client, cso_user, django_assert_max_num_queries):
    client.force_login(cso_user)
    client.get(URL)
    with django_assert_max_num_queries(6):
        assert client.get(URL).status_code == 200


def test_schema_texts_are_escaped(client, db, fresh_reference):
    schema = {
        "info": {"title": "<i>API</i>", "version": "1", "description": "<script>alert(1)</script>"},
        "paths": {"/api/v1/things/{id}/": {"get": {
            "operationId": "things_retrieve", "tags": ["<b>things</b>"], "description": "<img src=x onerror=alert(2)>",
            "parameters": [{"in": "path", "name": "id", "required": True, "schema": {"type": "string"},
                            "description": "</td><script>alert(3)</script>"}],
            "security": [{}],
            "responses": {"200": {"description": "<em>fine</em>", "content": {"application/json": {"schema": {
                "type": "object", "properties": {"x'\"<y>": {"type": "string", "description": "<u>field</u>"}}}}}}},
        }}},
    }
    with mock.patch.object(reference, "schema_for", return_value=schema):
        response = client.get(URL)
    content = response.content.decode()
    for raw in ("<i>API</i>", "<script>alert", "<img src=x", "<b>things</b>", "<em>fine</em>", "<u>field</u>", "<y>"):
        assert raw not in content
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content
    tree = page_tree(response)
    assert not tree.xpath("//main//script | //main//img | //main//b | //main//em | //main//u")
