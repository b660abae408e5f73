"""The client list's rows as cheap to make as they can be, and still right: the member's
profile read once per page (time zone and scope from the same row), a scoped member's rows
only from their groups, the created day in the member's own time zone, ids without grouping."""

from __future__ import annotations

from datetime import UTC, datetime

from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crmportal.clients.models import ClientIndex

URL = reverse("clients-list-clients")


def profile_reads(client, url: str = URL) -> int:
    client.get(url)  # warm: the index check, groups and filter values are cached after this
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return sum('FROM "staff_staffprofile"' in q["sql"] for q in queries.captured_queries)


def test_it_reads_the_member_s_profile_once_per_page(client, make_staff):
    client.force_login(make_staff("tz-reader", "Back office", time_zone="Europe/Malta"))
    assert profile_reads(client) == 1


def test_it_still_limits_a_scoped_member_to_their_groups(client, make_staff):
    group = ClientIndex.objects.values_list("preferred_group", flat=True).first()
    client.force_login(make_staff("one-group", "Back office", group_ids=[group]))
    assert profile_reads(client) == 1
    response = client.get(URL, {"size": 100})
    shown = [row.id for row in response.context["page"]]
    assert shown
    in_group = ClientIndex.objects.filter(Q(groups__group_id=group) | Q(preferred_group=group))
    assert set(shown) <= set(in_group.values_list("id", flat=True))



def created_cell(client, client_id: int) -> str:
    response = client.get(URL, {"sort": "id", "size": 100})
    row = next(r for r in response.context["page"] if r.id == client_id)
    html = response.content.decode()
    assert f'<td class="nowrap">{row.created_day}</td>' in html
    return row.created_day


def test_it_prints_the_created_day_in_the_member_s_own_time_zone(client, make_staff):
    first = ClientIndex.objects.order_by("id").first()
    late = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
    ClientIndex.objects.filter(id=first.id).update(created_at=late)
    client.force_login(make_staff("in-utc", "Back office", time_zone="UTC"))
    assert created_cell(client, first.id) == "2026-03-01"
    client.force_login(make_staff("in-tokyo", "Back office", time_zone="Asia/Tokyo"))
    assert created_cell(client, first.id) == "2026-03-02"


def test_it_prints_ids_and_counts_without_thousands_separators(client, make_staff, settings):
    settings.USE_THOUSAND_SEPARATOR = True
    first = ClientIndex.objects.order_by("id").first()
    ClientIndex.objects.filter(id=first.id).update(accounts=1234)
    client.force_login(make_staff("counts", "Back office"))
    html = client.get(URL, {"sort": "id"}).content.decode()
    assert '<td class="num">1234</td>' in html and "1,234" not in html
