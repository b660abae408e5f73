"""Every read method against the simulator, with the entity fields checked."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from crmportal.omtrader.entities import (
    Client,
    Commission,
    Deal,
    Group,
    GroupSymbol,
    Order,
    Page,
    Position,
    Symbol,
    TradingAccount,
    Transaction,
)
from crmportal.omtrader.enums import EnumValue
from crmportal.omtrader.errors import NotFound, Rejected

pytestmark = pytest.mark.timeout(60)


def test_it_lists_clients_as_a_page(omt):
    page = omt.list_clients(page=2, limit=7, sort_by="id", direction="DESC")
    assert isinstance(page, Page) and len(page) == 7
    assert page.page == 2 and page.limit == 7 and page.total >= 500 and page.has_next
    ids = [c.id for c in page]
    assert ids == sorted(ids, reverse=True)
    client = page.items[0]
    assert isinstance(client, Client) and client.first_name and "@" in client.email
    assert isinstance(client.type, EnumValue) and client.type.label
    assert client.kyc_status in (None, 0, 1)
    assert client.created_at.tzinfo is not None


def test_it_gets_a_client_with_its_accounts(omt):
    client = omt.get_client(1)
    assert client.id == 1 and client.name
    assert client.status.label and client.document_type.label
    assert client.birth_date.year > 1900
    assert client.accounts and all(isinstance(a, TradingAccount) for a in client.accounts)
    account = client.accounts[0]
    assert account.client_id == 1 and account.currency == "USD"
    assert account.balance == account.balance.quantize(Decimal("0.01"))
    assert account.liquidation_status.label in ("Healthy", "Margin call reached",
                                                 "Margin stop out reached")


def test_it_raises_not_found_for_a_missing_client(omt):
    with pytest.raises(NotFound) as caught:
        omt.get_client(987654)
    assert caught.value.status == 404


def test_it_lists_and_gets_accounts(omt):
    client = omt.get_client(2)
    page = omt.list_accounts(client_id=2)
    assert sorted(a.id for a in page) == sorted(a.id for a in client.accounts)
    in_group = omt.list_accounts(group_id=6, limit=20)
    assert in_group.items and all(a.group_id == 6 for a in in_group)
    account = omt.get_account(page.items[0].id)
    assert account.user.first_name == client.first_name
    assert account.username and account.holder_name
    assert account.trade_type.label in ("Normal", "Demo")
    assert isinstance(account.equity, Decimal) and account.currency_digits == 2


def test_it_lists_groups_flat_and_as_a_tree(omt):
    groups = omt.list_groups()
    assert len(groups) == len({g.id for g in groups}) >= 10
    assert all(isinstance(g, Group) and g.children == () for g in groups)
    by_id = {g.id: g for g in groups}
    assert by_id[1].is_root and by_id[4].parent_id == 2 and by_id[4].name == "Demo USD"
    assert by_id[8].full_stop_out is True and by_id[8].margin_call == Decimal("120.0")
    assert by_id[10].group_type.label == "Admin group"
    [root] = omt.group_tree()
    assert {c.name for c in root.children} == {"Demo", "Live", "Dealers"}
    group = omt.get_group(7)
    assert group.name == "Live Pro" and group.margin_mode.label == "Percentage"


def test_it_lists_a_groups_commissions_with_tiers(omt):
    commissions = omt.list_commissions(7)
    assert commissions and all(isinstance(c, Commission) and c.group_id == 7 for c in commissions)
    tiered = next(c for c in commissions if len(c.tiers) == 2)
    assert tiered.tiers[0].value == Decimal("3.5") and tiered.tiers[0].range_to == 10


def test_it_lists_and_gets_symbols_and_group_symbols(omt):
    symbols = omt.list_symbols()
    assert len(symbols) >= 20 and all(isinstance(s, Symbol) for s in symbols)
    eurusd = next(s for s in symbols if s.symbol == "EURUSD")
    assert eurusd.digits == 5 and eurusd.calculation.label == "Forex"
    assert [o.code for o in eurusd.orders] == list(range(7))
    assert omt.get_symbol(eurusd.id).isin == eurusd.isin
    rows = omt.list_group_symbols(4)
    assert rows and all(isinstance(r, GroupSymbol) and r.group_id == 4 for r in rows)
    assert rows[0].symbol and rows[0].trade_level.label


def test_it_lists_and_gets_orders_and_order_history(omt):
    active = omt.list_orders(limit=5)
    assert active.items and all(isinstance(o, Order) for o in active)
    order = omt.get_order(active.items[0].id)
    assert order.id == active.items[0].id and order.type.label and order.side.label
    assert order.price_order == order.price_order.quantize(Decimal(1).scaleb(-order.digits))
    history = omt.order_history(limit=5, account_id=order.account_id)
    assert all(o.account_id == order.account_id for o in history)
    assert all(o.status.label != "Placed" for o in history)


def test_it_lists_and_gets_positions_and_position_history(omt):
    accounts = [p.account_id for p in omt.list_positions(limit=20)][:3]
    page = omt.list_positions(account_id=accounts, limit=100)
    assert page.items and {p.account_id for p in page} <= set(accounts)
    position = omt.get_position(page.items[0].id)
    assert isinstance(position, Position) and position.status.label == "Open position"
    assert position.side.label in ("Buy", "Sell") and position.exit_level is not None
    history = omt.position_history(account_id=accounts[0], limit=10)
    assert all(p.status.label == "Closed position" for p in history)


def test_it_lists_deals_filtered_by_accounts_and_dates_and_gets_one(omt):
    since = datetime.now(UTC) - timedelta(days=60)
    accounts = sorted({d.account_id for d in omt.list_deals(limit=50)})[:4]
    page = omt.list_deals(account_id=accounts, date_from=since, limit=50,
                          sort_by="created_at", direction="DESC")
    assert page.items
    assert all(d.account_id in accounts and d.created_at >= since for d in page)
    stamps = [d.created_at for d in page]
    assert stamps == sorted(stamps, reverse=True)
    deal = omt.get_deal(page.items[0].id)
    assert isinstance(deal, Deal) and deal.direction.label in ("In", "Out")
    assert deal.channel.label and deal.reason.label


def test_it_lists_an_accounts_transactions(omt):
    page = omt.list_transactions(1, limit=10)
    assert page.items and all(isinstance(t, Transaction) for t in page)
    first = page.items[0]
    assert first.type == "deposit" and first.label == "Deposit" and first.amount > 0
    later = omt.list_transactions(1, date_from=first.created_at + timedelta(seconds=1))
    assert first.id not in [t.id for t in later]


def test_it_iterates_every_page(omt):
    ids = [c.id for c in omt.iter_all(omt.list_clients, limit=150)]
    assert len(ids) == len(set(ids)) >= 500


def test_it_reports_an_unknown_sort_field_on_the_field(omt):
    with pytest.raises(Rejected) as caught:
        omt.list_clients(sort_by="shoe_size")
    assert "sort_by" in caught.value.field_errors


def test_it_takes_dates_as_whole_days_in_the_active_time_zone(omt):
    tokyo = zoneinfo.ZoneInfo("Asia/Tokyo")
    account_id = omt.list_deals(limit=1, sort_by="created_at").items[0].account_id
    history = list(omt.iter_all(omt.list_deals, account_id=account_id))
    day = history[len(history) // 2].created_at.astimezone(tokyo).date()
    with timezone.override(tokyo):
        page = omt.list_deals(account_id=account_id, date_from=day, date_to=day, limit=1000)
    expected = {d.id for d in history if d.created_at.astimezone(tokyo).date() == day}
    assert expected and {d.id for d in page} == expected
    with pytest.raises(ValueError):
        omt.list_deals(date_from="last tuesday")
