"""The headers of every page (tests/page_catalogue.py), each fetched as the demo account that sees it: a
Content-Security-Policy without inline script or style, Permissions-Policy, nosniff, the referrer policy, and
nothing a signed-in person sees kept by a cache. The pages' markup holds no inline script, style or event handler
either, so the policy blocks nothing they need (tests/browser/test_security_headers.py loads some in Chromium)."""
import os
import subprocess
import sys

import pytest
from django.test import Client
from lxml import html

from accounts.models import User
from core.headers import CLEAR_SITE_DATA, SIGN_IN_PAGES

from ..page_catalogue import CSO1, DOWNLOADS, PAGES, demo_objects, unlisted_url_names
from .test_deploy_settings import DROPPED, ROOT


def directives(policy):
    return {part.split()[0]: part.split()[1:] for part in (p.strip() for p in policy.split(";")) if part}


def header_problems(response, *, signed_in):
    problems = []
    policy = directives(response.get("Content-Security-Policy", ""))
    if not policy:
        problems.append("no Content-Security-Policy")
    for directive in ("script-src", "style-src"):
        if set(policy.get(directive, ["'unsafe-inline'"])) & {"'unsafe-inline'", "'unsafe-eval'"}:
            problems.append(f"{directive} is missing or allows inline code: {policy.get(directive)}")
    if policy.get("frame-ancestors") != ["'none'"] or policy.get("object-src") != ["'none'"]:
        problems.append("the page may be framed or embed plugins")
    if "camera=()" not in response.get("Permissions-Policy", ""):
        problems.append("no Permissions-Policy")
    if response.get("X-Content-Type-Options") != "nosniff":
        problems.append("no X-Content-Type-Options: nosniff")
    if response.get("Referrer-Policy") != "same-origin":
        problems.append("no Referrer-Policy: same-origin")
    cache = {d.strip() for d in response.get("Cache-Control", "").split(",")}
    if "private" not in cache or (signed_in and "no-store" not in cache):
        problems.append(f"Cache-Control {response.get('Cache-Control')!r}")
    return problems


def inline_code(content):
    """Inline scripts, style elements and attributes, event-handler attributes and javascript: links."""
    tree = html.fromstring(content)
    return [html.tostring(e, encoding="unicode")[:80] for e in tree.xpath(
        "//script[not(@src)][not(@type='application/json')] | //style | //*[@style]"
        " | //*[@*[starts-with(name(), 'on')]] | //*[starts-with(normalize-space(@href), 'javascript:')]"
    )]


@pytest.fixture
def clients(demo):
    cache = {}

    def client_for(account):
        if account not in cache:
            cache[account] = Client()
            if account:
                cache[account].force_login(User.objects.get(email=account))
        return cache[account]

    return client_for


def test_every_page_and_download_is_in_the_catalogue():
    assert not unlisted_url_names(), "add them to tests/page_catalogue.py (PAGES, DOWNLOADS or NOT_PAGES)"


def test_every_page_sends_the_security_headers_and_no_inline_code(clients):
    demo = demo_objects()
    problems = []
    for page in PAGES:
        path = page.path(demo)
        response = clients(page.account).get(path)
        if response.status_code != 200:
            problems.append(f"{page} {path}: status {response.status_code}")
            continue
        signed_in = page.account is not None or page.name in SIGN_IN_PAGES
        found = header_problems(response, signed_in=signed_in)
        found += inline_code(response.content)
        problems += [f"{page} {path}: {problem}" for problem in found]
    assert not problems, "\n".join(problems)


def test_every_download_is_never_stored(clients):
    demo = demo_objects()
    problems = []
    for page in DOWNLOADS:
        path = page.path(demo)
        response = clients(page.account).get(path)
        if response.status_code != 200:
            problems.append(f"{page} {path}: status {response.status_code}")
            continue
        problems += [f"{page} {path}: {problem}" for problem in header_problems(response, signed_in=True)]
    assert not problems, "\n".join(problems)


def test_signing_out_clears_the_browsers_copies(clients):
    client = clients(CSO1)
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert response["Clear-Site-Data"] == CLEAR_SITE_DATA
    assert "no-store" in response["Cache-Control"]
    # Only the response that signs out: a visitor's next page does not empty the browser again.
    assert not client.get("/").has_header("Clear-Site-Data")


def test_a_visitors_public_page_is_private_and_checked_again(client, db):
    """The home page and calls carry a CSRF token tied to the visitor's cookie: no shared cache may keep them, and
    the browser asks again before reusing one; they hold nothing else private, so the browser may store them."""
    cache = {d.strip() for d in client.get("/calls/")["Cache-Control"].split(",")}
    assert cache == {"private", "no-cache"}


def test_static_files_keep_their_cache_lifetime(client, db):
    response = client.get("/static/css/app.css")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
    assert not response.has_header("Content-Security-Policy")


def test_api_answers_browsers_in_json(clients):
    """DRF's browsable HTML pages style themselves inline, so the API answers in JSON whatever the browser asks."""
    response = clients(CSO1).get("/api/v1/calls/", HTTP_ACCEPT="text/html,application/xhtml+xml,*/*;q=0.8")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert "no-store" in response["Cache-Control"]


def _policy_headers(**env):
    """The policy headers of a response in a fresh process started with `env`."""
    code = (
        "from django.test import Client; r = Client(HTTP_HOST='localhost').get('/healthz');"
        "print(sorted(h for h in r.headers if h.startswith('Content-Security-Policy')))"
    )
    full_env = {k: v for k, v in os.environ.items() if k not in DROPPED}
    full_env.update(DEBUG="1", DATABASE_URL="sqlite:///:memory:", **env)
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT, env=full_env, capture_output=True, text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_the_policy_is_enforced_unless_report_only_is_asked_for():
    assert _policy_headers() == "['Content-Security-Policy']"
    assert _policy_headers(CSP_REPORT_ONLY="1") == "['Content-Security-Policy-Report-Only']"
