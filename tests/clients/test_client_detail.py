from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from crmportal.clients.fields import MASK
from crmportal.staff.roles import BACK_OFFICE
from tests.clients.conftest import ROLES_WITH_VIEW, form_data


def url(client_id: int) -> str:
    return reverse("clients-show-client", args=[client_id])


def without_tokens(response) -> str:
    """The page with its CSRF tokens (masked afresh on every render) blanked."""
    return re.sub(r'(csrfmiddlewaretoken" value="|X-CSRFToken": ")[^"]+', r"\1",
                  response.content.decode())


def in_group(customer, group_id: int) -> bool:
    return customer.preferred_group == group_id or any(
        a.group_id == group_id for a in customer.accounts)


@pytest.fixture(scope="module")
def trader(seeded):
    """A seeded client with accounts, open positions likely, and documents on file."""
    return max(seeded, key=lambda c: len(c.accounts))


def test_it_sends_anonymous_users_to_sign_in(client, trader):
    response = client.get(url(trader.id))
    assert response.status_code == 302 and response["Location"].startswith("/login/")


@pytest.mark.parametrize("role", ROLES_WITH_VIEW)
def test_it_shows_the_client_to_every_role_that_may_view_clients(as_user, client, trader, role):
    as_user(role)
    response = client.get(url(trader.id))
    assert response.status_code == 200
    assert f"{trader.first_name}" in response.content.decode()


def test_it_refuses_a_member_without_a_role(as_user, client, trader):
    as_user("roleless")
    assert client.get(url(trader.id)).status_code == 403


def test_it_answers_a_client_outside_the_members_groups_like_a_missing_one(client, make_staff,
                                                                          seeded):
    member = make_staff("limited", BACK_OFFICE, [9])
    outsider = next(c for c in seeded if not in_group(c, 9))
    client.force_login(member)
    response = client.get(url(outsider.id))
    missing = client.get(url(99_999_999))
    assert response.status_code == missing.status_code == 404
    assert without_tokens(response) == without_tokens(missing)


def test_it_shows_a_client_in_scope_through_one_of_their_accounts(client, make_staff, seeded):
    client.force_login(make_staff("limited", BACK_OFFICE, [9]))
    insider = next(c for c in seeded
                   if c.preferred_group != 9 and any(a.group_id == 9 for a in c.accounts))
    assert client.get(url(insider.id)).status_code == 200


def test_it_answers_404_for_a_client_omtrader_does_not_have(as_user, client):
    as_user("backoffice")
    assert client.get(url(987654)).status_code == 404


def test_it_shows_every_section_with_labels_not_codes(as_user, client, trader):
    as_user("administrator")
    body = client.get(url(trader.id)).content.decode()
    for title in ("Identity", "Contact", "Address", "Documents", "Employment and wealth",
                  "Trading experience", "Marketing", "Relationship"):
        assert f"<h2>{title}</h2>" in body
    assert trader.document_type.label in body and trader.status.label in body
    assert trader.forex_experience.label.replace("–", "–") in body


def test_it_masks_document_number_and_tax_id_for_back_office(as_user, client, trader):
    as_user("backoffice")
    body = client.get(url(trader.id)).content.decode()
    assert trader.document_number not in body and trader.tax_id not in body
    assert body.count(MASK) == 2


@pytest.mark.parametrize("role", ["compliance", "administrator"])
def test_it_shows_them_to_roles_that_may_see_sensitive_data(as_user, client, trader, role):
    as_user(role)
    body = client.get(url(trader.id)).content.decode()
    assert trader.document_number in body and trader.tax_id in body and MASK not in body


def test_it_shows_accounts_with_money_and_groups_positions_and_deals(as_user, client, omt,
                                                                      trader):
    as_user("backoffice")
    body = client.get(url(trader.id)).content.decode()
    for account in trader.accounts:
        assert f'<td class="num"><a href="/accounts/{account.id}/">{account.id}</a></td>' in body
    assert "Live " in body or "Demo " in body
    positions = omt.list_positions(account_id=[a.id for a in trader.accounts], limit=1000)
    assert f"Open positions <span class=\"muted\">({len(positions.items)})" in body
    assert 'id="client-deals"' in body and "No deals yet" not in body


def test_it_shows_dates_in_the_staff_members_time_zone(client, make_staff, trader):
    client.force_login(make_staff("tokyo", BACK_OFFICE, time_zone="Asia/Tokyo"))
    body = client.get(url(trader.id)).content.decode()
    tokyo = trader.created_at.astimezone(ZoneInfo("Asia/Tokyo"))
    assert f"created {tokyo:%Y-%m-%d %H:%M}" in body


