"""What one client list page asks of the database: the member's profile once (time zone and
scope from the same row), and a scoped member still sees only their groups."""

from __future__ import annotations

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

