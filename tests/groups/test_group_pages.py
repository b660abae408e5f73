"""The group tree and a group's page: who may see them, what they show, and the own /
inherited marking against the simulator's group tree."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from crmportal.staff.roles import ADMINISTRATOR, SUPERVISOR

pytestmark = pytest.mark.usefixtures("writes")


@pytest.mark.parametrize("role,status", [
    ("backoffice", 200), ("compliance", 200), ("supervisor", 200), ("administrator", 200),
    ("roleless", 403)])
def test_every_role_reads_groups_and_a_member_without_one_is_refused(as_user, client, role,
                                                                       status):
    as_user(role)
    assert client.get(reverse("groups-list-groups")).status_code == status
    assert client.get(reverse("groups-show-group", args=[6])).status_code == status


def test_anonymous_visitors_are_sent_to_sign_in(client):
    assert client.get(reverse("groups-list-groups")).status_code == 302


def test_the_tree_shows_roots_children_and_their_figures(as_user, client, omt):
    as_user("administrator")
    page = client.get(reverse("groups-list-groups"))
    rows = re.findall(r'<tr id="group-(\d+)" data-depth="(\d)">', page.content.decode())
    assert rows == [("1", "0"), ("2", "1"), ("4", "2"), ("5", "2"), ("3", "1"), ("6", "2"),
                    ("7", "2"), ("8", "2"), ("9", "2"), ("10", "1")]
    figures = {row.group.id: row.figures for row in page.context["rows"]}
    accounts = list(omt.iter_all(omt.list_accounts, group_id=7))
    positions = [p for p in omt.iter_all(omt.list_positions)
                 if p.account_id in {a.id for a in accounts}]
    assert figures[7].accounts == len(accounts) > 0
    assert figures[7].positions == len(positions)
    assert figures[7].balance == sum((a.balance for a in accounts), Decimal(0))
    assert figures[1].accounts == 0  # the root holds no accounts itself
    text = page.content.decode()
    assert "Live VIP" in text and "1:300" in text and "120 %" in text


def requests_made(simulator, load) -> dict[str, int]:
    before = simulator.counters()["requests"]
    load()
    after = simulator.counters()["requests"]
    return {k: after[k] - before.get(k, 0) for k in after if after[k] != before.get(k, 0)}


def test_the_tree_reads_accounts_and_positions_once_each_together(as_user, client, simulator,
                                                                  settings):
    settings.GROUP_FIGURES_MAX_AGE = 0
    as_user("administrator")
    client.get(reverse("groups-list-groups"))  # groups now cached
    grown = requests_made(simulator, lambda: client.get(reverse("groups-list-groups")))
    assert grown == {"GET /api/v1/manager/accounts": 1, "GET /api/v1/manager/positions": 1}


def test_the_tree_keeps_its_figures_briefly_and_drops_them_on_a_group_change(
        as_user, client, simulator, omt):
    user = as_user("administrator")
    client.get(reverse("groups-list-groups"))
    assert requests_made(simulator, lambda: client.get(reverse("groups-list-groups"))) == {}
    from crmportal.groups.actions import do_update_group

    do_update_group(omt.get_group(9), {"limit_orders": 201}, actor=user)
    grown = requests_made(simulator, lambda: client.get(reverse("groups-list-groups")))
    assert grown["GET /api/v1/manager/accounts"] == 1


def test_a_member_limited_to_groups_sees_only_those(client, make_staff):
    client.force_login(make_staff("limited", SUPERVISOR, [6, 7]))
    page = client.get(reverse("groups-list-groups"))
    assert [row.group.id for row in page.context["rows"]] == [6, 7]
    assert [row.depth for row in page.context["rows"]] == [0, 0]
    assert client.get(reverse("groups-show-group", args=[8])).status_code == 404
    assert client.get(reverse("groups-show-group", args=[999])).status_code == 404
    assert client.get(reverse("groups-show-group", args=[6])).status_code == 200


def test_a_member_without_any_group_sees_an_empty_tree(client, make_staff):
    client.force_login(make_staff("none", ADMINISTRATOR, []))
    page = client.get(reverse("groups-list-groups"))
    assert page.context["rows"] == [] and "your scope holds none" in page.content.decode()


def origins(page) -> dict[str, str]:
    return dict(re.findall(r'<tr id="setting-(\w+)" data-origin="(\w+)"', page.content.decode()))


def test_settings_a_group_leaves_empty_are_inherited_from_the_group_that_sets_them(
        as_user, client, omt):
    as_user("administrator")
    omt.update_group(1, {"limit_orders": 300, "limit_symbols": 40})
    omt.update_group(6, {"limit_orders": None, "limit_symbols": None})
    omt.update_group(3, {"limit_symbols": None})
    page = client.get(reverse("groups-show-group", args=[6]))
    marks = origins(page)
    assert marks["limit_orders"] == "inherited" and marks["limit_symbols"] == "inherited"
    assert marks["margin_call"] == "own" and marks["default_leverage"] == "own"
    settings = {row.setting.name: row for row in page.context["settings"]}
    # Live (3) still sets its own 200 orders: the nearest group that sets it wins.
    assert settings["limit_orders"].effective == 200 and settings["limit_orders"].source.id == 3
    # Nobody between sets the symbols limit: the root's 40.
    assert settings["limit_symbols"].effective == 40 and settings["limit_symbols"].source.id == 1
    assert settings["limit_history"].effective is None  # nobody sets it: unlimited
    assert settings["limit_history"].effective_text == "unlimited"
    text = page.content.decode()
    assert re.search(r'id="setting-limit_symbols".*?inherited</span> from <a href="/groups/1/">'
                     r'Root</a>', text, re.S)
    root = origins(client.get(reverse("groups-show-group", args=[1])))
    assert root["limit_orders"] == "own" and root["limit_history"] == "inherited"


def test_the_group_page_lists_its_accounts_commissions_and_symbols(as_user, client, omt):
    as_user("compliance")
    page = client.get(reverse("groups-show-group", args=[7]))
    text = page.content.decode()
    accounts = list(omt.iter_all(omt.list_accounts, group_id=7))
    assert page.context["accounts"].paginator.count == len(accounts)
    first = page.context["accounts"].object_list[0][0]
    assert f'href="/clients/{first.client_id}/"' in text
    assert "Pro FX per lot" in text and "3.50 USD per lot for 0–10 lots" in text
    assert "EURUSD" in text and "Edit group" not in text  # compliance reads only


def test_the_accounts_panel_filters_through_htmx(as_user, client, omt):
    as_user("administrator")
    account = next(iter(omt.iter_all(omt.list_accounts, group_id=7)))
    url = reverse("groups-show-group", args=[7])
    partial = client.get(url, {"panel": "accounts", "q": str(account.id)},
                         HTTP_HX_REQUEST="true")
    text = partial.content.decode()
    assert "<html" not in text and f'id="account-{account.id}"' in text
    nonsense = client.get(url, {"panel": "accounts", "state": "zzz"}, HTTP_HX_REQUEST="true")
    assert "There is no state “zzz”" in nonsense.content.decode()
