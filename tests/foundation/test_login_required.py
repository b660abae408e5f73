"""Every page needs a signed-in staff member: walk the URL conf so new pages are covered."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

PUBLIC = {"login", "healthz"}


def _patterns(resolver, prefix=""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from _patterns(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield entry.name, prefix + str(entry.pattern)


def _concrete(route: str) -> str:
    """Fill <int:x>, <str:x> and friends with plausible values."""
    import re

    route = re.sub(r"<int:[^>]+>", "1", route)
    route = re.sub(r"<(?:str|slug):[^>]+>", "x", route)
    route = re.sub(r"<uuid:[^>]+>", "00000000-0000-0000-0000-000000000000", route)
    route = re.sub(r"<path:[^>]+>", "x", route)
    route = re.sub(r"<[^>]+>", "x", route)
    return "/" + route.lstrip("^").rstrip("$")


ROUTES = [(name, _concrete(route)) for name, route in _patterns(get_resolver())]


def test_it_finds_the_routes():
    names = {name for name, _ in ROUTES}
    assert {"home", "login", "healthz", "audit-list-entries"} <= names


@pytest.mark.django_db
@pytest.mark.parametrize("name,url", [r for r in ROUTES if r[0] not in PUBLIC])
@pytest.mark.parametrize("method", ["get", "post"])
def test_it_sends_anonymous_users_to_login(client, name, url, method):
    response = getattr(client, method)(url)
    assert response.status_code == 302, f"{name} {url} answered {response.status_code}"
    assert response["Location"].startswith("/login/")


@pytest.mark.django_db
def test_it_serves_the_login_page_to_anonymous_users(client):
    response = client.get("/login/")
    assert response.status_code == 200
    assert b"Sign in to CRM Portal" in response.content


@pytest.mark.django_db
def test_it_answers_healthz_without_login(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
