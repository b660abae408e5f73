"""Errors met by htmx requests (a filter, a page link, a form) land in the page's alert region."""

from __future__ import annotations

from django.urls import reverse

URL = reverse("clients-list-clients")
HTMX = {"HTTP_HX_REQUEST": "true"}


def assert_in_alerts(response) -> str:
    body = response.content.decode()
    assert response["HX-Retarget"] == "#alerts"
    assert response["HX-Reswap"] == "innerHTML"
    assert response["HX-Push-Url"] == "false"  # the address keeps the filters that worked
    assert "<html" not in body and 'role="alert"' in body
    return body


def test_it_sends_omtrader_unavailable_on_a_filter_change_to_the_alert_region(
        as_user, client, knobs, no_index):
    as_user("backoffice")
    knobs.control(error_rate=1, error_status=503)
    response = client.get(URL, {"status": "7"}, **HTMX)
    assert response.status_code == 503
    body = assert_in_alerts(response)
    assert "OMTrader is not answering" in body
    assert 'href="/clients/?status=7"' in body  # try again: the page with the new filter


def test_it_offers_the_page_again_when_a_form_post_met_omtrader_unavailable(
        as_user, client, knobs, seeded):
    as_user("compliance")
    knobs.control(error_rate=1, error_status=503)
    url = reverse("kyc-approve-client", args=[seeded[0].id])
    response = client.post(url, **HTMX, HTTP_HX_CURRENT_URL="http://testserver/kyc/?view=waiting")
    assert response.status_code == 503
    assert 'href="/kyc/?view=waiting"' in assert_in_alerts(response)


def test_it_sends_a_refusal_to_the_alert_region(as_user, client):
    as_user("roleless")
    response = client.get(URL, {"q": "x"}, **HTMX)
    assert response.status_code == 403
    assert "You do not have access to this" in assert_in_alerts(response)


def test_it_sends_not_found_to_the_alert_region(as_user, client):
    as_user("backoffice")
    response = client.get("/no-such-page/", **HTMX)
    assert response.status_code == 404
    assert "Not found" in assert_in_alerts(response)


def test_it_answers_a_whole_page_without_htmx_and_on_a_history_restore(as_user, client):
    as_user("roleless")
    for headers in ({}, {**HTMX, "HTTP_HX_HISTORY_RESTORE_REQUEST": "true"}):
        response = client.get(URL, **headers)
        assert response.status_code == 403
        assert "HX-Retarget" not in response
        assert "<html" in response.content.decode() and 'id="alerts"' in response.content.decode()
