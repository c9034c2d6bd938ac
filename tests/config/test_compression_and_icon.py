"""Pages travel compressed (with Django's BREACH padding) and the site has an icon, not a 404 page."""
import gzip

import pytest

pytestmark = pytest.mark.django_db


def test_pages_are_gzipped_for_browsers_that_accept_it(client):
    plain = client.get("/calls/")
    packed = client.get("/calls/", HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert "Content-Encoding" not in plain
    assert packed["Content-Encoding"] == "gzip" and "Accept-Encoding" in packed["Vary"]
    assert gzip.decompress(packed.content).decode().count("<html") == 1
    assert len(packed.content) < len(plain.content) / 2


def test_the_icon_is_linked_and_favicon_ico_leads_to_it(client):
    assert 'rel="icon" href="/static/favicon.svg"' in client.get("/").content.decode()
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"] == "/static/favicon.svg"
