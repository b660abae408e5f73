"""Symbols and group symbols: the list's search and filters, scope, the symbol page, the
inline edit of a group's symbol row and the bulk enable / disable."""

from __future__ import annotations

import time

import pytest
from django.urls import reverse

from crmportal.audit.models import AuditEntry
from crmportal.staff import stepup
from crmportal.staff.roles import ADMINISTRATOR, SUPERVISOR

pytestmark = pytest.mark.usefixtures("writes")
PUT = "PUT /api/v1/manager/group-symbols/{id}"


def puts(simulator) -> int:
    return simulator.counters()["requests"].get(PUT, 0)


def codes(response) -> list[str]:
    return [s.symbol for s in response.context["page"]]


@pytest.mark.parametrize("role,status", [("backoffice", 200), ("compliance", 200),
                                         ("supervisor", 200), ("administrator", 200),
                                         ("roleless", 403)])
def test_every_role_reads_symbols(as_user, client, role, status):
    as_user(role)
    assert client.get(reverse("symbols-list-symbols")).status_code == status
    assert client.get(reverse("symbols-show-symbol", args=[1])).status_code == status
    assert client.get(reverse("groups-list-group-symbols", args=[7])).status_code == status


def test_search_and_filters(as_user, client, omt):
    as_user("supervisor")
    url = reverse("symbols-list-symbols")
    assert codes(client.get(url, {"q": "eurusd"})) == ["EURUSD"]
    eur = codes(client.get(url, {"q": "EUR"}))
    assert "EURUSD" in eur and "EURGBP" in eur
    forex = [s.symbol for s in omt.list_symbols() if s.symbol_class_id == 1]
    assert codes(client.get(url, {"cls": "1", "size": "100"})) == sorted(forex)
    enabled = codes(client.get(url, {"enabled": "yes", "size": "100"}))
    assert len(enabled) == sum(1 for s in omt.list_symbols() if s.enabled)
    page = client.get(url, {"q": "USD"}, HTTP_HX_REQUEST="true")
    assert "<html" not in page.content.decode() and 'id="symbol-table"' in page.content.decode()


def test_nonsense_filters_are_dropped_with_a_notice(as_user, client):
    as_user("supervisor")
    response = client.get(reverse("symbols-list-symbols"), {"cls": "zz", "enabled": "maybe",
                                                            "page": "-4"})
    assert response.status_code == 200
    text = response.content.decode()
    assert "The filter “zz” for class is not offered" in text
    assert "The filter “maybe” for enabled is not offered" in text
    assert response.context["page"].paginator.count == 27


def test_a_member_limited_to_groups_sees_the_symbols_of_those_groups(client, make_staff, omt):
    client.force_login(make_staff("limited", SUPERVISOR, [5]))
    offered = {r.symbol_id for r in omt.list_group_symbols(5)}
    shown = client.get(reverse("symbols-list-symbols"), {"size": "100"})
    assert {s.id for s in shown.context["page"]} == offered
    assert client.get(reverse("symbols-show-symbol", args=[min(offered)])).status_code == 200
    # Dealers (10) offers no symbols: a member limited to it sees none of them.
    client.force_login(make_staff("dealers-only", SUPERVISOR, [10]))
    assert client.get(reverse("symbols-list-symbols")).context["page"].paginator.count == 0
    assert client.get(reverse("symbols-show-symbol", args=[1])).status_code == 404
    assert client.get(reverse("groups-list-group-symbols", args=[7])).status_code == 404


def test_the_symbol_page_shows_every_field(as_user, client, omt):
    as_user("backoffice")
    symbol = omt.get_symbol(1)
    text = client.get(reverse("symbols-show-symbol", args=[1])).content.decode()
    assert symbol.symbol in text and "Contract size" in text and "Swap long" in text
    # What each group in scope makes of it (Live Pro halves the spread in the seed).
    row = next(r for r in omt.list_group_symbols(7) if r.symbol_id == 1)
    assert 'id="offer-7"' in text and 'id="offer-4"' in text and 'id="offer-10"' not in text
    assert f"<td class=\"num\">{row.spread}</td>" in text
    assert client.get(reverse("symbols-show-symbol", args=[9999])).status_code == 404


def row_data(client, group_id, row_id) -> dict:
    form = client.get(reverse("groups-edit-group-symbol", args=[group_id, row_id])
                      ).context["form"]
    data = {}
    for name in form.fields:
        value = form[name].value()
        if isinstance(value, bool):
            if value:
                data[form.add_prefix(name)] = "on"
            continue
        data[form.add_prefix(name)] = "" if value is None else value
    return data


