"""Commissions: create / edit / delete with the tiers formset, rows added and removed through
htmx, the checks made before anything is sent, OMTrader's tier errors on the right row."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from crmportal.audit.models import AuditEntry
from crmportal.staff.roles import ADMINISTRATOR

pytestmark = pytest.mark.usefixtures("writes")
POST = "POST /api/v1/manager/commissions"
WRITES = (POST, "PUT /api/v1/manager/commissions/{id}")


def writes_made(simulator) -> int:
    requests = simulator.counters()["requests"]
    return sum(requests.get(k, 0) for k in WRITES)


def commission_data(*tiers, **fields) -> dict:
    data = {"name": "Test FX", "desc": "", "symbol_class_id": "1", "mode_entry": "0",
            "mode_action": "0", "mode": "", "mode_range": "", "mode_charge": "",
            "mode_profit": "", "mode_reason": "", "tiers-TOTAL_FORMS": str(len(tiers)),
            "tiers-INITIAL_FORMS": "0", **fields}
    for i, tier in enumerate(tiers):
        row = {"type": "0", "value": "1", "range_from": "", "range_to": "", "min": "",
               "max": "", "currency": "USD", "mode": "", **tier}
        data.update({f"tiers-{i}-{k}": v for k, v in row.items()})
    return data


@pytest.mark.parametrize("role,status", [("backoffice", 403), ("compliance", 403),
                                         ("supervisor", 403), ("administrator", 200)])
def test_only_members_who_manage_groups_change_commissions(as_user, client, role, status):
    as_user(role)
    assert client.get(reverse("groups-create-commission", args=[7])).status_code == status
    assert client.get(reverse("groups-edit-commission", args=[7, 3])).status_code == status
    assert client.get(reverse("groups-delete-commission", args=[7, 3])).status_code == status
    assert client.get(reverse("groups-show-commission", args=[7, 3])).status_code == 200


def test_commissions_of_groups_outside_the_scope_are_missing(client, make_staff):
    client.force_login(make_staff("limited", ADMINISTRATOR, [8]))
    assert client.get(reverse("groups-show-commission", args=[7, 3])).status_code == 404
    assert client.get(reverse("groups-edit-commission", args=[7, 3])).status_code == 404
    assert client.get(reverse("groups-show-commission", args=[8, 3])).status_code == 404
    assert client.get(reverse("groups-show-commission", args=[8, 5])).status_code == 200


def test_create_edit_and_delete_round_trip(as_user, client, omt):
    user = as_user("administrator")
    data = commission_data({"value": "3.5", "range_from": "0", "range_to": "10"},
                           {"value": "2.5", "range_from": "10", "min": "1", "max": "100",
                            "type": "0"})
    response = client.post(reverse("groups-create-commission", args=[7]), data)
    assert response.status_code == 302, response.context and response.context["form"].errors
    created = next(c for c in omt.list_commissions(7) if c.name == "Test FX")
    assert [(t.value, t.range_from, t.range_to, t.min, t.max) for t in created.tiers] == [
        (Decimal("3.5"), 0, 10, 0, 0), (Decimal("2.5"), 10, 0, 1, 100)]
    entry = AuditEntry.objects.get(action="commission.create", entity_id=str(created.id))
    assert entry.actor == user and entry.after["tiers"][1]["max"] == "100"

    edit = reverse("groups-edit-commission", args=[7, created.id])
    formset = client.get(edit).context["formset"]
    assert [f.initial["value"] for f in formset] == [Decimal("3.5"), Decimal("2.5")]
    changed = commission_data({"value": "3", "range_from": "0", "range_to": "5"},
                              {"value": "2", "range_from": "5"}, name="Test FX v2")
    assert client.post(edit, changed).status_code == 302
    updated = next(c for c in omt.list_commissions(7) if c.id == created.id)
    assert updated.name == "Test FX v2" and [t.range_to for t in updated.tiers] == [5, 0]
    entry = AuditEntry.objects.get(action="commission.update", entity_id=str(created.id))
    assert entry.before["name"] == "Test FX" and entry.after["name"] == "Test FX v2"

    delete = reverse("groups-delete-commission", args=[7, created.id])
    assert client.post(delete).status_code == 302
    assert created.id not in {c.id for c in omt.list_commissions(7)}
    assert AuditEntry.objects.filter(action="commission.delete", outcome="ok").count() == 1


def test_htmx_adds_and_removes_rows_without_saving(as_user, client, simulator):
    as_user("administrator")
    url = reverse("groups-create-commission", args=[7])
    data = commission_data({"value": "3", "range_to": "10"}, {"value": "2", "range_from": "10"})
    before = writes_made(simulator)
    added = client.post(url, {**data, "tiers-op": "add"}, HTTP_HX_REQUEST="true")
    text = added.content.decode()
    assert "<html" not in text and 'name="tiers-TOTAL_FORMS" value="3"' in text
    assert 'id="tier-2"' in text and 'name="tiers-1-value" value="2"' in text
    removed = client.post(url, {**data, "tiers-op": "remove-0"}, HTTP_HX_REQUEST="true")
    text = removed.content.decode()
    assert 'name="tiers-TOTAL_FORMS" value="1"' in text
    assert 'name="tiers-0-value" value="2"' in text  # the second row moved up
    assert writes_made(simulator) == before


@pytest.mark.parametrize("tiers,message", [
    ([{"range_to": "10"}, {"range_from": "5"}], "Tiers 1 and 2 overlap"),
    ([{"range_from": "0"}, {"range_from": "5"}], "Tiers 1 and 2 overlap"),
    ([{"range_from": "10", "range_to": "5"}], "“To” must be greater than “From”"),
    ([{"min": "10", "max": "5"}], "Max must not be below min"),
    ([{"value": "-1"}], "greater than or equal to 0"),
    ([{"value": "ten"}], "Enter a number."),
    ([{"currency": "XYZ"}], "not a currency OMTrader knows"),
    ([{"type": "7"}], "7 is not one of the codes offered"),
])
def test_bad_tiers_are_named_and_nothing_is_sent(as_user, client, simulator, tiers, message):
    as_user("administrator")
    before = writes_made(simulator)
    response = client.post(reverse("groups-create-commission", args=[7]),
                           commission_data(*tiers))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert writes_made(simulator) == before


@pytest.mark.parametrize("rows,message", [
    (60, "A commission may have at most 50 tiers."),
    (10_000, "far more than a commission holds (at most 50 tiers); nothing was sent"),
])
def test_too_many_rows_are_refused_with_a_message(as_user, client, simulator, rows, message):
    as_user("administrator")
    before = writes_made(simulator)
    data = commission_data(*[{"range_from": str(i), "range_to": str(i + 1)}
                             for i in range(rows)])
    response = client.post(reverse("groups-create-commission", args=[7]), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert writes_made(simulator) == before


def test_an_unknown_commission_code_is_refused(as_user, client, simulator):
    as_user("administrator")
    before = writes_made(simulator)
    response = client.post(reverse("groups-create-commission", args=[7]),
                           commission_data({}, mode_entry="5"))
    assert response.status_code == 400
    assert "5 is not one of the codes offered" in response.content.decode()
    assert writes_made(simulator) == before


def test_omtrader_s_tier_errors_land_on_the_right_row(as_user, client, knobs):
    as_user("administrator")
    knobs.fault(method="POST", path="/api/v1/manager/commissions", status=400,
                fields={"commission_tiers[1].value": "above the broker's cap",
                        "name": "already taken"})
    data = commission_data({"range_to": "10"}, {"range_from": "10"})
    response = client.post(reverse("groups-create-commission", args=[7]), data)
    assert response.status_code == 400
    rows = response.context["formset"].forms
    assert rows[1].errors["value"] == ["OMTrader: above the broker's cap"]
    assert not rows[0].errors
    assert response.context["form"].errors["name"] == ["OMTrader: already taken"]
    assert AuditEntry.objects.get(action="commission.create").outcome == "rejected"


def test_a_fee_type_the_commission_already_uses_stays_choosable():
    from crmportal.groups.forms import TierFormSet

    data = {"tiers-TOTAL_FORMS": "1", "tiers-INITIAL_FORMS": "0", "tiers-0-type": "5",
            "tiers-0-value": "1", "tiers-0-currency": ""}
    assert not TierFormSet(data, prefix="tiers").is_valid()
    kept = TierFormSet(data, prefix="tiers", stored_types=frozenset({5}))
    assert kept.is_valid() and kept.tiers()[0]["type"] == 5
    assert "code 5 (its meaning is not documented)" in str(kept.forms[0]["type"])
