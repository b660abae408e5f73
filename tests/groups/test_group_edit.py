"""Editing a group: who may, the checks made before anything is sent, OMTrader's own field
errors, the audit entry, and the impact preview against the stop-outs OMTrader then makes."""

from __future__ import annotations

import time
from collections import Counter

import pytest
from django.urls import reverse

from crmportal.audit.models import AuditEntry
from crmportal.staff import stepup
from crmportal.staff.roles import ADMINISTRATOR

pytestmark = pytest.mark.usefixtures("writes")
PUT = "PUT /api/v1/manager/group/{id}"


def url(group_id: int) -> str:
    return reverse("groups-edit-group", args=[group_id])


def form_data(client, group_id: int) -> dict:
    form = client.get(url(group_id)).context["form"]
    data = {}
    for name in form.fields:
        value = form[name].value()
        if isinstance(value, bool):
            if value:
                data[name] = "on"
            continue
        data[name] = "" if value is None else value
    return data


def puts(simulator) -> int:
    return simulator.counters()["requests"].get(PUT, 0)


@pytest.mark.parametrize("role,status", [("backoffice", 403), ("compliance", 403),
                                         ("supervisor", 403), ("administrator", 200),
                                         ("roleless", 403)])
def test_only_members_who_manage_groups_may_edit(as_user, client, role, status):
    as_user(role)
    assert client.get(url(7)).status_code == status


def test_a_group_outside_the_scope_is_missing(client, make_staff, simulator):
    client.force_login(make_staff("limited", ADMINISTRATOR, [6]))
    assert client.get(url(7)).status_code == 404
    before = puts(simulator)
    assert client.post(url(7), {"desc": "Mine now"}).status_code == 404
    assert puts(simulator) == before
    assert client.get(url(6)).status_code == 200


def test_a_stale_confirmation_refuses_the_write(as_user, client, simulator):
    as_user("administrator")
    data = form_data(client, 7)
    session = client.session
    session[stepup.CONFIRMED_AT] = int(time.time()) - 3600
    session.save()
    before = puts(simulator)
    response = client.post(url(7), {**data, "desc": "Never"})
    assert response.status_code == 403 and puts(simulator) == before
    assert client.get(url(7)).status_code == 302  # a GET is sent to confirm first


@pytest.mark.parametrize("changes,field,message", [
    ({"margin_call": "abc"}, "margin_call", "Enter a number."),
    ({"margin_stop_out": "150"}, "margin_stop_out", "must not be above the margin-call level"),
    ({"default_leverage": "1000000"}, "default_leverage", "Leverage above 1:5000"),
    ({"default_leverage": "1.5"}, "default_leverage", "Enter a whole number."),
    ({"limit_orders": "-1"}, "limit_orders", "greater than or equal to 0"),
    ({"group_type": "9"}, "group_type", "9 is not one of the codes offered"),
    ({"margin_mode": "x"}, "margin_mode", "is not one of the codes offered"),
    ({"currency": "ZZZ"}, "currency", "not a currency OMTrader knows"),
    ({"currency": "U1"}, "currency", "three letters"),
])
def test_bad_input_is_named_on_its_field_and_nothing_is_sent(as_user, client, simulator,
                                                             changes, field, message):
    as_user("administrator")
    data = form_data(client, 7)
    before = puts(simulator)
    for action in ({"action": "preview"}, {"confirm": "x"}):
        response = client.post(url(7), {**data, **changes, **action})
        assert response.status_code == 200
        errors = response.context["form"].errors
        assert field in errors and message in " ".join(errors[field])
        assert "preview" not in response.context
    assert puts(simulator) == before