def test_a_row_is_edited_in_place_and_audited(as_user, client, omt, simulator):
    user = as_user("administrator")
    row = omt.list_group_symbols(7)[0]
    url = reverse("groups-edit-group-symbol", args=[7, row.id])
    editor = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in editor and f'name="gs{row.id}-spread"' in editor
    data = {**row_data(client, 7, row.id), f"gs{row.id}-spread": "7"}
    saved = client.post(url, data, HTTP_HX_REQUEST="true")
    text = saved.content.decode()
    assert saved.status_code == 200 and f'<tr id="gs-{row.id}"' in text
    assert f'name="gs{row.id}-' not in text and 'data-field="spread">7<' in text
    assert omt.list_group_symbols(7)[0].spread == 7
    entry = AuditEntry.objects.get(action="group_symbol.update", entity_id=str(row.id))
    assert entry.actor == user and entry.before == {"spread": row.spread}
    assert entry.after == {"spread": 7}


@pytest.mark.parametrize("field,value,message", [
    ("spread", "wide", "Enter a whole number."),
    ("spread", "-3", "greater than or equal to 0"),
    ("margin_initial", "0", "Must be above 0."),
    ("trade_level", "9", "9 is not one of the codes offered"),
    ("commission_id", "999", "999 is not one of the codes offered"),
])
def test_bad_row_input_is_named_and_nothing_is_sent(as_user, client, omt, simulator, field,
                                                    value, message):
    as_user("administrator")
    row = omt.list_group_symbols(7)[1]
    data = {**row_data(client, 7, row.id), f"gs{row.id}-{field}": value}
    before = puts(simulator)
    response = client.post(reverse("groups-edit-group-symbol", args=[7, row.id]), data,
                           HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and message in response.content.decode()
    assert puts(simulator) == before


def test_row_edits_need_the_permission_the_scope_and_a_fresh_confirmation(
        as_user, client, make_staff, omt, simulator):
    row = omt.list_group_symbols(7)[2]
    url = reverse("groups-edit-group-symbol", args=[7, row.id])
    as_user("supervisor")
    assert client.post(url, {f"gs{row.id}-spread": "1"}).status_code == 403
    client.force_login(make_staff("limited", ADMINISTRATOR, [8]))
    assert client.post(url, {f"gs{row.id}-spread": "1"}).status_code == 404
    # A row id of another group is not this group's.
    assert client.get(reverse("groups-edit-group-symbol", args=[8, row.id])).status_code == 404
    as_user("administrator")
    data = row_data(client, 7, row.id)
    session = client.session
    session[stepup.CONFIRMED_AT] = int(time.time()) - 3600
    session.save()
    before = puts(simulator)
    assert client.post(url, {**data, f"gs{row.id}-spread": "1"}).status_code == 403
    assert puts(simulator) == before


def test_bulk_disable_and_enable_a_selection(as_user, client, omt):
    as_user("administrator")
    rows = [r for r in omt.list_group_symbols(8) if r.enabled][:3]
    url = reverse("groups-bulk-group-symbols", args=[8])
    response = client.post(url, {"bulk": "disable", "row": [r.id for r in rows]})
    assert response.status_code == 302
    now = {r.id: r.enabled for r in omt.list_group_symbols(8)}
    assert [now[r.id] for r in rows] == [False, False, False]
    assert AuditEntry.objects.filter(action="group_symbol.update").count() == 3
    page = client.get(response["Location"]).content.decode()
    assert "Disabled: " + ", ".join(r.symbol for r in rows) in page
    client.post(url, {"bulk": "enable", "row": [r.id for r in rows]})
    assert all(r.enabled for r in omt.list_group_symbols(8) if r.id in {x.id for x in rows})
    nothing = client.post(url, {"bulk": "enable"}, follow=True).content.decode()
    assert "Select at least one symbol" in nothing
    # Ids of another group's rows are ignored.
    other = omt.list_group_symbols(7)[0]
    client.post(url, {"bulk": "disable", "row": [other.id]}, follow=True)
    assert next(r for r in omt.list_group_symbols(7) if r.id == other.id).enabled == other.enabled


def test_a_change_to_a_group_symbol_drops_the_cached_symbols(as_user, client, omt):
    as_user("administrator")
    omt.symbols_cached()
    assert omt.cache.get("symbols") is not None
    row = omt.list_group_symbols(6)[0]
    client.post(reverse("groups-bulk-group-symbols", args=[6]),
                {"bulk": "disable" if row.enabled else "enable", "row": [row.id]})
    assert omt.cache.get("symbols") is None


def test_a_row_omtrader_fails_to_save_says_so_in_the_alerts(as_user, client, omt, knobs):
    user = as_user("administrator")
    row = omt.list_group_symbols(7)[3]
    data = {**row_data(client, 7, row.id), f"gs{row.id}-spread": "11"}
    knobs.fault(method="PUT", path="/api/v1/manager/group-symbols/{id}", status=503)
    response = client.post(reverse("groups-edit-group-symbol", args=[7, row.id]), data,
                           HTTP_HX_REQUEST="true")
    assert response.status_code == 502 and response["HX-Retarget"] == "#alerts"
    assert "may or may not have been saved" in response.content.decode()
    entry = AuditEntry.objects.get(action="group_symbol.update", entity_id=str(row.id))
    assert entry.actor == user and entry.outcome == "failed"