def test_it_renders_markup_in_names_as_text(as_user, client, make_client, writes):
    as_user("backoffice")
    evil = make_client(first_name="<script>alert(1)</script>", family_name="=cmd|' /C calc'!A0")
    body = client.get(url(evil.id)).content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_it_shows_the_kyc_state_and_the_audit_trail(as_user, client, make_client, writes):
    as_user("administrator")
    customer = make_client()
    client.post(reverse("clients-edit-client", args=[customer.id]),
                {**form_data(client, customer.id), "city": "Valletta"})
    body = client.get(url(customer.id)).content.decode()
    assert "KYC: Pending" in body
    assert "client.update" in body and "Valletta" in body


def test_it_leaves_a_place_for_the_live_positions_panel(as_user, client, trader):
    as_user("backoffice")
    body = client.get(url(trader.id)).content.decode()
    ids = ",".join(str(a.id) for a in sorted(trader.accounts, key=lambda a: a.id))
    assert f'id="client-positions" data-client-id="{trader.id}" data-account-ids="{ids}"' in body


def test_it_asks_omtrader_for_everything_at_once(as_user, client, trader, knobs):
    as_user("backoffice")
    client.get(url(trader.id))  # warm: login, groups, symbols, the client's account ids
    knobs.control(latency_ms=150)
    started = time.monotonic()
    assert client.get(url(trader.id)).status_code == 200
    elapsed = time.monotonic() - started
    # client, accounts, positions, deals and each account's transactions: one after the
    # other that is at least 5 x 150 ms; together about one round trip.
    assert elapsed < 0.6, f"the client page took {elapsed:.2f} s at 150 ms a round trip"


def test_it_refreshes_its_copy_of_the_client_it_shows(as_user, client, omt, trader, writes):
    from crmportal.clients.models import ClientIndex

    as_user("backoffice")
    omt.update_client(trader.id, {"city": "Somewhere Else"})
    client.get(url(trader.id))
    assert ClientIndex.objects.get(pk=trader.id).record["city"] == "Somewhere Else"
    assert datetime.now(UTC) > ClientIndex.objects.get(pk=trader.id).synced_at



@pytest.mark.parametrize("path", ["/clients/99999999999999999999999/",
                                  "/clients/99999999999999999999999/edit/",
                                  "/clients/99999999999999999999999/delete/",
                                  "/kyc/99999999999999999999999/"])
def test_it_answers_404_for_ids_no_database_could_hold(as_user, client, path):
    as_user("administrator")
    assert client.get(path).status_code == 404


def test_it_shows_omtraders_refusal_of_a_read_with_its_message(as_user, client, trader, knobs):
    as_user("backoffice")
    knobs.fault(method="GET", path="/api/v1/manager/clients/{id}", status=400)
    response = client.get(url(trader.id))
    assert response.status_code == 502
    body = response.content.decode()
    assert "OMTrader refused this request" in body and "injected fault" in body
    knobs.fault(method="GET", path="/api/v1/manager/clients/{id}", status=422)
    panel = client.get(url(trader.id), headers={"HX-Request": "true"})
    assert panel.status_code == 502 and "<html" not in panel.content.decode()


def test_it_shows_money_with_the_currencys_digits(as_user, client, seeded):
    as_user("backoffice")
    with_money = next(c for c in seeded if c.accounts)
    page = client.get(url(with_money.id))
    body = page.content.decode()
    for account, _ in page.context["accounts"]:
        digits = account.currency_digits if account.currency_digits is not None else 2
        assert f"{account.balance:,.{digits}f}" in body
    for tx, digits in page.context["transactions"]:
        assert f"{tx.amount:,.{digits if digits is not None else 2}f}" in body


def test_it_says_omtrader_refused_the_portals_account_on_a_403(as_user, client, trader, knobs):
    as_user("backoffice")
    knobs.fault(method="GET", path="/api/v1/manager/clients/{id}", status=403)
    response = client.get(url(trader.id))
    assert response.status_code == 502
    assert "OMTrader refused the portal&#x27;s account" in response.content.decode()


def test_it_shows_what_it_could_load_when_one_panel_fails(as_user, client, trader, knobs,
                                                          settings):
    as_user("backoffice")
    knobs.fault(method="GET", path="/api/v1/manager/deals", status=500,
                count=1 + settings.OMTRADER_RETRIES)  # the read and every retry
    response = client.get(url(trader.id))
    assert response.status_code == 200
    assert response.context["deals"] == [] and response.context["accounts"]
    notice = response.context["deals_error"]
    assert notice == ("Recent deals could not be loaded: OMTrader answered with an error "
                      "(HTTP 500). Reload the page to try again.")
    body = response.content.decode()
    assert notice in body and 'id="client-deals-error"' in body
    assert "positions_error" not in response.context and "transactions_error" not in \
        response.context


def test_it_answers_at_least_99_of_100_loads_with_a_fifth_of_upstream_calls_failing(
        as_user, client, trader, knobs):
    as_user("backoffice")
    assert client.get(url(trader.id)).status_code == 200  # the login, groups and symbols held
    knobs.control(error_rate=0.2, error_status=500)
    statuses = [client.get(url(trader.id)).status_code for _ in range(100)]
    knobs.control(error_rate=0)
    assert statuses.count(200) >= 99, statuses
