"""A Content Security Policy on every response, and templates that need no exception to it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import include, path

from tests.support.staff import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "connect-src": "'self'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
    "base-uri": "'none'",
    "object-src": "'none'",
}


def boom(request):
    raise RuntimeError("a bug in a view")


# This module doubles as a URL conf: the portal's pages plus one that fails.
urlpatterns = [path("boom/", boom), path("", include("crmportal.urls"))]
handler403 = "crmportal.views.permission_denied"
handler404 = "crmportal.views.page_not_found"
handler500 = "crmportal.views.server_error"


def policy_of(response) -> dict[str, str]:
    header = response.headers.get("Content-Security-Policy")
    assert header, f"no policy on {response.status_code} {response.request['PATH_INFO']}"
    parts = (part.strip().split(None, 1) for part in header.split(";") if part.strip())
    return {part[0]: part[1] if len(part) > 1 else "" for part in parts}


@pytest.mark.django_db
def test_it_sends_the_policy_to_anonymous_visitors(client):
    for url, status in [("/login/", 200), ("/healthz", 200), ("/", 302), ("/nowhere/", 404)]:
        response = client.get(url)
        assert response.status_code == status, url
        assert policy_of(response) == POLICY, url


@pytest.mark.django_db
def test_it_sends_the_policy_on_pages_refusals_and_not_found(client, administrator, backoffice):
    client.login(username=administrator.username, password=PASSWORD)
    for url, status in [("/", 200), ("/audit/", 200), ("/nowhere/", 404)]:
        response = client.get(url)
        assert response.status_code == status, url
        assert policy_of(response) == POLICY, url
    refused = Client()
    refused.login(username=backoffice.username, password=PASSWORD)
    response = refused.get("/audit/")
    assert response.status_code == 403 and policy_of(response) == POLICY


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_it_sends_the_policy_on_the_error_page_which_needs_no_inline_style(administrator):
    client = Client(raise_request_exception=False)
    client.login(username=administrator.username, password=PASSWORD)
    response = client.get("/boom/")
    assert response.status_code == 500
    assert policy_of(response) == POLICY
    html = response.content.decode()
    assert "<style" not in html and "style=" not in html
    assert 'rel="stylesheet" href="/static/css/error.css"' in html


INLINE = {
    "inline script": re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.I),
    "inline style element": re.compile(r"<style\b", re.I),
    "style attribute": re.compile(r"\sstyle\s*=", re.I),
    "event handler attribute": re.compile(r"\son[a-z]+\s*=", re.I),
    "hx-on handler": re.compile(r"\shx-on", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
}


def test_it_keeps_every_template_free_of_inline_code_and_styles():
    found = []
    for template in sorted((ROOT / "templates").rglob("*.html")):
        text = re.sub(r"\{#.*?#\}", "", template.read_text())
        for what, pattern in INLINE.items():
            for match in pattern.finditer(text):
                found.append(f"{template.relative_to(ROOT)}: {what}: {match.group(0)!r}")
    assert found == []


def test_it_asks_htmx_for_no_injected_styles_and_no_eval(client):
    html = client.get("/login/").content.decode()
    config = re.search(r'<meta name="htmx-config" content=\'([^\']*)\'>', html)
    assert config, "no htmx-config meta tag"
    assert html.index('name="htmx-config"') < html.index("htmx-2")
    import json

    settings = json.loads(config.group(1))
    assert {key: settings[key] for key in ("includeIndicatorStyles", "allowEval",
                                           "allowScriptTags")} == {
        "includeIndicatorStyles": False, "allowEval": False, "allowScriptTags": False}
