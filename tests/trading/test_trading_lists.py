"""The five trading lists: who sees them, what each filter returns (checked against the
simulator's own records), totals over every page, and bad input."""

from __future__ import annotations

import re
import zoneinfo
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from crmportal.accounts.actions import do_update_account
from crmportal.omtrader.client import get_omtrader
from crmportal.paging import DEFAULT_PAGE_SIZE
from crmportal.staff.roles import SUPERVISOR
from tests.trading.conftest import ROLES_WITH_VIEW
from tests.trading.helpers import dec, every_row, footer

LISTS = ("trading-list-positions", "trading-list-orders", "trading-list-position-history",
         "trading-list-order-history", "trading-list-deals")


@pytest.mark.parametrize("role", ROLES_WITH_VIEW)
@pytest.mark.parametrize("url_name", LISTS)
def test_each_role_with_view_trading_sees_each_list(client, as_user, role, url_name):
    as_user(role)
    response = client.get(reverse(url_name))
    assert response.status_code == 200
    assert b'id="trading-table"' in response.content


@pytest.mark.parametrize("url_name", LISTS)
def test_a_member_without_a_role_is_refused(client, as_user, url_name):
    as_user("roleless")
    assert client.get(reverse(url_name)).status_code == 403


def test_the_navigation_has_trading_for_roles_that_view_it(client, as_user):
    as_user("supervisor")
    assert b'href="/trading/"' in client.get(reverse("home")).content
    page = client.get(reverse("trading-list-deals")).content.decode()
    assert '<a href="/trading/" aria-current="page">Trading</a>' in page
    assert client.get("/trading/").url == reverse("trading-list-positions")
    client.logout()
    as_user("roleless")
    assert b'href="/trading/"' not in client.get(reverse("home")).content
    assert client.get("/trading/").status_code == 403


def _groups_of(wire) -> dict[int, int]:
    return {a["id"]: a["group_id"] for a in wire("accounts")}


def test_a_group_limited_member_sees_only_trading_of_their_groups(client, make_staff, wire):
    groups = _groups_of(wire)
    client.force_login(make_staff("lim", SUPERVISOR, group_ids=[6]))
    shown = every_row(client, "trading-list-positions")
    expected = {p["id"] for p in wire("positions") if groups[p["account_id"]] == 6}
    assert {p.id for p in shown} == expected and expected
    other = next(a for a, g in groups.items() if g == 7)
    for query in ("group=7", f"account={other}", "group=7&account=" + str(other)):
        response = client.get(f"{reverse('trading-list-deals')}?{query}")
        assert response.status_code == 200
        assert response.context["page"].paginator.count == 0
        assert any("in your groups" in n for n in response.context["notices"])


def test_an_account_moved_out_of_a_member_s_groups_leaves_their_lists_at_once(
        client, make_staff, wire, administrator):
    """The lists' account directory is kept a minute; a move made through the portal drops it,
    so scope follows at the next page, not a minute later."""
    groups = _groups_of(wire)
    account = next(p["account_id"] for p in wire("positions") if groups[p["account_id"]] == 6)
    client.force_login(make_staff("lim", SUPERVISOR, group_ids=[6]))
    url = f"{reverse('trading-list-positions')}?account={account}"
    assert client.get(url).context["page"].paginator.count > 0
    omt = get_omtrader()
    do_update_account(omt.get_account(account), {"group_id": 7}, actor=administrator)
    try:
        assert client.get(url).context["page"].paginator.count == 0
    finally:
        do_update_account(omt.get_account(account), {"group_id": 6}, actor=administrator)
    assert client.get(url).context["page"].paginator.count > 0


def test_a_member_with_no_groups_sees_nothing(client, make_staff):
    client.force_login(make_staff("none", SUPERVISOR, group_ids=[]))
    response = client.get(reverse("trading-list-deals"))
    assert response.context["page"].paginator.count == 0


def test_deals_filtered_by_symbol_side_and_loss_are_exactly_the_matching_deals(
        client, as_user, wire):
    as_user("administrator")
    deals = wire("deals")
    symbol = next(d["symbol_id"] for d in deals if d["side"] == 1 and d["profit"] < 0)
    code = {s["id"]: s["symbol"] for s in wire("symbols")}[symbol]
    expected = {d["id"] for d in deals
                if d["symbol_id"] == symbol and d["side"] == 1 and d["profit"] < 0}
    shown = every_row(client, "trading-list-deals", f"symbol={code.lower()}&side=1&pl=loss")
    assert {d.id for d in shown} == expected


