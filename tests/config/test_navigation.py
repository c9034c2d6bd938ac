"""The header: one navigation landmark; a role's main tasks shown directly, the rest under a menu that works without
JavaScript; the current page marked; the name links to the account page, which links the API tokens."""
import re

import pytest
from django.utils import timezone

from accounts import roles as R

from ..conftest import make_user


def _header(client, path="/"):
    body = client.get(path).content.decode()
    return body, body[body.index('<header class="site-header">'):body.index("</header>")]


def _main_links(header):
    main = header[header.index('<ul class="nav-main'):]
    return re.findall(r'<li><a href="([^"]+)"', main[:main.index("</ul>")])


@pytest.mark.parametrize("role, main", [
    (R.PROGRAMME_OFFICER, ["/screening/", "/grants/", "/reports/", "/envelope/"]),
    (R.FINANCE_OFFICER, ["/payments/", "/grants/", "/envelope/", "/fx-rates/"]),
    (R.DONOR_OBSERVER, ["/envelope/", "/grants/", "/open-data/"]),
    (R.APPLICANT, ["/applications/", "/my/grants/", "/calls/"]),
])
def test_main_tasks_are_shown_directly_and_the_rest_under_the_menu(client, db, role, main):
    client.force_login(make_user(role, email_verified_at=timezone.now()))
    _body, header = _header(client)
    assert header.count('<nav class="main-nav" aria-label="Main">') == 1
    assert _main_links(header)[:len(main)] == main
    assert '<details class="nav-menu">' in header and "<summary>" in header  # no script needed to open it
    assert 'href="/account/"' in header and "data-sign-out" in header
    assert "api-tokens" not in header


def test_current_page_is_marked(client, officer):
    client.force_login(officer)
    _body, header = _header(client, "/envelope/dashboard/")
    current = re.findall(r'<a href="([^"]+)" aria-current="page"', header)
    assert set(current) == {"/envelope/"}  # in the main tasks, and its copy in the phone menu


def test_api_tokens_are_reached_from_the_account_page(client, officer, cso_user):
    for person in (officer, cso_user):
        client.force_login(person)
        assert "api-tokens" not in _header(client)[1]
        assert 'href="/account/api-tokens/"' in client.get("/account/").content.decode()


def test_visitors_see_the_calls_and_sign_in(client, db):
    _body, header = _header(client, "/calls/")
    assert _main_links(header) == ["/calls/"] and "nav-menu" not in header
    assert 'href="/accounts/login/"' in header
