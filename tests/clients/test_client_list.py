from __future__ import annotations

import re
from datetime import datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from crmportal.clients.models import ClientIndex, IndexState, KycReview
from crmportal.staff.roles import BACK_OFFICE
from tests.clients.conftest import ROLES_WITH_VIEW

URL = reverse("clients-list-clients")


def ids_on(response) -> list[int]:
    return [row.id for row in response.context["page"]]


def test_it_sends_anonymous_users_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"].startswith("/login/")


@pytest.mark.parametrize("role", ROLES_WITH_VIEW)
def test_it_lists_clients_for_every_role_that_may_view_them(as_user, client, seeded, role):
    as_user(role)
    response = client.get(URL)
    assert response.status_code == 200
    assert response.context["page"].paginator.count == len(seeded)
    assert f"{len(seeded)} clients" in response.content.decode()


def test_it_renders_each_filter_as_a_select_of_the_members_values(as_user, client, seeded):
    as_user("backoffice")
    country = sorted({c.country for c in seeded if c.country})[0]
    response = client.get(URL, {"status": "8", "country": country})
    selects = {field.name: field for field in response.context["form"].selects()}
    assert list(selects) == ["status", "kyc", "type", "manager", "group", "country",
                             "lead_source", "lead_campaign", "registered", "accounts",
                             "rejected", "reason"]
    offered = [value for value, _ in selects["country"].field.widget.choices]
    assert offered == ["", *sorted({c.country for c in seeded if c.country})]
    managers = {c.manager_id for c in seeded if c.manager_id not in (None, "")}
    assert {value for value, _ in selects["manager"].field.widget.choices} == {"", *managers}
    body = response.content.decode()
    assert '<option value="8" selected>' in body
    assert f'<option value="{country}" selected>' in body


def test_it_refuses_a_member_without_a_role(as_user, client):
    as_user("roleless")
    assert client.get(URL).status_code == 403


def test_it_shows_labels_and_badges_not_codes(as_user, client, seeded):
    as_user("backoffice")
    active = next(c for c in seeded if c.status and c.status.code == 9)
    body = client.get(URL, {"q": str(active.id)}).content.decode()
    assert '<span class="badge badge-ok">Active</span>' in body
    assert re.search(r'class="badge badge-(ok|warn|danger)">(Approved|Pending|Rejected)<', body)


@pytest.mark.parametrize("field", ["family_name", "email", "mobile", "external_id", "id"])
def test_it_finds_a_client_by_name_email_mobile_external_id_or_number(as_user, client, seeded,
                                                                       field):
    as_user("backoffice")
    wanted = seeded[123]
    text = str(getattr(wanted, field))
    if field == "mobile":
        text = text.replace(" ", "")[-7:]  # typed without spaces, only the end
    if field == "family_name":
        text = f"{wanted.first_name.lower()} {wanted.family_name.upper()}"
    response = client.get(URL, {"q": text, "size": 200})
    assert wanted.id in ids_on(response)
    assert len(ids_on(response)) < 100


def test_it_matches_every_word_of_the_search(as_user, client, seeded):
    as_user("backoffice")
    wanted = seeded[7]
    expected = {c.id for c in seeded if c.first_name == wanted.first_name
                and c.family_name == wanted.family_name}
    response = client.get(URL, {"q": f"{wanted.first_name} {wanted.family_name}", "size": 200})
    assert set(ids_on(response)) >= expected and wanted.id in ids_on(response)


FILTERS = {
    "status": ("9", lambda c: c.status and c.status.code == 9),
    "kyc": ("pending", lambda c: c.kyc_status is None),
    "type": ("1", lambda c: c.type and c.type.code == 1),
    "manager": ("3", lambda c: c.manager_id == 3),
    "country": ("DE", lambda c: c.country == "DE"),
    "lead_source": ("referral", lambda c: c.lead_source == "referral"),
    "lead_campaign": ("gold-rush", lambda c: c.lead_campaign == "gold-rush"),
    "group": ("7", lambda c: c.preferred_group == 7 or any(a.group_id == 7 for a in c.accounts)),
}


@pytest.mark.parametrize("name", FILTERS)
def test_it_filters_exactly_like_omtraders_own_data(as_user, client, seeded, name):
    as_user("administrator")
    value, keep = FILTERS[name]
    expected = sorted((c.id for c in seeded if keep(c)), reverse=True)
    response = client.get(URL, {name: value, "size": 200})
    assert expected, "the seed should have such clients"
    assert ids_on(response) == expected[:200]
    assert f"{len(expected)} client" in response.content.decode()