def test_preview_then_confirm_saves_what_was_previewed_and_audits_it(as_user, client, omt,
                                                                     simulator):
    user = as_user("administrator")
    data = {**form_data(client, 6), "default_leverage": "150", "limit_orders": "250"}
    before = puts(simulator)
    preview = client.post(url(6), {**data, "action": "preview"})
    assert preview.status_code == 200 and puts(simulator) == before
    signature = preview.context["signature"]
    assert 'id="impact-preview"' in preview.content.decode()
    # A value changed after the preview: previewed again, not saved.
    again = client.post(url(6), {**data, "limit_orders": "260", "confirm": signature})
    assert again.status_code == 200 and "preview" in again.context
    assert puts(simulator) == before
    saved = client.post(url(6), {**data, "confirm": signature})
    assert saved.status_code == 302
    group = omt.get_group(6)
    assert (group.default_leverage, group.limit_orders) == (150, 250)
    entry = AuditEntry.objects.get(action="group.update", entity_id="6")
    assert entry.actor == user and entry.outcome == "ok" and entry.group_id == 6
    assert entry.before == {"default_leverage": 100, "limit_orders": 200}
    assert entry.after == {"default_leverage": 150, "limit_orders": 250}
    # The cached groups were dropped: the tree shows the new leverage at once.
    assert "1:150" in client.get(reverse("groups-list-groups")).content.decode()


def test_omtrader_s_field_errors_land_on_the_fields(as_user, client, knobs):
    as_user("administrator")
    data = {**form_data(client, 6), "default_leverage": "120"}
    signature = client.post(url(6), {**data, "action": "preview"}).context["signature"]
    knobs.fault(method="PUT", path="/api/v1/manager/group/{id}", status=400,
                fields={"default_leverage": "not offered for this group"})
    response = client.post(url(6), {**data, "confirm": signature})
    assert response.status_code == 200
    assert response.context["form"].errors["default_leverage"] == [
        "OMTrader: not offered for this group"]
    entry = AuditEntry.objects.get(action="group.update", entity_id="6")
    assert entry.outcome == "rejected"


def test_the_preview_names_exactly_the_accounts_omtrader_then_stops_out(as_user, client, omt,
                                                                        knobs):
    knobs.control(market_paused=True)
    as_user("administrator")
    accounts = [a for a in omt.iter_all(omt.list_accounts, group_id=7) if a.margin]
    levels = sorted(a.margin_level for a in accounts)
    assert len(levels) >= 6
    stop = levels[len(levels) // 3]  # about a third fall below it
    call = levels[2 * len(levels) // 3]
    data = {**form_data(client, 7), "margin_call": str(call), "margin_stop_out": str(stop)}
    preview = client.post(url(7), {**data, "action": "preview"})
    found = preview.context["preview"]
    named = {row.account.id for row in found.stop_outs}
    called = {row.account.id for row in found.margin_calls}
    assert named and called
    assert named == {a.id for a in accounts if a.margin_level < stop}
    text = preview.content.decode()
    assert all(f'data-account="{aid}" data-after="stop out"' in text for aid in named)

    def open_counts():
        return Counter(p.account_id for p in omt.iter_all(omt.list_positions, group_id=7))

    before = open_counts()
    assert all(row.positions == before[row.account.id] for row in found.affected)
    # Confirming a preview that showed fewer stop-outs (prices moved meanwhile) saves nothing.
    shown = sorted(named)[1:]
    stale = client.post(url(7), {**data, "confirm": preview.context["signature"],
                                 "previewed": ",".join(map(str, shown))})
    assert stale.status_code == 200 and stale.context["more_stop_outs"] == sorted(named)[:1]
    assert "Prices moved since your preview" in stale.content.decode()
    assert open_counts() == before
    response = client.post(url(7), {**data, "confirm": preview.context["signature"],
                                    "previewed": ",".join(map(str, sorted(named)))})
    assert response.status_code == 302
    after = open_counts()
    stopped = {aid for aid, count in before.items() if after.get(aid, 0) < count}
    assert stopped == named
    entry = AuditEntry.objects.get(action="group.update", entity_id="7")
    assert str(sorted(named)[0]) in entry.detail
