"""The top navigation: which areas a member sees and which one the page is in."""

from __future__ import annotations

import pytest


def current(response) -> list[str]:
    return [area["label"] for area in response.context["nav_areas"] if area["current"]]


@pytest.mark.parametrize(("path", "expected"), [
    ("/", ["Dashboard"]),
    ("/audit/", ["Audit log"]),
    ("/audit/?outcome=ok", ["Audit log"]),
    ("/account/password/", []),
])
def test_it_marks_the_area_the_page_is_in(client, administrator, path, expected):
    client.force_login(administrator)
    response = client.get(path)
    assert response.status_code == 200
    assert current(response) == expected


def test_it_tells_assistive_technology_which_area_is_current(client, administrator):
    client.force_login(administrator)
    body = client.get("/audit/").content.decode()
    assert '<a href="/audit/" aria-current="page">Audit log</a>' in body
    assert body.count('aria-current="page"') == 1


def test_it_lists_only_the_areas_the_member_may_open(client, backoffice):
    client.force_login(backoffice)
    labels = [area["label"] for area in client.get("/").context["nav_areas"]]
    assert labels == ["Dashboard", "Clients", "Accounts", "Money", "Trading", "Groups", "Symbols"]