def test_deals_of_a_client_by_volume_range(client, as_user, wire):
    as_user("administrator")
    accounts = wire("accounts")
    client_id = next(a["client_id"] for a in accounts if a["id"] == wire("deals")[0]["account_id"])
    mine = {a["id"] for a in accounts if a["client_id"] == client_id}
    expected = {d["id"] for d in wire("deals")
                if d["account_id"] in mine and 0.01 <= d["volume"] <= 1}
    shown = every_row(client, "trading-list-deals", f"client={client_id}&vol_min=0.01&vol_max=1")
    assert {d.id for d in shown} == expected


def test_position_history_by_group_and_close_date(client, as_user, wire):
    as_user("administrator")
    groups = _groups_of(wire)
    closed = wire("positions/history")
    last = max(datetime.fromisoformat(p["updated_at"]) for p in closed).date()
    start = last - timedelta(days=60)
    expected = {p["id"] for p in closed if groups[p["account_id"]] == 8
                and start <= datetime.fromisoformat(p["updated_at"]).astimezone(UTC).date()
                <= last}
    shown = every_row(client, "trading-list-position-history",
                      f"group=8&from={start}&to={last}")
    assert {p.id for p in shown} == expected and expected


def test_order_history_by_type_and_reason(client, as_user, wire):
    as_user("administrator")
    done = wire("orders/history")
    kind = next(o["type"] for o in done if o["type"] != 0)
    expected = {o["id"] for o in done if o["type"] == kind and o["reason"] == 0}
    shown = every_row(client, "trading-list-order-history", f"type={kind}&reason=0")
    assert {o.id for o in shown} == expected


def test_pending_orders_by_placed_date(client, as_user, wire):
    as_user("administrator")
    today = date.today()
    expected = {o["id"] for o in wire("orders")
                if datetime.fromisoformat(o["time_setup"]).astimezone(UTC).date() == today}
    shown = every_row(client, "trading-list-orders", f"from={today}&to={today}")
    assert {o.id for o in shown} == expected


def test_a_day_is_the_members_own_day_on_a_list_omtrader_filters(client, make_staff, wire):
    zone = zoneinfo.ZoneInfo("Pacific/Kiritimati")  # UTC+14: most of its day is another UTC day
    client.force_login(make_staff("kiri", "Administrator", time_zone="Pacific/Kiritimati"))
    deals = wire("deals")
    day = max(datetime.fromisoformat(d["created_at"]) for d in deals).astimezone(zone).date()
    day -= timedelta(days=3)
    expected = {d["id"] for d in deals
                if datetime.fromisoformat(d["created_at"]).astimezone(zone).date() == day}
    response = client.get(reverse("trading-list-deals") + f"?from={day}&to={day}")
    assert response.context["totals_url"]  # OMTrader answers this one: an exact list
    shown = every_row(client, "trading-list-deals", f"from={day}&to={day}")
    assert {d.id for d in shown} == expected and expected
    assert footer(client, "trading-list-deals", f"from={day}&to={day}")["count"] == len(expected)


def test_the_page_size_control_shows_the_size_shown(client, as_user):
    as_user("administrator")
    cases = (("", DEFAULT_PAGE_SIZE), ("?size=200", 200), ("?size=7", DEFAULT_PAGE_SIZE))
    for query, size in cases:
        html = client.get(reverse("trading-list-deals") + query).content.decode()
        assert re.findall(r'<option value="(\d+)" selected>', html.split('name="size"')[1]
                          .split("</select>")[0]) == [str(size)]


def test_sorting_follows_the_column(client, as_user):
    as_user("administrator")
    response = client.get(reverse("trading-list-positions") + "?sort=-profit&size=200")
    profits = [row.item.profit for row in response.context["page"].rows]
    assert profits == sorted(profits, reverse=True) and len(profits) > 1


