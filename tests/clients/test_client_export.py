from __future__ import annotations

import csv
import io

import pytest
from asgiref.sync import async_to_sync
from django.http import StreamingHttpResponse
from django.test import AsyncClient
from django.urls import reverse

from crmportal.audit.models import AuditEntry
from crmportal.clients.fields import MASK
from crmportal.csvfiles import CHUNK_ROWS, safe
from crmportal.omtrader.concurrent import gather_each
from crmportal.staff.roles import BACK_OFFICE

URL = reverse("clients-export-clients")
LIST = reverse("clients-list-clients")


def rows_of(response) -> list[dict]:
    assert isinstance(response, StreamingHttpResponse)
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def listed_ids(client, query: dict) -> list[int]:
    ids, page = [], 1
    while True:
        shown = client.get(LIST, {**query, "size": 200, "page": page}).context["page"]
        ids += [row.id for row in shown]
        if not shown.has_next():
            return ids
        page += 1


def test_it_sends_anonymous_users_to_sign_in(client):
    assert client.get(URL).status_code == 302


@pytest.mark.parametrize("role", ("backoffice", "compliance", "administrator"))
def test_it_exports_for_every_role_with_the_export_permission(as_user, client, role):
    as_user(role)
    response = client.get(URL, {"status": 9})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="clients-')


def test_it_refuses_a_member_without_a_role(as_user, client):
    as_user("roleless")
    assert client.get(URL).status_code == 403


def test_it_masks_sensitive_fields_for_back_office(as_user, client, seeded):
    as_user("backoffice")
    rows = rows_of(client.get(URL))
    assert len(rows) == len(seeded)
    assert {row["Document number"] for row in rows} == {MASK}
    assert {row["Tax id"] for row in rows} == {MASK}


def test_it_shows_them_to_compliance(as_user, client, seeded):
    as_user("compliance")
    rows = {int(row["Id"]): row for row in rows_of(client.get(URL))}
    for customer in seeded[:50]:
        assert rows[customer.id]["Document number"] == customer.document_number
        assert rows[customer.id]["Tax id"] == customer.tax_id


def test_it_writes_labels_and_the_members_time_zone(client, make_staff, seeded):
    client.force_login(make_staff("tokyo", BACK_OFFICE, time_zone="Asia/Tokyo"))
    customer = seeded[0]
    row = next(r for r in rows_of(client.get(URL)) if r["Id"] == str(customer.id))
    assert row["Status"] == customer.status.label and row["Type"] == customer.type.label
    assert row["Created"].endswith("+0900")


def test_it_exports_only_clients_in_the_members_groups(client, make_staff, seeded):
    client.force_login(make_staff("limited", BACK_OFFICE, [9]))
    expected = {c.id for c in seeded
                if c.preferred_group == 9 or any(a.group_id == 9 for a in c.accounts)}
    assert {int(row["Id"]) for row in rows_of(client.get(URL))} == expected


def test_it_records_the_export_in_the_audit_log(as_user, client):
    user = as_user("backoffice")
    b"".join(client.get(URL, {"kyc": "pending"}).streaming_content)
    entry = AuditEntry.objects.get(action="client.export")
    assert entry.actor == user and "kyc=pending" in entry.detail


def test_it_ignores_nonsense_in_the_address(as_user, client, seeded):
    as_user("backoffice")
    response = client.get(URL, {"page": "-5", "sort": "DROP", "size": str(10**9), "status": "99",
                                "manager": str(10**30)})
    assert response.status_code == 200 and len(rows_of(response)) == len(seeded)


def test_it_keeps_formulas_and_markup_inert(as_user, client, make_client, writes):
    as_user("compliance")
    evil = make_client(first_name="<script>alert(1)</script>", family_name="=cmd|' /C calc'!A0",
                       city="+SUM(A1:A9)", comment="@HYPERLINK(\"http://x\")",
                       address="-2+3", zip_code="\tTAB")
    rows = rows_of(client.get(URL, {"q": "alert"}))
    assert len(rows) == 1
    row = rows[0]
    assert row["First name"] == "<script>alert(1)</script>"
    assert row["Family name"] == "'=cmd|' /C calc'!A0"
    assert row["City"] == "'+SUM(A1:A9)" and row["Address"] == "'-2+3"
    assert row["Comment"].startswith("'@") and row["Zip code"] == "'\tTAB"
    assert row["Id"] == str(evil.id)
    body = client.get(LIST, {"q": "alert"}).content.decode()
    assert "<script>alert(1)</script>" not in body and "&lt;script&gt;" in body


def test_it_streams_2000_clients_in_chunks_and_matches_the_list(as_user, client, omt, writes):
    gather_each(lambda n: omt.create_client(
        {"first_name": "Bulk", "family_name": f"Export{n:04d}", "email": f"bulk{n}@x.test",
         "type": 0, "status": 1, "country": "MT"}), range(1600))
    as_user("backoffice")
    query = {"sort": "name"}
    response = client.get(URL, query)
    chunks = list(response.streaming_content)
    rows = list(csv.DictReader(io.StringIO(b"".join(chunks).decode("utf-8-sig"))))
    assert len(rows) >= 2000
    assert len(chunks) >= len(rows) // CHUNK_ROWS  # rows leave as they are read
    assert [int(row["Id"]) for row in rows] == listed_ids(client, query)
    filtered = {"q": "bulk", "country": "MT", "sort": "-created"}
    assert [int(r["Id"]) for r in rows_of(client.get(URL, filtered))] == listed_ids(
        client, filtered)


def test_it_streams_through_asgi_without_reading_everything_first(as_user):
    """Under ASGI (daphne) the export must be an async iterator, or Django reads it whole."""
    client = AsyncClient()
    client.force_login(as_user("backoffice"))

    async def download():
        response = await client.get(URL)
        return response, [chunk async for chunk in response.streaming_content]

    # From a sync test, async_to_sync runs the view's database work in this thread, inside
    # the test's transaction.
    response, chunks = async_to_sync(download)()
    assert response.is_async and len(chunks) >= 2
    text = b"".join(chunks).decode("utf-8-sig")
    assert text.startswith("Id,KYC,Title,First name") and text.count("\n") > 500


def test_it_records_the_row_count(as_user, client, seeded):
    as_user("backoffice")
    rows = rows_of(client.get(URL, {"status": 9}))
    entry = AuditEntry.objects.get(action="client.export")
    assert entry.after == {"rows": len(rows)} and f"{len(rows)} client" in entry.detail


def test_it_needs_the_export_permission(as_user, client):
    as_user("supervisor")
    assert client.get(URL).status_code == 403
    page = client.get(LIST).content.decode()
    assert "to CSV" not in page


@pytest.mark.parametrize("cell", ["=1+1", " =1+1", "\t=1+1", "\n=1+1", "\r\n+1", "  @SUM(A1)",
                                  "\uff1dHYPERLINK(\"x\")", "\uff0b1", "\uff0d1", "\uff20A1",
                                  "\u3000=1+1", "\tplain"])
def test_it_neutralises_formulas_behind_whitespace_and_full_width_signs(cell):
    assert safe(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["-12.50", "42", "plain text", "a=b", "Main street 1", ""])
def test_it_leaves_plain_values_alone(cell):
    assert safe(cell) == cell
