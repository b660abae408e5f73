"""Every page of the groups area for each role, a member whose groups include the page's group,
one whose groups do not, and anonymous visitors: readers read, only managers of the group
reach the writes, out of scope is a 404 exactly like a missing id."""

from __future__ import annotations

import pytest
from django.urls import reverse

from crmportal.staff.roles import ADMINISTRATOR, BACK_OFFICE

READS = [("groups-list-groups", []), ("groups-show-group", [7]),
         ("groups-show-commission", [7, 3]), ("groups-list-group-symbols", [7]),
         ("groups-show-group-symbol", [7, 82]), ("symbols-list-symbols", []),
         ("symbols-show-symbol", [1])]
WRITES = [("groups-edit-group", [7]), ("groups-create-commission", [7]),
          ("groups-edit-commission", [7, 3]), ("groups-delete-commission", [7, 3]),
          ("groups-edit-group-symbol", [7, 82])]
# Pages of one group (a symbol belongs to every group offering it: see test_symbols.py).
SCOPED = [(name, args) for name, args in READS + WRITES if name.startswith("groups-") and args]


@pytest.mark.parametrize("role", ["backoffice", "compliance", "supervisor", "administrator"])
@pytest.mark.parametrize("name,args", READS)
def test_every_role_reads(as_user, client, role, name, args):
    as_user(role)
    assert client.get(reverse(name, args=args)).status_code == 200


@pytest.mark.parametrize("role,status", [("backoffice", 403), ("compliance", 403),
                                         ("supervisor", 403), ("administrator", 200),
                                         ("roleless", 403)])
@pytest.mark.parametrize("name,args", WRITES)
def test_only_managers_reach_the_writes(as_user, client, role, status, name, args):
    as_user(role)
    assert client.get(reverse(name, args=args)).status_code == status


@pytest.mark.parametrize("name,args", READS + WRITES)
def test_anonymous_visitors_are_sent_to_sign_in(client, name, args):
    response = client.get(reverse(name, args=args))
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.parametrize("name,args", SCOPED)
def test_a_manager_of_other_groups_meets_a_404_like_a_missing_id(client, make_staff, name,
                                                                 args):
    client.force_login(make_staff("elsewhere", ADMINISTRATOR, [8, 9]))
    assert client.get(reverse(name, args=args)).status_code == 404
    missing = [999_999] + args[1:]
    assert client.get(reverse(name, args=missing)).status_code == 404


@pytest.mark.parametrize("name,args", SCOPED)
def test_a_manager_of_the_group_reaches_it(client, make_staff, name, args):
    client.force_login(make_staff("here", ADMINISTRATOR, [7]))
    assert client.get(reverse(name, args=args)).status_code == 200


def test_a_reader_limited_to_the_group_reads_but_does_not_edit(client, make_staff):
    client.force_login(make_staff("reader", BACK_OFFICE, [7]))
    page = client.get(reverse("groups-show-group", args=[7])).content.decode()
    assert "Edit group" not in page and "New commission" not in page
    symbols = client.get(reverse("groups-list-group-symbols", args=[7])).content.decode()
    assert 'name="bulk"' not in symbols and "/edit/" not in symbols
    assert client.post(reverse("groups-bulk-group-symbols", args=[7]),
                       {"bulk": "disable", "row": ["82"]}).status_code == 403
