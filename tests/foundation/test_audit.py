from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from crmportal.audit.log import first_broken_entry, record
from crmportal.audit.models import AuditEntry


def test_it_records_a_write_with_before_and_after(administrator):
    entry = record(
        "client.update",
        actor=administrator,
        entity_type="client",
        entity_id=17,
        before={"email": "old@example.com", "net_worth": Decimal("10.50")},
        after={"email": "new@example.com", "net_worth": Decimal("12.00")},
    )
    entry.refresh_from_db()
    assert entry.actor_username == "ada" and entry.entity_id == "17"
    assert entry.before == {"email": "old@example.com", "net_worth": "10.50"}
    assert entry.after["email"] == "new@example.com"
    creation = AuditEntry.objects.get(action="staff.create")  # the fixture's, the first row
    assert creation.prev_hash == "0" * 64
    assert len(entry.hash) == 64 and entry.prev_hash == creation.hash


def test_it_chains_each_row_to_the_previous_one(administrator):
    first = record("a.one", actor=administrator)
    second = record("a.two", actor=administrator)
    assert second.prev_hash == first.hash
    assert first_broken_entry() is None


def test_it_hashes_the_group_an_entry_is_about(administrator):
    record("group.update", actor=administrator, entity_type="group", entity_id=6, group_id=6)
    assert first_broken_entry() is None
    AuditEntry.objects.filter(action="group.update").update(group_id=7)
    broken, _ = first_broken_entry()
    assert broken.action == "group.update"


def test_the_audit_page_shows_group_tagged_entries_by_scope(client, make_staff):
    for group in (6, 7):
        record("commission.update", entity_type="commission", entity_id=group * 10,
               group_id=group, actor_username="someone")
    record("staff.update", entity_type="staff", entity_id=1, actor_username="someone")
    limited_admin = make_staff("limited-admin", "Administrator", group_ids=[6])
    client.force_login(limited_admin)
    seen = {e.entity_id for e in client.get("/audit/").context["page"]}
    assert "60" in seen and "70" not in seen and "1" in seen
    compliance = make_staff("limited-compliance", "Compliance", group_ids=[7])
    client.force_login(compliance)
    seen = {e.entity_id for e in client.get("/audit/").context["page"]}
    assert "70" in seen and "60" not in seen and "1" not in seen


def test_it_catches_a_row_edited_behind_the_portals_back(administrator):
    record("a.one", actor=administrator, after={"amount": "100.00"})
    tampered = record("a.two", actor=administrator, after={"amount": "500.00"})
    record("a.three", actor=administrator)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_auditentry SET detail = %s WHERE id = %s", ["edited", tampered.id]
        )
    with pytest.raises(CommandError, match=f"row {tampered.id}"):
        call_command("verify_audit")


def test_it_catches_a_deleted_row(administrator):
    record("a.one", actor=administrator)
    removed = record("a.two", actor=administrator)
    following = record("a.three", actor=administrator)
    AuditEntry.objects.filter(pk=removed.pk).delete()
    with pytest.raises(CommandError, match=f"row {following.id}"):
        call_command("verify_audit")


def test_it_reports_an_intact_chain(administrator):
    record("a.one", actor=administrator)
    out = io.StringIO()
    call_command("verify_audit", stdout=out)
    assert "intact: 2 rows" in out.getvalue()  # the administrator's creation, then a.one


def test_it_filters_the_audit_page(client, compliance, backoffice):
    record("client.update", actor=backoffice, entity_type="client", entity_id=5)
    record("account.deposit", actor=backoffice, entity_type="account", entity_id=9)
    record("client.delete", actor=compliance, entity_type="client", entity_id=6)
    client.force_login(compliance)

    page = client.get("/audit/", {"staff": "bo", "entity_type": "client"})
    assert page.status_code == 200
    rows = page.content.decode()
    assert "client.update" in rows and "account.deposit" not in rows and "client.delete" not in rows

    by_action = client.get("/audit/", {"action": "account."}).content.decode()
    assert "account.deposit" in by_action and "client.update" not in by_action