def test_totals_are_the_sum_over_every_page_per_currency(client, as_user, wire):
    as_user("administrator")
    query = "group=6"
    rows = every_row(client, "trading-list-deals", query)
    assert len(rows) > 200  # more than one page
    totals = footer(client, "trading-list-deals", query)
    currency = {a["id"]: a["currency"] for a in wire("accounts")}
    expected = defaultdict(lambda: defaultdict(Decimal))
    for d in wire("deals"):
        if _groups_of(wire)[d["account_id"]] == 6:
            sums = expected[currency[d["account_id"]]]
            for label, field in (("P/L", "profit"), ("Commission", "commission"),
                                 ("Swap", "swap"), ("Volume", "volume")):
                sums[label] = sums[label] + dec(d[field])
    assert totals["count"] == len(rows)
    for ccy, sums in expected.items():
        for label, value in sums.items():
            assert totals[ccy][label] == value, (ccy, label)


def test_totals_of_a_filter_the_portal_applies(client, as_user):
    as_user("administrator")
    rows = every_row(client, "trading-list-position-history", "side=0&pl=profit")
    totals = footer(client, "trading-list-position-history", "side=0&pl=profit")
    assert totals["count"] == len(rows)
    assert sum(v["P/L"] for k, v in totals.items() if k != "count") == sum(r.profit for r in rows)


BAD = [
    ("from=01/02/2025", "is not a date"),
    ("from=2025-03-01&to=2025-01-01", "reversed"),
    ("from=2015-01-01&to=2025-01-01", "at most 366 days"),
    ("from=2015-01-01", "at most 366 days"),
    ("to=9999-12-31", "outside the years"),
    ("from=0001-01-01&to=2025-01-01", "outside the years"),
    ("symbol=NOPE", "no symbol"),
    ("side=9", "not one of the choices"),
    ("reason=abc", "not one of the choices"),
    ("type=77", "not one of the choices"),
    ("sort=password", "cannot be sorted"),
    ("page=1000000000", "no page"),
    ("page=-3", "does not exist"),
    ("size=100000", "not offered"),
    ("vol_min=lots", "not a number"),
    ("pl=maybe", "not a choice"),
    ("account=1e9", "not a number"),
]


@pytest.mark.parametrize(("query", "words"), BAD)
@pytest.mark.parametrize("url_name", ["trading-list-deals", "trading-list-order-history",
                                      "trading-list-position-history"])
def test_bad_input_is_corrected_with_a_notice(client, as_user, url_name, query, words):
    as_user("administrator")
    response = client.get(f"{reverse(url_name)}?{query}")
    assert response.status_code == 200
    notices = " ".join(response.context["notices"])
    if url_name == "trading-list-order-history" and query.startswith("pl="):
        words = "has no P/L"
    if query.startswith("type=") and url_name != "trading-list-order-history":
        return  # only orders have a type filter: elsewhere the value is simply not read
    assert words in notices


def test_htmx_gets_the_table_and_the_corrected_address(client, as_user):
    as_user("administrator")
    response = client.get(reverse("trading-list-deals") + "?sort=nope&side=1",
                          HTTP_HX_REQUEST="true")
    assert response.content.lstrip().startswith(b'<section id="trading-table"')
    assert response["HX-Replace-Url"] == reverse("trading-list-deals") + "?side=1"


def test_an_account_opened_after_the_directory_was_read_is_found(client, as_user, omt, wire):
    as_user("administrator")
    client.get(reverse("trading-list-deals"))  # the account directory is cached now
    owner = wire("accounts")[0]
    account = omt.create_account({"client_id": owner["client_id"], "group_id": 6})
    omt.transfer_money(account.id, "deposit", "250.00", comment="first")
    response = client.get(f"{reverse('trading-list-deals')}?account={account.id}")
    assert [row.item.account_id for row in response.context["page"].rows] == [account.id]
    assert not response.context["notices"]


def test_position_history_by_open_date(client, as_user, wire):
    as_user("administrator")
    closed = wire("positions/history")
    last = max(datetime.fromisoformat(p["created_at"]) for p in closed).date()
    start = last - timedelta(days=30)
    expected = {p["id"] for p in closed
                if start <= datetime.fromisoformat(p["created_at"]).astimezone(UTC).date() <= last}
    shown = every_row(client, "trading-list-position-history",
                      f"date_on=opened&from={start}&to={last}")
    assert {p.id for p in shown} == expected and expected
    response = client.get(reverse("trading-list-deals") + "?date_on=opened")
    assert any("not a choice" in n for n in response.context["notices"])