def test_it_combines_filters_and_search(as_user, client, seeded):
    as_user("administrator")
    expected = sorted(c.id for c in seeded if c.status and c.status.code == 9
                      and c.kyc_status == 0 and "smith" in c.family_name.lower())
    response = client.get(URL, {"status": 9, "kyc": "approved", "q": "smith", "sort": "id",
                                "size": 200})
    assert ids_on(response) == expected


def test_it_sorts_by_name_both_ways(as_user, client, seeded):
    as_user("backoffice")
    up = ids_on(client.get(URL, {"sort": "name", "size": 200}))
    down = ids_on(client.get(URL, {"sort": "-name", "size": 200}))
    by_id = {c.id: c for c in seeded}
    names = [(by_id[i].family_name, by_id[i].first_name) for i in up]
    assert names == sorted(names)
    assert by_id[down[0]].family_name == max(c.family_name for c in seeded)


def test_it_pages_with_the_chosen_page_size(as_user, client, seeded):
    as_user("backoffice")
    ids = sorted(c.id for c in seeded)
    first = ids_on(client.get(URL, {"size": 25, "sort": "id"}))
    response = client.get(URL, {"size": 25, "sort": "id", "page": 3})
    assert first == ids[:25] and ids_on(response) == ids[50:75]
    page = response.context["page"]
    assert (page.number, page.paginator.num_pages) == (3, -(-len(ids) // 25))
    assert "page=4" in response.content.decode() and "size=25" in response.context["query"]


def test_it_builds_its_copy_on_the_first_load(as_user, client, no_index, seeded):
    as_user("backoffice")
    response = client.get(URL)
    assert response.context["page"].paginator.count == len(seeded)
    assert ClientIndex.objects.count() == len(seeded)
    assert IndexState.load().full_synced_at is not None


def test_it_answers_htmx_with_the_table_only(as_user, client):
    as_user("backoffice")
    response = client.get(URL, {"status": 9}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="client-table"')
    assert "<html" not in body and 'name="sort" value="-id"' in body


def test_it_answers_the_back_button_with_the_whole_page(as_user, client):
    as_user("backoffice")
    response = client.get(URL, {"status": 9}, headers={
        "HX-Request": "true", "HX-History-Restore-Request": "true"})
    body = response.content.decode()
    assert "<html" in body and 'id="client-filters"' in body
    assert "HX-Request" in response["Vary"]


def test_it_shows_the_same_list_on_a_full_load_of_the_pushed_address(as_user, client):
    as_user("backoffice")
    query = {"status": 9, "sort": "name", "size": 25, "page": 2}
    partial = client.get(URL, query, headers={"HX-Request": "true"})
    full = client.get(URL, query)
    assert ids_on(partial) == ids_on(full) and len(ids_on(full)) == 25
    assert '<option value="9" selected>Active</option>' in full.content.decode()


@pytest.mark.parametrize("query,notice", [
    ({"page": "-5"}, "Page “-5” does not exist"),
    ({"page": "abc"}, "Page “abc” does not exist"),
    ({"page": "999"}, "There is no page 999"),
    ({"sort": "DROP"}, "Ignored sort “DROP”"),
    ({"sort": "name; DROP TABLE clients_clientindex"}, "Ignored sort"),
    ({"size": str(10**9)}, "Page size “1000000000” is not offered"),
    ({"limit": str(10**9)}, "Page size “1000000000” is not offered"),
    ({"status": "99"}, "Ignored status “99”"),
    ({"kyc": "maybe"}, "Ignored KYC “maybe”"),
    ({"type": "x"}, "Ignored type “x”"),
    ({"manager": "abc"}, "Ignored manager “abc”"),
    ({"group": "-1"}, "Ignored group “-1”"),
    ({"q": "x" * 500}, "Ignored search"),
])
def test_it_corrects_nonsense_in_the_address_with_a_notice(as_user, client, query, notice):
    as_user("backoffice")
    response = client.get(URL, query)
    assert response.status_code == 200
    assert notice in response.content.decode()
    assert ClientIndex.objects.exists()


def test_it_replaces_a_corrected_address_in_the_browser(as_user, client):
    as_user("backoffice")
    response = client.get(URL, {"status": "99", "kyc": "pending", "page": "-5"},
                          headers={"HX-Request": "true"})
    assert response["HX-Replace-Url"] == f"{URL}?kyc=pending"


def test_it_lists_only_clients_in_the_members_groups(client, make_staff, seeded):
    client.force_login(make_staff("limited", BACK_OFFICE, [9]))
    expected = {c.id for c in seeded
                if c.preferred_group == 9 or any(a.group_id == 9 for a in c.accounts)}
    shown = set(ids_on(client.get(URL, {"size": 200})))
    assert shown and shown <= expected
    assert f"{len(expected)} clients" in client.get(URL).content.decode()


def test_it_says_what_to_do_when_nothing_matches(as_user, client):
    as_user("backoffice")
    body = client.get(URL, {"q": "no such person anywhere"}).content.decode()
    assert "No client matches these filters" in body and "clear the filters" in body


def test_it_sees_a_change_made_outside_the_portal_on_the_next_load(as_user, client, omt, writes):
    as_user("backoffice")
    client.get(URL)
    target = omt.list_clients(limit=1).items[0]
    omt.update_client(target.id, {"family_name": "Renamed-Elsewhere"})
    response = client.get(URL, {"q": "renamed-elsewhere"})
    assert ids_on(response) == [target.id]


def test_it_drops_a_client_deleted_outside_the_portal(as_user, client, omt, make_client, writes):
    as_user("backoffice")
    doomed = make_client(family_name="Doomed")
    assert ids_on(client.get(URL, {"q": "doomed"})) == [doomed.id]
    omt.delete_client(doomed.id)
    assert ids_on(client.get(URL, {"q": "doomed"})) == []
    assert not ClientIndex.objects.filter(pk=doomed.id).exists()


def test_it_answers_from_its_copy_when_omtrader_is_down(as_user, client, knobs, seeded):
    as_user("backoffice")
    client.get(URL)
    knobs.control(error_rate=1.0, error_status=500)  # every call, every retry
    response = client.get(URL)
    assert response.status_code == 200
    assert "OMTrader did not answer the change check" in response.context["freshness"].error
    assert response.context["page"].paginator.count == len(seeded)


def test_it_says_omtrader_is_unavailable_before_it_has_a_copy(as_user, client, knobs, no_index):
    as_user("backoffice")
    knobs.control(error_rate=1.0, error_status=500)  # every call, every retry
    response = client.get(URL)
    assert response.status_code == 503
    assert "OMTrader is not answering" in response.content.decode()


def test_the_since_filters_answer_registered_accounts_and_recent_rejections(as_user, client):
    """The dashboard's figures link here: registered in the last N days (or today), with or
    without an account, KYC rejected (by the portal) in the last N days."""
    as_user("backoffice")
    now = timezone.now()
    midnight = timezone.make_aware(datetime.combine(timezone.localdate(), time.min))
    rows = ClientIndex.objects
    rejected = rows.order_by("id")[:3]
    for row, days, reason in zip(rejected, (1, 10, 40), ("other", "name_mismatch", "other"),
                                 strict=True):
        KycReview.objects.create(client_id=row.id, decision=KycReview.Decision.REJECTED,
                                 reviewer_username="someone", upstream_outcome="ok",
                                 reason_code=reason, decided_at=now - timedelta(days=days))
    checks = [
        ({"registered": "30"}, rows.filter(created_at__gte=now - timedelta(days=30))),
        ({"registered": "today"}, rows.filter(created_at__gte=midnight)),
        ({"accounts": "none"}, rows.filter(accounts=0)),
        ({"accounts": "some"}, rows.filter(accounts__gt=0)),
        ({"registered": "7", "accounts": "none"},
         rows.filter(created_at__gte=now - timedelta(days=7), accounts=0)),
        ({"rejected": "7"}, rows.filter(id=rejected[0].id)),
        ({"rejected": "30"}, rows.filter(id__in=[r.id for r in rejected[:2]])),
        ({"rejected": "30", "reason": "other"}, rows.filter(id=rejected[0].id)),
        ({"reason": "other"}, rows.filter(id__in=[rejected[0].id, rejected[2].id])),
    ]
    for query, expected in checks:
        response = client.get(URL, {**query, "size": 200})
        assert response.context["page"].paginator.count == expected.count(), query
    assert client.get(URL, {"rejected": "30"}).context["page"].paginator.count == 2
    assert client.get(URL, {"accounts": "none"}).context["page"].paginator.count > 0
    answer = client.get(URL, {"registered": "5"})
    assert answer.status_code == 200 and answer.context["notices"]