def test_it_pages_newest_first(client, administrator):
    for n in range(30):
        record(f"bulk.write{n:02d}", actor=administrator)
    client.force_login(administrator)
    first_page = client.get("/audit/", {"size": 25}).content.decode()
    assert "bulk.write29" in first_page and "bulk.write04" not in first_page
    assert first_page.index("bulk.write29") < first_page.index("bulk.write28")
    second = client.get("/audit/", {"size": 25, "page": 2}).content.decode()
    assert "bulk.write04" in second


def test_it_renders_the_table_alone_for_htmx(client, compliance):
    record("client.update", actor=compliance)
    client.force_login(compliance)
    response = client.get("/audit/", headers={"HX-Request": "true"})
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="audit-table"') and "<html" not in body


@pytest.mark.parametrize(
    "query", ["page=-5", "page=abc", "size=1000000000", "date_from=notadate", "staff=ghost"]
)
def test_it_survives_nonsense_query_strings(client, compliance, query):
    client.force_login(compliance)
    response = client.get("/audit/?" + query)
    assert response.status_code == 200


@pytest.mark.parametrize("query,notice", [
    ("page=-5", "Page “-5” does not exist; showing page 1."),
    ("page=abc", "Page “abc” does not exist; showing page 1."),
    ("page=999", "There is no page 999; showing the last page."),
    ("size=1000000000", "Page size “1000000000” is not offered"),
])
def test_it_corrects_nonsense_paging_with_the_notice_every_list_gives(client, compliance, query,
                                                                      notice):
    client.force_login(compliance)
    response = client.get("/audit/?" + query)
    assert response.status_code == 200
    assert [text[:len(notice)] for text in response.context["notices"]] == [notice]
    assert notice in response.content.decode()


def test_it_tells_htmx_the_corrected_address(client, compliance):
    client.force_login(compliance)
    response = client.get("/audit/?outcome=ok&page=abc&size=7", headers={"HX-Request": "true"})
    assert response["HX-Replace-Url"] == "/audit/?outcome=ok"


def test_it_escapes_what_it_shows(client, compliance):
    record("client.update", actor=compliance, entity_type="client", entity_id=1,
           after={"first_name": "<script>alert(1)</script>"})
    client.force_login(compliance)
    body = client.get("/audit/").content.decode()
    assert "<script>alert(1)</script>" not in body and "&lt;script&gt;" in body


def test_it_offers_no_way_to_change_or_delete_rows(client, administrator):
    entry = record("client.update", actor=administrator)
    client.force_login(administrator)
    assert client.post("/audit/", {"id": entry.id}).status_code == 405
    assert client.delete("/audit/").status_code == 405
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_it_gives_the_back_button_the_whole_page(client, compliance):
    client.force_login(compliance)
    headers = {"HX-Request": "true", "HX-History-Restore-Request": "true"}
    response = client.get("/audit/", headers=headers)
    assert b"<html" in response.content
    assert "HX-History-Restore-Request" in response["Vary"]


def test_it_shows_changes_field_by_field_with_labels_and_links(client, administrator):
    record("client.update", actor=administrator, entity_type="client", entity_id=42,
           before={"mobile": "+49 30 1234", "city": None},
           after={"mobile": "+44 20 7946", "city": "Leeds"})
    client.force_login(administrator)
    body = client.get("/audit/").content.decode()
    assert "{&#x27;mobile&#x27;" not in body and "{'mobile'" not in body
    assert "Client changed" in body and 'href="/clients/42/"' in body
    mobile = body[body.index("<dt>Mobile</dt>"):]
    assert mobile.index("+49 30 1234") < mobile.index("→") < mobile.index("+44 20 7946")
    city = body[body.index("<dt>City</dt>"):]
    assert city.index("—") < city.index("Leeds")


def test_it_leaves_request_id_and_address_behind_when_the_request_ends(
        client, administrator, backoffice):
    from crmportal.staff.actions import do_update_staff

    client.force_login(administrator)
    client.get("/", REMOTE_ADDR="198.51.100.9", HTTP_X_REQUEST_ID="earlier-req-0001")
    do_update_staff(backoffice, role="Compliance", group_ids=[], all_groups=True,
                    is_active=True, actor=administrator)
    entry = AuditEntry.objects.get(action="staff.update", entity_id=str(backoffice.pk))
    assert (entry.request_id, entry.ip_address) == ("", "")
