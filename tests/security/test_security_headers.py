"""Content-Security-Policy and HTTPS headers.

The console runs no inline script: its templates hold none (no <script> without src, no
on* handler attributes, no javascript: URLs), and the policy would refuse one anyway.
"""

import re
from pathlib import Path

import pytest
from django.test import Client

from tests.security.conftest import LOGIN, SETUP

ROOT = Path(__file__).resolve().parents[2]
CONSOLE_TEMPLATES = ROOT / "backend" / "console" / "templates"


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def assert_strict_scripts(directives):
    assert directives["script-src"] == ["'self'"]
    assert "'unsafe-inline'" not in directives.get("default-src", [])
    assert "'unsafe-eval'" not in directives["script-src"]


@pytest.fixture
def console(member) -> Client:
    client = Client()
    client.force_login(member)
    return client


@pytest.mark.parametrize("url", ["/", "/patients/", "/reports/utilization/", SETUP])
def test_console_pages_allow_no_inline_script_or_style(console, url):
    response = console.get(url)
    directives = policy(response)

    assert response.status_code in (200, 403)
    assert_strict_scripts(directives)
    assert directives["style-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["form-action"] == ["'self'"]
    assert directives["base-uri"] == ["'self'"]


def test_the_login_pages_carry_the_policy_too(client, db):
    for url in (LOGIN, "/accounts/login/verify/"):
        response = client.get(url, follow=True)
        assert_strict_scripts(policy(response))
        assert policy(response)["style-src"] == ["'self'"]


def test_the_api_docs_may_use_inline_styles_but_no_inline_script(console):
    page = console.get("/api/docs/")
    script = console.get("/api/docs/?script")

    assert page.status_code == 200
    assert_strict_scripts(policy(page))
    assert policy(page)["style-src"] == ["'self'", "'unsafe-inline'"]
    # Its start-up script is a file of its own, not inline.
    assert re.search(r"<script>\s*\S", page.content.decode()) is None
    assert script["Content-Type"].startswith("application/javascript")


@pytest.mark.parametrize("url", ["/ride/no-such-token/", "/feeds/no-such-token/"])
def test_public_pages_allow_no_inline_script_or_style(client, db, url):
    # The ride pages load their stylesheet; the feed subscribe page sets a stricter policy
    # of its own (tests/scheduling/feeds/test_feeds_subscribe_page.py).
    directives = policy(client.get(url))

    assert_strict_scripts(directives)
    assert directives["style-src"] == ["'self'"]


def test_console_templates_hold_no_inline_script():
    offenders = []
    for template in CONSOLE_TEMPLATES.rglob("*.html"):
        text = template.read_text()
        for tag in re.findall(r"<script\b[^>]*>", text, re.I):
            if "src=" not in tag:
                offenders.append(f"{template.name}: {tag}")
        for handler in re.findall(r"\son[a-z]+\s*=", text, re.I):
            offenders.append(f"{template.name}: {handler.strip()}")
        if re.search(r"javascript:", text, re.I):
            offenders.append(f"{template.name}: javascript: URL")
        if re.search(r"\sstyle\s*=", text, re.I):
            offenders.append(f"{template.name}: style attribute")
    assert offenders == []


def test_hsts_and_https_come_from_the_environment(client, db, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True

    response = client.get(LOGIN, secure=True)

    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"


def test_plain_http_is_redirected_when_ssl_redirect_is_on(client, db, settings):
    settings.SECURE_SSL_REDIRECT = True

    response = client.get(LOGIN)

    assert response.status_code == 301
    assert response["Location"] == f"https://testserver{LOGIN}"
